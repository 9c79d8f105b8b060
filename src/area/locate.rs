//! Finding the area: `-config FILE`, `$MT_RUN_AREA_HOME`, or `megatest.config` in the current
//! directory or the nearest directory above it (spec §2.1).

use crate::environ;
use crate::error::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// The config file name Megatest looks for.
pub(super) const CONFIG_NAME: &str = "megatest.config";

/// Returns (area top directory, config file path).
pub fn locate(config_arg: Option<&str>, cwd: &Path) -> Result<(PathBuf, PathBuf)> {
    if let Some(arg) = config_arg.filter(|a| a.contains('/')) {
        let file = cwd.join(arg);
        if !file.is_file() {
            return Err(Error::of(
                ErrorKind::NoArea,
                format!("the config file `{arg}` given with -config does not exist"),
            ));
        }
        let top = file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| cwd.to_path_buf());
        return Ok((top, file));
    }
    let name = config_arg.unwrap_or(CONFIG_NAME);
    if let Some(home) = environ::var("MT_RUN_AREA_HOME").filter(|h| !h.is_empty()) {
        let top = cwd.join(&home);
        let file = top.join(name);
        if file.is_file() {
            return Ok((top, file));
        }
        return Err(Error::of(
            ErrorKind::NoArea,
            format!("MT_RUN_AREA_HOME is `{home}` but it has no {name}"),
        )
        .note("unset MT_RUN_AREA_HOME to search from the current directory"));
    }
    for dir in cwd.ancestors() {
        let file = dir.join(name);
        if file.is_file() {
            return Ok((dir.to_path_buf(), file));
        }
    }
    Err(Error::of(
        ErrorKind::NoArea,
        format!(
            "no {name} found in `{}` or any directory above it",
            cwd.display()
        ),
    )
    .note("run megatest inside a Megatest area, or name one with -start-dir DIR or -config FILE"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_upwards_and_honours_config_paths() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        std::fs::create_dir_all(top.join("a/b")).unwrap();
        std::fs::write(top.join(CONFIG_NAME), "").unwrap();
        std::fs::write(top.join("a/other.config"), "").unwrap();
        let (found, file) = locate(None, &top.join("a/b")).unwrap();
        assert_eq!((found.as_path(), file), (top, top.join(CONFIG_NAME)));
        let (found, _) = locate(Some("a/other.config"), top).unwrap();
        assert_eq!(found, top.join("a"));
        let (found, _) = locate(Some("other.config"), &top.join("a/b")).unwrap();
        assert_eq!(found, top.join("a"));
        let err = locate(Some("nope.config"), top).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit_code::NO_AREA);
    }
}
