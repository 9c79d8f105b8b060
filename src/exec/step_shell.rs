//! Which shell runs an ezstep. Megatest 1.65 runs every step under `/bin/bash`; bash takes
//! about twice as long as dash to start, which is most of a trivial test's cost. A step
//! that would behave the same under both runs under `/bin/sh`; anything that could differ
//! keeps bash. The rule is documented in docs/compatibility.md.
//!
//! "The same" is judged from three things: the command's text (plain commands only), the
//! environment (bash reads `BASH_ENV` and imports exported functions, such as the `module`
//! command of Environment Modules), and the programs the command starts (a script without
//! `#!` is run by the calling shell itself).

use crate::environ;
use std::io::Read;
use std::path::Path;

/// Characters that mean the same to bash and a POSIX sh in a plain command line: words,
/// quotes, variables, pipes, lists, redirections and globs. Parentheses, braces, backslashes,
/// backquotes and `~` are left out (arrays, brace expansion, `$(( ))`, `echo`'s escapes and
/// tilde expansion after `=` differ).
fn plain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " \t\n_-./=:,+%@'\"$;&|<>*?#[]".contains(c)
}

/// Text that only bash understands, or understands differently (dash's `echo` prints its
/// options, `test -v` is bash's, `$BASH...` variables are bash's).
const BASH_ONLY_TEXT: &[&str] = &[
    "[[", "]]", "==", "=~", "+=", "&>", "|&", "$'", "<<<", "echo -", "[ -v", "test -v", "$BASH",
];

/// Commands that dash lacks, takes other options for, or that run text the rule cannot see.
const BASH_ONLY_WORDS: &[&str] = &[
    "source",
    "eval",
    "command",
    "builtin",
    "declare",
    "typeset",
    "local",
    "shopt",
    "function",
    "select",
    "let",
    "pushd",
    "popd",
    "dirs",
    "readarray",
    "mapfile",
    "disown",
    "enable",
    "caller",
    "complete",
    "compgen",
    "bind",
    "help",
    "history",
    "suspend",
    "time",
    "read",
    "ulimit",
    "printf",
    "set",
    "trap",
    "type",
    "wait",
    "kill",
    "exec",
    "coproc",
];

/// Variables bash sets and sh does not.
const BASH_VARIABLES: &[&str] = &[
    "RANDOM",
    "SECONDS",
    "PIPESTATUS",
    "UID",
    "EUID",
    "HOSTNAME",
    "HOSTTYPE",
    "OSTYPE",
    "MACHTYPE",
    "SHLVL",
    "FUNCNAME",
    "GROUPS",
    "LINENO",
    "SRANDOM",
    "EPOCHSECONDS",
    "EPOCHREALTIME",
    "DIRSTACK",
    "REPLY",
    "PWD",
    "OLDPWD",
];

/// The shell that runs an ezstep's `command` in `work`: `/bin/sh` when it would behave
/// the same there, else `/bin/bash` as in Megatest 1.65.
pub(super) fn step_shell(command: &str, work: &Path) -> &'static str {
    let env = environ::vars();
    if is_plain(command, work, &env) {
        "/bin/sh"
    } else {
        "/bin/bash"
    }
}

fn is_plain(command: &str, work: &Path, env: &[(String, String)]) -> bool {
    let bash_reads_env = env
        .iter()
        .any(|(k, v)| (k == "BASH_ENV" && !v.is_empty()) || k.starts_with("BASH_FUNC_"));
    if bash_reads_env {
        return false;
    }
    let command = &without_plain_braces(command);
    if !command.chars().all(plain_char) || BASH_ONLY_TEXT.iter().any(|t| command.contains(t)) {
        return false;
    }
    // `>&2` and `2>&1` duplicate a descriptor in both; bash alone reads `>& FILE`.
    let both_to_file = command
        .match_indices(">&")
        .any(|(at, _)| !command[at + 2..].starts_with(|c: char| c.is_ascii_digit() || c == '-'));
    if both_to_file {
        return false;
    }
    let mut words = command.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
    if words.any(|w| BASH_ONLY_WORDS.contains(&w) || BASH_VARIABLES.contains(&w)) {
        return false;
    }
    // The programs are looked up on the step's PATH: one it sets itself is not followed.
    if command.contains("PATH=") {
        return false;
    }
    let path = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| format!("{v}:."))
        .unwrap_or_else(|| ".".into());
    command
        .split([';', '&', '|', '\n'])
        .filter_map(command_word)
        .all(|word| starts_the_same(word, &path, work))
}

/// The program a simple command runs: its first word after `NAME=value` assignments.
fn command_word(segment: &str) -> Option<&str> {
    segment.split_whitespace().find(|w| {
        let assignment = w.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        !assignment
    })
}

/// Whether both shells start `word` the same way: not `.` (the sourced file is read by the
/// shell itself), not `cd` (later paths would be read from elsewhere), not quoted or built
/// from variables (unknown until run), and, when it is a
/// file, one the system runs itself (a `#!` line or an ELF binary; a file without `#!` is
/// run by the calling shell). A word that names no file is a builtin or a command not found,
/// alike in both.
fn starts_the_same(word: &str, path: &str, work: &Path) -> bool {
    if word == "."
        || word == "cd"
        || (word != "[" && word.contains(['\'', '"', '$', '*', '?', '[']))
    {
        return false;
    }
    let file = if word.contains('/') {
        let file = work.join(word);
        if !file.exists() {
            // Made by an earlier command of the step, or missing: not known here.
            return false;
        }
        file
    } else {
        match which::which_in(word, Some(path), work) {
            Ok(file) => file,
            Err(_) => return true,
        }
    };
    let mut head = [0u8; 4];
    let read = std::fs::File::open(&file).and_then(|mut f| f.read(&mut head));
    matches!(read, Ok(n) if n >= 2 && (head.starts_with(b"#!") || (n == 4 && head == *b"\x7fELF")))
}

/// `command` with each `${NAME}` written `$NAME` (the same in both shells); other brace
/// forms stay, and are not plain.
fn without_plain_braces(command: &str) -> String {
    let mut out = String::with_capacity(command.len());
    let mut rest = command;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('}') {
            out.push('$');
            out.push_str(&after[..name_len]);
            rest = &after[name_len + 1..];
        } else {
            out.push_str("${");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn env(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut all = vec![("PATH".to_string(), "/usr/bin:/bin".to_string())];
        all.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        all
    }

    fn script(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn plain_commands_run_under_sh() {
        let work = tempfile::tempdir().unwrap();
        script(work.path(), "run.sh", "#!/bin/bash\necho ok\n");
        for command in [
            "true",
            "exit 0",
            "make -j4 all",
            "./run.sh $MT_TEST_NAME \"${ITEM}\" > out.txt 2>&1",
            "cat a.log | grep -c ok && test -f done || false",
            "cp *.v /tmp/x; ls /data",
            "[ -f result ] && cat result",
            "X=1 Y=2 ./run.sh",
            "echo hi > out.txt",
            "no-such-program-here",
        ] {
            assert!(is_plain(command, work.path(), &env(&[])), "{command}");
        }
    }

    #[test]
    fn anything_that_may_differ_keeps_bash() {
        let work = tempfile::tempdir().unwrap();
        script(work.path(), "legacy", "echo no shebang line\n");
        for command in [
            "echo -e a",
            "echo -ne a",
            "[[ -f x ]] && true",
            "source env.sh; make",
            ". ./setup.sh && make",
            "eval $CMD",
            "x=(1 2 3)",
            "echo {a,b}",
            "diff <(sort a) <(sort b)",
            "n=$((1 + 2))",
            "cat $(ls)",
            "make &> log",
            "make >& log",
            "PATH+=:/opt/bin",
            "make PREFIX=~/inst",
            "set -o pipefail; make | tee log",
            "test $RANDOM -gt 0",
            "echo $BASH_VERSION",
            "[ -v X ]",
            "printf '%s\\n' x",
            "read line < file",
            "time make",
            "a=`date`",
            "[ a == a ]",
            "echo ${NAME:1:2}",
            "echo ${NAME//a/b}",
            "./legacy",
            "make && ./not-made-yet",
            "$TOOL arg",
            "PATH=/opt/bin:$PATH; legacy-tool",
            "cd build && ./run.sh",
        ] {
            assert!(!is_plain(command, work.path(), &env(&[])), "{command}");
        }
    }

    #[test]
    fn bash_startup_files_and_exported_functions_keep_bash() {
        let work = tempfile::tempdir().unwrap();
        assert!(!is_plain(
            "true",
            work.path(),
            &env(&[("BASH_ENV", "/etc/x")])
        ));
        assert!(!is_plain(
            "module load vcs && make",
            work.path(),
            &env(&[("BASH_FUNC_module%%", "() { :; }")])
        ));
        assert!(is_plain("true", work.path(), &env(&[("BASH_ENV", "")])));
    }
}
