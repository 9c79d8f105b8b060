//! Runs `/bin/sh -c` commands for the config language: with the exported environment, in a
//! given directory, stdin closed.

use crate::environ;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

/// What a captured command printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// Everything written to stdout, lossily decoded.
    pub stdout: String,
    /// The exit code, or 128 + the signal number when a signal ended it.
    pub status: i32,
}

fn sh(cmd: &str, cwd: &Path) -> Command {
    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(cmd)
        .current_dir(cwd)
        .stdin(Stdio::null());
    environ::apply(&mut command);
    command
}

/// The exit code of a finished process, or 128 + the signal that ended it.
pub fn status_code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

/// Runs `cmd` and captures its stdout; its stderr goes to ours.
pub fn capture(cmd: &str, cwd: &Path) -> io::Result<Captured> {
    let out = sh(cmd, cwd).stderr(Stdio::inherit()).output()?;
    Ok(Captured {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        status: status_code(out.status),
    })
}

/// Runs `cmd` with its stdout sent to our stderr (so it cannot corrupt megatest's own
/// output) and returns its exit code.
pub fn run_to_stderr(cmd: &str, cwd: &Path) -> io::Result<i32> {
    let stderr = io::stderr().as_fd().try_clone_to_owned()?;
    let status = sh(cmd, cwd).stdout(Stdio::from(stderr)).status()?;
    Ok(status_code(status))
}

use std::os::fd::AsFd;

/// Output lines joined by single spaces, as `#{shell}` and `key [system cmd]` produce them.
pub fn lines_joined_by_spaces(stdout: &str) -> String {
    let body = stdout.strip_suffix('\n').unwrap_or(stdout);
    body.replace('\n', " ")
}

/// The first line `echo VALUE` prints in the shell: `$VAR` expansion, globbing, quote removal
/// and word splitting, as Megatest applies to `[env-override]` values.
pub fn echo_eval(value: &str, cwd: &Path) -> io::Result<String> {
    if echo_is_identity(value) {
        return Ok(value.to_string());
    }
    let out = capture(&format!("echo {value}"), cwd)?;
    Ok(out.stdout.lines().next().unwrap_or("").to_string())
}

/// [`echo_eval`] for many values with at most one shell: values that need the shell are
/// evaluated together, each in its own subshell so one bad value cannot spoil the others.
pub fn echo_eval_many(values: &[&str], cwd: &Path) -> io::Result<Vec<String>> {
    const SEPARATOR: &str = "\u{1e}megatest-value-end\u{1e}";
    let mut out: Vec<Option<String>> = values
        .iter()
        .map(|v| {
            if v.is_empty() {
                Some(String::new())
            } else if echo_is_identity(v) {
                Some(v.to_string())
            } else {
                None
            }
        })
        .collect();
    let pending: Vec<usize> = (0..values.len()).filter(|&i| out[i].is_none()).collect();
    if pending.is_empty() {
        return Ok(out.into_iter().map(Option::unwrap_or_default).collect());
    }
    let mut script = String::new();
    for &i in &pending {
        let quoted = crate::environ::env_file::sh_quote(&format!("echo {}", values[i]));
        script.push_str(&format!(
            "(eval {quoted}) 2>/dev/null; echo '{SEPARATOR}'\n"
        ));
    }
    let captured = capture(&script, cwd)?;
    let end = format!("{SEPARATOR}\n");
    let mut chunks = captured.stdout.split(end.as_str());
    for &i in &pending {
        let chunk = chunks.next().unwrap_or("");
        out[i] = Some(chunk.lines().next().unwrap_or("").to_string());
    }
    Ok(out.into_iter().map(Option::unwrap_or_default).collect())
}

/// True when the shell's `echo` would print `value` unchanged, so no process is needed: plain
/// words separated by single spaces, with no character the shell treats specially.
fn echo_is_identity(value: &str) -> bool {
    const SPECIAL: &[char] = &[
        '$', '`', '\\', '"', '\'', '*', '?', '[', ']', '~', '{', '}', '(', ')', ';', '&', '|', '<',
        '>', '#', '\t', '\n', '\r', '!', '=',
    ];
    !value.is_empty()
        && !value.starts_with('-')
        && !value.starts_with(' ')
        && !value.ends_with(' ')
        && !value.contains("  ")
        && !value.contains(SPECIAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_and_status() {
        let out = capture("echo a; echo b; exit 3", Path::new("/")).unwrap();
        assert_eq!(out.stdout, "a\nb\n");
        assert_eq!(out.status, 3);
        assert_eq!(lines_joined_by_spaces(&out.stdout), "a b");
        assert_eq!(capture("kill -9 $$", Path::new("/")).unwrap().status, 137);
    }

    #[test]
    fn echo_eval_matches_the_shell() {
        let cwd = Path::new("/");
        for value in [
            "plain words",
            "a  b",
            "'quoted  x'",
            "$HOME/x",
            "-n x",
            "a=b",
        ] {
            let shell = capture(&format!("echo {value}"), cwd).unwrap().stdout;
            let expected = shell.lines().next().unwrap_or("").to_string();
            assert_eq!(echo_eval(value, cwd).unwrap(), expected, "value {value:?}");
        }
        let many = ["plain", "$HOME/x", "", "it's", "a  b"];
        let got = echo_eval_many(&many, cwd).unwrap();
        assert_eq!(got[0], "plain");
        assert_eq!(got[1], echo_eval("$HOME/x", cwd).unwrap());
        assert_eq!(got[2], "");
        assert_eq!(got[3], "", "a broken value gives nothing");
        assert_eq!(got[4], "a b");
        assert!(echo_is_identity("plain words"));
        assert!(!echo_is_identity("a  b"));
    }
}
