//! A test's run directory and its place in the link tree (spec §9.4): the physical directory
//! `DISK/TARGET/RUN/TEST[/ITEM]` on the disk with the most free space, the link
//! `LINKTREE/TARGET/RUN/TEST` pointing at it, and the copy of the test's source directory.

use crate::error::{Error, Result};
use crate::sys;
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

/// Where one test or item runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkArea {
    /// The physical directory (`shortdir`).
    pub physical: PathBuf,
    /// The link-tree path (`rundir`, `MT_TEST_RUN_DIR`).
    pub link: PathBuf,
    /// The test's physical toplevel directory (the item's parent for items).
    pub toplevel_physical: PathBuf,
    /// The test's link-tree directory.
    pub toplevel_link: PathBuf,
    /// The disk the physical directories are under.
    pub disk: PathBuf,
    /// The link tree the links are under.
    pub linktree: PathBuf,
}

/// How disks are chosen.
pub struct DiskChoice<'a> {
    /// `(name, path)` from `[disks]` (the testconfig's replace the area's).
    pub disks: &'a [(String, String)],
    /// Used when there are no disks at all.
    pub default_disk: &'a Path,
    /// `[setup] minspace` in KiB.
    pub minspace: u64,
    /// `[setup] free-space-script`.
    pub free_space_script: Option<&'a str>,
}

/// Warns unless `warned` (the disks already warned about) holds `key`.
fn warn_once(warned: &mut HashSet<String>, key: &str, message: impl FnOnce() -> String) {
    if warned.insert(key.to_string()) {
        crate::warn!("{}", message());
    }
}

fn free_space(path: &Path, script: Option<&str>) -> Option<u64> {
    match script {
        Some(script) => {
            let cmd = format!(
                "{script} {}",
                crate::environ::env_file::sh_quote(&path.display().to_string())
            );
            let out = crate::sys::shell::capture(&cmd, path).ok()?;
            out.stdout
                .lines()
                .next()?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        }
        None => sys::free_kib(path),
    }
}

impl DiskChoice<'_> {
    /// The disk with the most free space above `minspace` (spec §2.7); a disk that cannot be
    /// used is warned about once, `warned` holding those said already.
    pub fn choose(&self, warned: &mut HashSet<String>) -> Result<PathBuf> {
        if self.disks.is_empty() {
            return Ok(self.default_disk.to_path_buf());
        }
        let mut best: Option<(u64, PathBuf)> = None;
        for (name, path) in self.disks {
            let dir = PathBuf::from(path.trim());
            let problem = if !dir.is_absolute() {
                Some("is not an absolute path")
            } else if !dir.is_dir() {
                Some("is not a directory")
            } else if !sys::writable(&dir) {
                Some("is not writable")
            } else {
                None
            };
            if let Some(why) = problem {
                warn_once(warned, path, || {
                    format!("[disks] {name} `{path}` {why}; not used")
                });
                continue;
            }
            let Some(free) = free_space(&dir, self.free_space_script) else {
                warn_once(warned, path, || {
                    format!("[disks] {name}: cannot tell the free space of `{path}`; not used")
                });
                continue;
            };
            if free <= self.minspace {
                continue;
            }
            if best.as_ref().is_none_or(|(f, _)| free > *f) {
                best = Some((free, dir));
            }
        }
        best.map(|(_, d)| d).ok_or_else(|| {
            Error::new("no disk in [disks] is usable: none is an absolute, writable directory with more free space than [setup] minspace")
                .note(format!("minspace is {} KiB; disks: {}", self.minspace, self.disks.iter().map(|(n, p)| format!("{n} {p}")).collect::<Vec<_>>().join(", ")))
        })
    }
}

/// The paths of a test's work area, before anything is created. Every name must be a safe
/// path component ([`crate::model::NAME_RULE`]), so the area stays under `disk` and `linktree`.
pub fn plan_work_area(
    disk: &Path,
    linktree: &Path,
    target: &str,
    runname: &str,
    test: &str,
    item: &str,
) -> Result<WorkArea> {
    let components = target
        .split('/')
        .map(|p| ("target part", p))
        .chain([("run name", runname), ("test name", test)]);
    for (what, name) in components {
        crate::model::check_component(name).map_err(|problem| {
            Error::new(format!(
                "refusing to lay out a run directory: the {what} `{}` {problem}",
                name.escape_debug()
            ))
            .note(crate::model::NAME_RULE)
        })?;
    }
    crate::model::check_item_path(item).map_err(|problem| {
        Error::new(format!(
            "refusing to lay out a run directory: the item path `{}` {problem}",
            item.escape_debug()
        ))
        .note(crate::model::ITEM_PATH_RULE)
    })?;
    let toplevel_physical = disk.join(target).join(runname).join(test);
    let toplevel_link = linktree.join(target).join(runname).join(test);
    let (physical, link) = if item.is_empty() {
        (toplevel_physical.clone(), toplevel_link.clone())
    } else {
        let dir = crate::model::item_dir(item);
        (toplevel_physical.join(&dir), toplevel_link.join(&dir))
    };
    Ok(WorkArea {
        physical,
        link,
        toplevel_physical,
        toplevel_link,
        disk: disk.to_path_buf(),
        linktree: linktree.to_path_buf(),
    })
}

/// Checks, before `path` is created, that what already exists of it resolves (symlinks
/// followed) to `root` or below, so the directories still to make land there too.
pub(super) fn ensure_within(root: &Path, path: &Path) -> Result<()> {
    std::fs::create_dir_all(root).map_err(|e| crate::sys::io_error("create", root, &e))?;
    let real_root = root
        .canonicalize()
        .map_err(|e| crate::sys::io_error("resolve", root, &e))?;
    let mut existing = path;
    while std::fs::symlink_metadata(existing).is_err() {
        match existing.parent() {
            Some(parent) => existing = parent,
            None => break,
        }
    }
    let real = existing
        .canonicalize()
        .map_err(|e| crate::sys::io_error("resolve", existing, &e))?;
    if real.starts_with(&real_root) {
        return Ok(());
    }
    Err(Error::new(format!(
        "refusing to write under `{}`: `{}` resolves to `{}`, outside `{}`",
        path.display(),
        existing.display(),
        real.display(),
        real_root.display()
    ))
    .note("run directories stay under the chosen disk and the link tree; a symlink inside them points elsewhere"))
}

impl WorkArea {
    /// Creates the directories and points the link tree at them.
    pub fn create(&self) -> Result<()> {
        ensure_within(&self.disk, &self.physical)?;
        if let Some(parent) = self.toplevel_link.parent() {
            ensure_within(&self.linktree, parent)?;
        }
        std::fs::create_dir_all(&self.physical)
            .map_err(|e| crate::sys::io_error("create the run directory", &self.physical, &e))?;
        if let Some(parent) = self.toplevel_link.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| crate::sys::io_error("create the link-tree directory", parent, &e))?;
        }
        if self.toplevel_link != self.toplevel_physical {
            let current = std::fs::read_link(&self.toplevel_link).ok();
            if current.as_deref() != Some(self.toplevel_physical.as_path()) {
                match std::fs::symlink_metadata(&self.toplevel_link) {
                    Ok(m) if m.is_dir() => {
                        // An old run left a real directory here; keep it, the data is there.
                        return Ok(());
                    }
                    Ok(_) => {
                        let _ = std::fs::remove_file(&self.toplevel_link);
                    }
                    Err(_) => {}
                }
                if let Err(e) =
                    std::os::unix::fs::symlink(&self.toplevel_physical, &self.toplevel_link)
                {
                    // Another launch of the same test may have made it meanwhile.
                    if std::fs::read_link(&self.toplevel_link).ok().as_deref()
                        != Some(self.toplevel_physical.as_path())
                    {
                        return Err(crate::sys::io_error("link", &self.toplevel_link, &e));
                    }
                }
            }
        }
        Ok(())
    }

    /// Empties the run directory (`-preclean`), keeping the directory itself.
    pub fn clean(&self) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(&self.physical) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let removed = match entry.file_type() {
                Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
                _ => std::fs::remove_file(&path),
            };
            removed.map_err(|e| crate::sys::io_error("clean", &path, &e))?;
        }
        Ok(())
    }
}

/// Copies the test's source directory into its run directory, overwriting what is there.
pub fn copy_test_source(src: &Path, dest: &Path) -> Result<()> {
    copy_tree(src, dest).map_err(|e| crate::sys::io_error("copy the test directory into", dest, &e))
}

fn copy_tree(src: &Path, dest: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let from = entry.path();
        let to = dest.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            std::fs::create_dir_all(&to)?;
            copy_tree(&from, &to)?;
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&from)?;
            let _ = std::fs::remove_file(&to);
            std::os::unix::fs::symlink(target, &to)?;
        } else {
            if std::fs::symlink_metadata(&to).is_ok_and(|m| m.file_type().is_symlink()) {
                std::fs::remove_file(&to)?;
            }
            std::fs::copy(&from, &to)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_copy() {
        let tmp = tempfile::tempdir().unwrap();
        let disk = tmp.path().join("disk");
        let lt = tmp.path().join("lt");
        std::fs::create_dir_all(&disk).unwrap();
        let area = plan_work_area(&disk, &lt, "ubuntu/x", "r1", "t", "a/b").unwrap();
        assert_eq!(area.physical, disk.join("ubuntu/x/r1/t/a/b"));
        assert_eq!(area.link, lt.join("ubuntu/x/r1/t/a/b"));
        area.create().unwrap();
        assert!(area.link.is_dir(), "the item is reachable through the link");
        let src = tmp.path().join("src");
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::write(src.join("sub/f"), "x").unwrap();
        copy_test_source(&src, &area.physical).unwrap();
        assert_eq!(
            std::fs::read_to_string(area.link.join("sub/f")).unwrap(),
            "x"
        );
        area.clean().unwrap();
        assert!(!area.physical.join("sub").exists());
        area.create().unwrap();
    }

    #[test]
    fn names_that_would_leave_the_disk_are_refused() {
        let (disk, lt) = (Path::new("/d"), Path::new("/lt"));
        for (target, run, test, item) in [
            ("../..", "r", "t", ""),
            ("a/b", "../x", "t", ""),
            ("a/b", "/abs", "t", ""),
            ("a/b", "r", "t", "../../victim"),
            ("a/b", "r", "-t", ""),
        ] {
            assert!(
                plan_work_area(disk, lt, target, run, test, item).is_err(),
                "{target} {run} {test} {item}"
            );
        }
    }

    #[test]
    fn an_absolute_item_value_nests_under_its_test() {
        let (disk, lt) = (Path::new("/d"), Path::new("/lt"));
        let area = plan_work_area(disk, lt, "a/b", "r", "t", "/tmp/v/data").unwrap();
        assert_eq!(area.physical, Path::new("/d/a/b/r/t/tmp/v/data"));
        assert_eq!(area.link, Path::new("/lt/a/b/r/t/tmp/v/data"));
    }

    #[test]
    fn a_symlink_out_of_the_disk_is_refused_before_anything_is_made() {
        let tmp = tempfile::tempdir().unwrap();
        let (disk, lt, victim) = (
            tmp.path().join("disk"),
            tmp.path().join("lt"),
            tmp.path().join("victim"),
        );
        std::fs::create_dir_all(disk.join("a")).unwrap();
        std::fs::create_dir_all(&victim).unwrap();
        std::os::unix::fs::symlink(&victim, disk.join("a/b")).unwrap();
        let area = plan_work_area(&disk, &lt, "a/b", "r", "t", "i").unwrap();
        let e = area.create().unwrap_err();
        assert!(e.message.contains("outside"), "{e}");
        assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 0);
    }

    #[test]
    fn disks() {
        let tmp = tempfile::tempdir().unwrap();
        let good = tmp.path().display().to_string();
        let disks = vec![
            ("bad".to_string(), "relative/path".to_string()),
            ("good".to_string(), good.clone()),
        ];
        let choice = DiskChoice {
            disks: &disks,
            default_disk: Path::new("/nowhere"),
            minspace: 0,
            free_space_script: None,
        };
        let warned = &mut HashSet::new();
        assert_eq!(choice.choose(warned).unwrap(), PathBuf::from(&good));
        let full = DiskChoice {
            disks: &disks,
            default_disk: Path::new("/nowhere"),
            minspace: u64::MAX,
            free_space_script: None,
        };
        assert!(full.choose(warned).is_err());
        let none = DiskChoice {
            disks: &[],
            default_disk: Path::new("/d"),
            minspace: 0,
            free_space_script: None,
        };
        assert_eq!(none.choose(warned).unwrap(), PathBuf::from("/d"));
    }
}
