//! Which shell runs an ezstep. Megatest 1.65 runs every step under `/bin/bash`; bash takes
//! about twice as long as dash to start, which is most of a trivial test's cost. A step
//! whose text is plain commands behaves the same under both, so it runs under `/bin/sh`;
//! anything that could differ keeps bash. The rule is documented in docs/compatibility.md.

/// Characters that mean the same to bash and a POSIX sh in a plain command line: words,
/// quotes, variables, pipes, lists, redirections and globs. Parentheses, braces, backslashes
/// and backquotes are left out (arrays, brace expansion, `$(( ))` and `echo`'s escapes
/// differ).
fn plain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " \t\n_-./=:,+%@'\"$;&|<>*?~#[]".contains(c)
}

/// Text that only bash understands, or understands differently (dash's `echo` prints
/// `-e` and `-E`).
const BASH_ONLY_TEXT: &[&str] = &[
    "[[", "]]", "==", "&>", "|&", "$'", "<<<", "echo -e", "echo -E",
];

/// Commands that dash lacks or that take other options there.
const BASH_ONLY_WORDS: &[&str] = &[
    "source",
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
    "BASH",
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
    "BASHPID",
    "LINENO",
    "SRANDOM",
    "EPOCHSECONDS",
    "EPOCHREALTIME",
    "DIRSTACK",
    "REPLY",
    "PWD",
    "OLDPWD",
];

/// The shell that runs an ezstep's `command`: `/bin/sh` when it is plain, else
/// `/bin/bash` as in Megatest 1.65.
pub(super) fn step_shell(command: &str) -> &'static str {
    if is_plain(command) {
        "/bin/sh"
    } else {
        "/bin/bash"
    }
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

fn is_plain(command: &str) -> bool {
    let command = &without_plain_braces(command);
    if !command.chars().all(plain_char) || BASH_ONLY_TEXT.iter().any(|t| command.contains(t)) {
        return false;
    }
    let words = command.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
    !words
        .clone()
        .any(|w| BASH_ONLY_WORDS.contains(&w) || BASH_VARIABLES.contains(&w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_commands_run_under_sh() {
        for command in [
            "true",
            "exit 0",
            "make -j4 all",
            "./run.sh $MT_TEST_NAME \"${ITEM}\" > out.txt 2>&1",
            "cat a.log | grep -c ok && test -f done || false",
            "cp *.v /tmp/x; ls ~/data",
            "[ -f result ] && cat result",
            "megatest -test-status :state COMPLETED :status PASS",
            "echo hi > out.txt",
        ] {
            assert_eq!(step_shell(command), "/bin/sh", "{command}");
        }
    }

    #[test]
    fn anything_that_may_differ_keeps_bash() {
        for command in [
            "echo -e a",
            "echo -e 'a\\tb'",
            "[[ -f x ]] && true",
            "source env.sh; make",
            "x=(1 2 3)",
            "echo {a,b}",
            "diff <(sort a) <(sort b)",
            "n=$((1 + 2))",
            "cat $(ls)",
            "make &> log",
            "set -o pipefail; make | tee log",
            "test $RANDOM -gt 0",
            "printf '%s\\n' x",
            "read line < file",
            "time make",
            "a=`date`",
            "[ a == a ]",
            "echo ${NAME:1:2}",
            "echo ${NAME//a/b}",
        ] {
            assert_eq!(step_shell(command), "/bin/bash", "{command}");
        }
    }
}
