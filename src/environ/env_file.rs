//! Environment files: `NAME.sh` and `NAME.csh` (`-env2file`, the executor's `megatest.sh` and
//! `megatest.csh`, spec §9.9) and the shell syntax `-envdelta` prints.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// Variables written commented out: they belong to the user's session, not to a test.
pub const SESSION_VARS: &[&str] = &[
    "USER",
    "HOME",
    "DISPLAY",
    "LS_COLORS",
    "XKEYSYMDB",
    "EDITOR",
    "MAKEFLAGS",
    "MAKEF",
    "MAKEOVERRIDES",
];

fn plain(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-:,./%".contains(c))
}

/// A value as a POSIX shell word: bare when it needs no quoting, else single-quoted.
/// (Megatest wrapped such values in `"` without escaping, which broke on `"`, `$` and `` ` ``.)
pub fn sh_quote(value: &str) -> String {
    if plain(value) {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// A value as a csh word (single quotes; a `'` ends and restarts them).
pub fn csh_quote(value: &str) -> String {
    if plain(value) {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r#"'"'"'"#).replace('!', r"\!"))
    }
}

/// The `.sh` text for these variables.
pub fn sh_text(vars: &[(String, String)]) -> String {
    let mut out = String::new();
    for (name, value) in vars {
        let hide = SESSION_VARS.contains(&name.as_str()) || name.contains(':');
        let _ = writeln!(
            out,
            "{}export {name}={}",
            if hide { "# " } else { "" },
            sh_quote(value)
        );
    }
    out
}

/// The `.csh` text for these variables.
pub fn csh_text(vars: &[(String, String)]) -> String {
    let mut out = String::new();
    for (name, value) in vars {
        let hide = SESSION_VARS.contains(&name.as_str());
        let _ = writeln!(
            out,
            "{}setenv {name} {}",
            if hide { "# " } else { "" },
            csh_quote(value)
        );
    }
    out
}

/// Writes `<base>.sh` and `<base>.csh`.
pub fn write_env_files(base: &Path, vars: &[(String, String)]) -> io::Result<()> {
    let with = |ext: &str| {
        let mut p = base.as_os_str().to_owned();
        p.push(ext);
        std::path::PathBuf::from(p)
    };
    std::fs::write(with(".sh"), sh_text(vars))?;
    std::fs::write(with(".csh"), csh_text(vars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_the_shell() {
        let vars = vec![
            ("A".to_string(), "plain/path:1".to_string()),
            ("B".to_string(), "it's $HOME \"q\" `x`".to_string()),
            ("HOME".to_string(), "/home/x".to_string()),
            ("C".to_string(), String::new()),
        ];
        let text = sh_text(&vars);
        assert!(text.contains("export A=plain/path:1\n"));
        assert!(text.contains("# export HOME=/home/x\n"));
        let script = format!("{text}printf '%s|%s|' \"$B\" \"$C\"");
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "it's $HOME \"q\" `x`||"
        );
        assert!(csh_text(&vars).contains("setenv A plain/path:1\n"));
    }
}
