//! Hook commands (spec §2.7): placeholders filled from the line and its match, then run by
//! the shell with their output captured into logpro's own output stream.

use regex::bytes::Captures;
use std::io;
use std::process::{Command, Stdio};

/// Fills a rule hook's placeholders: `#{msg}` is the whole log line, `#{line}` the matched
/// text, `#{m1}`... the captures (logpro's names, kept), each also as `#{escaped X}`.
pub(super) fn expand_rule_hook(template: &str, line: &[u8], caps: Option<&Captures<'_>>) -> String {
    let mut text = substitute(template, "msg", &String::from_utf8_lossy(line));
    if let Some(caps) = caps {
        let whole = caps.get(0).map_or(&b""[..], |m| m.as_bytes());
        text = substitute(&text, "line", &String::from_utf8_lossy(whole));
        for i in 1..caps.len() {
            let value = caps.get(i).map_or(&b""[..], |m| m.as_bytes());
            text = substitute(&text, &format!("m{i}"), &String::from_utf8_lossy(value));
        }
    }
    text
}

/// Fills a value hook's placeholders.
pub(super) fn expand_value_hook(template: &str, values: &[(&str, String)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (name, value)| {
            substitute(&text, name, value)
        })
}

/// Replaces `#{name}` and `#{escaped name}` (single-quoted for the shell). Logpro quoted
/// `'` as `\'`, which the shell does not accept; this quotes it properly.
fn substitute(text: &str, name: &str, value: &str) -> String {
    let quoted = format!("'{}'", value.replace('\'', r"'\''"));
    text.replace(&format!("#{{{name}}}"), value)
        .replace(&format!("#{{escaped {name}}}"), &quoted)
}

/// Runs a hook command; returns what it printed on stdout (stderr passes through).
pub(super) fn run(command: &str) -> io::Result<Vec<u8>> {
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        let re = regex::bytes::Regex::new(r"(\w+)=(\d+)").unwrap();
        let line = b"set it's x=42 now";
        let caps = re.captures(line).unwrap();
        let text = expand_rule_hook(
            "[#{msg}] [#{line}] #{m1} #{m2} #{m3} #{escaped msg}",
            line,
            Some(&caps),
        );
        assert_eq!(
            text,
            r"[set it's x=42 now] [x=42] x 42 #{m3} 'set it'\''s x=42 now'"
        );
        assert_eq!(run("echo hi").unwrap(), b"hi\n");
    }
}
