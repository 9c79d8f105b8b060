//! What a name that becomes part of a path may hold: target parts, run names, test names,
//! step names (one path component each) and item paths (components joined with `/`).
//!
//! The rule keeps every run directory under its disk and link tree: a component is not
//! empty, not `.` or `..`, holds no `/` and no NUL, and does not start with `-` (so no command
//! the tool builds can take it for an option). Item values are exempt from the `-` rule:
//! `[itemstable]` fills missing cells with `-` (spec §6.1).

use std::fmt;

/// Why a name cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    /// The name is empty (or an item path has an empty component: `a//b`, `/a`, `a/`).
    Empty,
    /// The name is `.` or `..` (or an item path has such a component).
    Dots,
    /// The name holds `/` where one component is meant.
    Slash,
    /// The name holds a NUL byte.
    Nul,
    /// The name starts with `-`.
    Dash,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameProblem::Empty => "is empty",
            NameProblem::Dots => "is `.` or `..`",
            NameProblem::Slash => "holds `/`",
            NameProblem::Nul => "holds a NUL character",
            NameProblem::Dash => "starts with `-`",
        })
    }
}

/// The rule in one line, for error notes.
pub const NAME_RULE: &str = "a name that becomes a directory may not be empty, `.` or `..`, \
     and may hold no `/` and no NUL character, nor start with `-`";

/// The rule for item paths, for error notes.
pub const ITEM_PATH_RULE: &str = "item values become directories under the test's run \
     directory, their `/`-separated parts joined as Megatest joins them (empty and `.` parts \
     fall away): no part may be `..`, and none may hold a NUL character";

/// Checks one path component (a target part, run name, test name or step name).
pub fn check_component(name: &str) -> Result<(), NameProblem> {
    if name.starts_with('-') {
        return Err(NameProblem::Dash);
    }
    if name.contains('/') {
        return Err(NameProblem::Slash);
    }
    if name.is_empty() {
        Err(NameProblem::Empty)
    } else if name == "." || name == ".." {
        Err(NameProblem::Dots)
    } else if name.contains('\0') {
        Err(NameProblem::Nul)
    } else {
        Ok(())
    }
}

/// Checks an item path (its values joined with `/`): values may hold `/`, even lead with
/// one (`/data/a.v`), as Megatest allows; the directory is made of [`item_dir`]'s parts, so
/// only a `..` part or a NUL could leave the test's directory. The empty path (no items) is
/// fine; one with no directory part at all (`/`, `.`) is not.
pub fn check_item_path(path: &str) -> Result<(), NameProblem> {
    if path.is_empty() {
        return Ok(());
    }
    if path.contains('\0') {
        return Err(NameProblem::Nul);
    }
    if path.split('/').any(|p| p == "..") {
        return Err(NameProblem::Dots);
    }
    if item_dir(path).is_empty() {
        return Err(NameProblem::Empty);
    }
    Ok(())
}

/// The relative directory of an item under its test's directory: the path's parts without
/// empty and `.` ones (`/data/a.v` gives `data/a.v`, as Megatest's `TEST//data/a.v` does).
pub fn item_dir(path: &str) -> String {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// A run name becomes the directory of the run's tests (spec §9.4): one component.
pub fn check_run_name(name: &str) -> crate::error::Result<()> {
    check_component(name).map_err(|problem| {
        crate::error::Error::new(format!(
            "invalid run name `{}`: it {problem}",
            name.escape_debug()
        ))
        .note(NAME_RULE)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_that_stay_in_their_directory_pass() {
        for ok in [
            "a", "release", "run 1", "ww49.5", "x..y", ".hidden", "a-b", "(x,y)",
        ] {
            assert_eq!(check_component(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn components_that_could_leave_it_fail() {
        assert_eq!(check_component(""), Err(NameProblem::Empty));
        assert_eq!(check_component(".."), Err(NameProblem::Dots));
        assert_eq!(check_component("."), Err(NameProblem::Dots));
        assert_eq!(check_component("../x"), Err(NameProblem::Slash));
        assert_eq!(check_component("/abs"), Err(NameProblem::Slash));
        assert_eq!(check_component("a\0b"), Err(NameProblem::Nul));
        assert_eq!(check_component("-rf"), Err(NameProblem::Dash));
    }

    #[test]
    fn item_paths_may_nest_but_not_escape() {
        for ok in [
            "",
            "summer",
            "layout/ptran",
            "1234/xtra.1",
            "-",
            "a/-",
            "/tmp/v/data",
            "a//b",
            "a/",
            "./x",
        ] {
            assert_eq!(check_item_path(ok), Ok(()), "{ok}");
        }
        assert_eq!(item_dir("/tmp/v/data"), "tmp/v/data");
        assert_eq!(item_dir("a//./b/"), "a/b");
        assert_eq!(check_item_path("../../victim"), Err(NameProblem::Dots));
        assert_eq!(check_item_path("a/../../b"), Err(NameProblem::Dots));
        assert_eq!(check_item_path("/"), Err(NameProblem::Empty));
        assert_eq!(check_item_path("./."), Err(NameProblem::Empty));
        assert_eq!(check_item_path("a\0"), Err(NameProblem::Nul));
    }
}
