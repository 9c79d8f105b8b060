//! Paths as Megatest resolves them: the "nice path" of `#{rp PATH}` (spec §1.6: `~` resolved,
//! made absolute, `.`/`..` collapsed), and io errors as one lower-case reason.

use crate::environ;
use std::path::Path;

/// Resolves `path` the way `common:nice-path` does, relative to `cwd`.
pub fn nice_path(path: &str, cwd: &Path) -> String {
    if let Some(tilde) = path.strip_prefix('~') {
        let (user, rest) = match tilde.find('/') {
            Some(i) => (&tilde[..i], &tilde[i..]),
            None => (tilde, ""),
        };
        if let Some(home) = home_of(user) {
            // `readlink -f` on the home directory: its symlinks are resolved.
            let home = std::fs::canonicalize(&home)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or(home);
            return nice_path(&format!("{home}/{rest}"), cwd);
        }
    }
    let absolute = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{}", cwd.display(), path)
    };
    normalize(&absolute)
}

fn home_of(user: &str) -> Option<String> {
    if user.is_empty() {
        return environ::var("HOME");
    }
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 5 && fields[0] == user).then(|| fields[5].to_string())
    })
}

/// Collapses `.`, `..` and repeated slashes of an absolute path, lexically.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

/// An io error without the "(os error N)" suffix.
pub fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_lowercase(),
        None => text.to_lowercase(),
    }
}

/// "cannot WHAT `PATH`: REASON", an I/O error about a path.
pub fn io_error(what: &str, path: &Path, e: &std::io::Error) -> crate::error::Error {
    crate::error::Error::of(
        crate::error::ErrorKind::Io,
        format!("cannot {what} `{}`: {}", path.display(), io_reason(e)),
    )
}

/// Whether two paths name the same file: equal, or equal once resolved.
pub fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_absolute_and_dots() {
        let cwd = Path::new("/area/top");
        assert_eq!(nice_path("x/./y/../z", cwd), "/area/top/x/z");
        assert_eq!(nice_path("/a//b/..", cwd), "/a");
        assert_eq!(nice_path("..", cwd), "/area");
        assert_eq!(nice_path("~root/x", cwd), {
            let home = std::fs::canonicalize("/root").unwrap();
            format!("{}/x", home.display())
        });
    }
}
