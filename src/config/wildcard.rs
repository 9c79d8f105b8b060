//! Wildcard (`[a/%/c]`) and regex (`[/re/]`) sections (spec §1.11): when such a section ends,
//! its entries are set in every other existing section whose name matches, and it is removed.

use super::model::Config;
use regex::Regex;

/// The anchored regex a section name stands for, if it is a wildcard or regex section.
/// `Err` carries the regex error when the name does not compile.
pub(crate) fn section_pattern(name: &str) -> Option<Result<Regex, regex::Error>> {
    let pattern = if name.contains('%') {
        name.replace('%', ".*")
    } else if name.len() >= 2 && name.starts_with('/') && name.ends_with('/') {
        name[1..name.len() - 1].to_string()
    } else {
        return None;
    };
    Some(Regex::new(&format!("^(?:{pattern})$")))
}

/// Applies the wildcard section `name` (matched by `pattern`) and deletes it.
pub(crate) fn apply(config: &mut Config, name: &str, pattern: &Regex) {
    let Some(wild) = config.section(name).cloned() else {
        return;
    };
    let targets: Vec<String> = config
        .section_names()
        .filter(|s| *s != name && pattern.is_match(s))
        .map(str::to_string)
        .collect();
    for target in targets {
        let section = config.section_mut(&target);
        for entry in &wild.entries {
            section.set_with_shell_text(
                &entry.key,
                entry.value.clone(),
                entry.origin.clone(),
                entry.shell_text.clone(),
            );
        }
    }
    config.remove_section(name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let re = section_pattern("a/%/b").unwrap().unwrap();
        assert!(re.is_match("a/2/b") && !re.is_match("a/2/bc"));
        let re = section_pattern("/ubuntu/(nfs|afs)/.*/").unwrap().unwrap();
        assert!(re.is_match("ubuntu/nfs/x") && !re.is_match("ubuntu/zfs/x"));
        assert!(section_pattern("plain").is_none());
        assert!(section_pattern("/(/").unwrap().is_err());
    }
}
