//! The archivers: bup (1.65's, deduplicating, the default) and tar (for hosts without bup).
//! Each saves directories under a disk root into a block, and restores one of them to the
//! same place under a root.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How archives are written.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// bup, with this program and compression level (`[archive] bup`, `compress`).
    Bup {
        /// The program.
        exe: String,
        /// 0 to 9.
        compress: u8,
    },
    /// tar, one uncompressed file per save (`[archive] method tar`).
    Tar {
        /// The program.
        exe: String,
    },
}

impl Method {
    /// `bup` or `tar`, as the `archives` table records it.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Bup { .. } => "bup",
            Method::Tar { .. } => "tar",
        }
    }

    /// Saves `dirs` (each `root/suffix`) into `block`, named from `name`; returns where in
    /// the block they are (a bup branch, or a tar file).
    pub(super) fn save(
        &self,
        block: &Path,
        root: &Path,
        suffixes: &[PathBuf],
        name: &str,
    ) -> Result<String> {
        std::fs::create_dir_all(block)
            .map_err(|e| crate::sys::io_error("create the archive block", block, &e))?;
        // One save at a time in a block: the name is chosen, then written.
        let lock_path = block.join(".megatest-lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| crate::sys::io_error("open", &lock_path, &e))?;
        lock.lock()
            .map_err(|e| crate::sys::io_error("lock", &lock_path, &e))?;
        match self {
            Method::Bup { exe, compress } => {
                if !block.join("HEAD").exists() {
                    run(Command::new(exe).arg("-d").arg(block).arg("init"), exe)?;
                }
                let branch = unused(name, |n| block.join("refs/heads").join(n).exists());
                let dirs: Vec<PathBuf> = suffixes.iter().map(|s| root.join(s)).collect();
                run(
                    Command::new(exe)
                        .arg("-d")
                        .arg(block)
                        .arg("index")
                        .args(&dirs),
                    exe,
                )?;
                let strip = format!("--strip-path={}", root.display());
                run(
                    Command::new(exe)
                        .arg("-d")
                        .arg(block)
                        .arg("save")
                        .arg(format!("-{compress}"))
                        .arg("-n")
                        .arg(&branch)
                        .arg(strip)
                        .args(&dirs),
                    exe,
                )?;
                Ok(branch)
            }
            Method::Tar { exe } => {
                let file_name = unused(name, |n| block.join(format!("{n}.tar")).exists()) + ".tar";
                let file = block.join(&file_name);
                // Written aside and renamed: a save that fails leaves no partial archive.
                let partial = block.join(format!(".{file_name}.partial"));
                let written = run(
                    Command::new(exe)
                        .arg("-C")
                        .arg(root)
                        .arg("-cf")
                        .arg(&partial)
                        .args(suffixes.iter().map(|s| Path::new(".").join(s))),
                    exe,
                )
                .and_then(|()| {
                    std::fs::rename(&partial, &file)
                        .map_err(|e| crate::sys::io_error("finish the archive", &file, &e))
                });
                if let Err(e) = written {
                    let _ = std::fs::remove_file(&partial);
                    return Err(e);
                }
                Ok(file.display().to_string())
            }
        }
    }

    /// Restores `suffix` from `location` in `block` to `root/suffix`.
    pub(super) fn restore(
        &self,
        block: &Path,
        location: &str,
        root: &Path,
        suffix: &Path,
    ) -> Result<()> {
        match self {
            Method::Bup { exe, .. } => {
                let parent = root.join(suffix.parent().unwrap_or(Path::new("")));
                std::fs::create_dir_all(&parent)
                    .map_err(|e| crate::sys::io_error("create", &parent, &e))?;
                run(
                    Command::new(exe)
                        .arg("-d")
                        .arg(block)
                        .arg("restore")
                        .arg("-C")
                        .arg(&parent)
                        .arg(format!("{location}/latest/{}", suffix.display())),
                    exe,
                )
            }
            Method::Tar { exe } => {
                std::fs::create_dir_all(root)
                    .map_err(|e| crate::sys::io_error("create", root, &e))?;
                run(
                    Command::new(exe)
                        .arg("-C")
                        .arg(root)
                        .arg("-xpf")
                        .arg(location)
                        .arg(Path::new(".").join(suffix)),
                    exe,
                )
            }
        }
    }
}

/// `name`, or `name-2`, `name-3`, ... the first that is not `taken`.
fn unused(name: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut candidate = name.to_string();
    let mut n = 2;
    while taken(&candidate) {
        candidate = format!("{name}-{n}");
        n += 1;
    }
    candidate
}

/// Runs an archiver; its failure is an error with the end of what it said.
fn run(cmd: &mut Command, exe: &str) -> Result<()> {
    let shown = format!("{cmd:?}").replace('"', "");
    crate::debug!(1, "running {shown}");
    let out = cmd.output().map_err(|e| {
        let err = Error::new(format!("cannot run `{exe}`: {}", crate::sys::io_reason(&e)));
        if e.kind() == std::io::ErrorKind::NotFound {
            err.note("install it (Debian: apt install bup), or set `[archive] method tar` (or the program's path, `[archive] bup` or `tar`) in megatest.config")
        } else {
            err
        }
    })?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = said.lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(Error::new(format!(
        "{shown} failed ({}): {}",
        out.status,
        tail.join(" | ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_already_taken_get_a_number() {
        let taken = ["a-1", "a-1-2"];
        assert_eq!(unused("a-1", |n| taken.contains(&n)), "a-1-3");
        assert_eq!(unused("b", |n| taken.contains(&n)), "b");
    }

    #[test]
    fn tar_gives_back_what_it_saved() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("disk");
        let dir = root.join("linux/r1/t");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/f"), b"data\x00\xff").unwrap();
        let tar = Method::Tar { exe: "tar".into() };
        let block = tmp.path().join("block");
        let suffix = PathBuf::from("linux/r1/t");
        let at = tar
            .save(&block, &root, std::slice::from_ref(&suffix), "x-1")
            .unwrap();
        assert_eq!(at, block.join("x-1.tar").display().to_string());
        let again = tar
            .save(&block, &root, std::slice::from_ref(&suffix), "x-1")
            .unwrap();
        assert!(again.ends_with("x-1-2.tar"), "{again}");
        std::fs::remove_dir_all(&root).unwrap();
        tar.restore(&block, &at, &root, &suffix).unwrap();
        assert_eq!(std::fs::read(dir.join("sub/f")).unwrap(), b"data\x00\xff");
    }

    #[test]
    fn a_failing_save_leaves_no_partial_file() {
        let tmp = tempfile::tempdir().unwrap();
        let tar = Method::Tar { exe: "tar".into() };
        let block = tmp.path().join("block");
        let err = tar
            .save(&block, tmp.path(), &[PathBuf::from("missing")], "x")
            .unwrap_err();
        assert!(err.message.contains("failed"), "{}", err.message);
        let left: Vec<String> = std::fs::read_dir(&block)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, [".megatest-lock"], "no partial archive");
    }
}
