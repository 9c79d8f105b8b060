//! Megatest time strings (spec §4.4): `1h 2m 3s` → 3723 seconds.

/// Seconds in an HMS string: each whitespace-separated `N[smhd]` token counts; anything else
/// (a bare `300`, Megatest's trap) counts for nothing. `None` when nothing counted.
pub fn hms_seconds(text: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut any = false;
    for token in text.split_whitespace() {
        let Some(unit) = token.chars().last() else {
            continue;
        };
        let number = &token[..token.len() - unit.len_utf8()];
        let Ok(n) = number.parse::<u64>() else {
            continue;
        };
        let scale = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => continue,
        };
        // A huge time is as long as can be, not a wrap-around.
        total = total.saturating_add(n.saturating_mul(scale));
        any = true;
    }
    any.then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hms() {
        assert_eq!(hms_seconds("1h 2m 3s"), Some(3723));
        assert_eq!(hms_seconds("2d"), Some(172800));
        assert_eq!(hms_seconds("300"), None, "a bare number has no unit");
        assert_eq!(hms_seconds("10s junk"), Some(10));
        assert_eq!(hms_seconds("99999999999999999d"), Some(u64::MAX));
    }
}
