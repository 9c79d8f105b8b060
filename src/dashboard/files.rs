//! The files of a test's run directory, and only those: a name with a `..` or absolute part
//! is refused, and so is anything whose real path (symlinks resolved) is not inside the
//! run directory, or a run directory that is not under the area's link tree or disks.

use crate::runner::removal::Roots;
use std::path::{Component, Path, PathBuf};

/// Why a file is not served.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refused {
    /// The name leaves the directory (`..`, absolute) or is empty.
    BadName,
    /// The run directory is not one of the area's.
    NotARunDirectory,
    /// The file's real path is outside the run directory.
    Outside,
    /// No such file.
    Missing,
}

/// The real path of `name` inside the run directory `rundir`, when it may be served.
pub(super) fn resolve(rundir: &Path, name: &str, roots: &Roots) -> Result<PathBuf, Refused> {
    let relative = Path::new(name);
    let plain = !name.is_empty()
        && relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if !plain {
        return Err(Refused::BadName);
    }
    let dir = rundir
        .canonicalize()
        .map_err(|_| Refused::NotARunDirectory)?;
    if !roots.contains(&dir) {
        return Err(Refused::NotARunDirectory);
    }
    let file = dir.join(relative);
    let real = file.canonicalize().map_err(|_| Refused::Missing)?;
    if !real.starts_with(&dir) {
        return Err(Refused::Outside);
    }
    if !real.is_file() {
        return Err(Refused::Missing);
    }
    Ok(real)
}

/// The files directly in `rundir` a test panel lists (logs, pages, the environment), sorted.
pub(super) fn listing(rundir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(rundir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| !n.starts_with(".megatest"))
        .collect();
    names.sort();
    names
}

/// The content type a file is served with, by its extension; HTML only under a sandbox
/// (see the server).
pub(super) fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        _ => "text/plain; charset=utf-8",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_a_run_directory_are_served() {
        let root = tempfile::tempdir().unwrap();
        let run = root.path().join("t1/r1/test");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::write(run.join("step.log"), "x").unwrap();
        std::fs::write(root.path().join("secret"), "x").unwrap();
        std::os::unix::fs::symlink(root.path().join("secret"), run.join("link")).unwrap();
        let roots = Roots::new([root.path().to_path_buf()]);
        assert!(resolve(&run, "step.log", &roots).is_ok());
        assert_eq!(
            resolve(&run, "../../../secret", &roots),
            Err(Refused::BadName)
        );
        assert_eq!(resolve(&run, "/etc/passwd", &roots), Err(Refused::BadName));
        assert_eq!(resolve(&run, "link", &roots), Err(Refused::Outside));
        assert_eq!(resolve(&run, "nope", &roots), Err(Refused::Missing));
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::write(elsewhere.path().join("a.log"), "x").unwrap();
        assert_eq!(
            resolve(elsewhere.path(), "a.log", &roots),
            Err(Refused::NotARunDirectory)
        );
    }
}
