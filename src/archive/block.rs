//! Choosing an archive block (spec §17.2): the `[archive-disks]` entry with the most free
//! space that keeps `[archive] minspace` free after the archive, and in it the block
//! `YYYY_qN/AREA_HASH` of this quarter, registered in `archive_disks` and `archive_blocks`.

use super::settings::ArchiveSettings;
use crate::db::Store;
use crate::error::{Error, Result};
use crate::sys;
use chrono::Datelike;
use md5::{Digest, Md5};
use std::path::{Path, PathBuf};

/// A block to write archives into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Block {
    /// Its `archive_blocks` id.
    pub id: i64,
    /// Its directory.
    pub path: PathBuf,
}

/// The block for an archive of `needed_kib` of the area at `area_top`.
pub(super) fn allocate(
    store: &Store,
    settings: &ArchiveSettings,
    area_top: &Path,
    needed_kib: u64,
) -> Result<Block> {
    let wanted = settings
        .minspace_mb
        .saturating_mul(1024)
        .saturating_add(needed_kib);
    let mut best: Option<(u64, &str, PathBuf)> = None;
    let mut seen = Vec::new();
    for (name, path) in &settings.disks {
        let dir = PathBuf::from(path.trim());
        let problem = if !dir.is_absolute() {
            Some("is not an absolute path".to_string())
        } else if !dir.is_dir() {
            Some("is missing (not a directory)".to_string())
        } else if !sys::writable(&dir) {
            Some("is not writable".to_string())
        } else {
            match sys::free_kib(&dir) {
                None => Some("has a free space that cannot be read".to_string()),
                Some(free) if free <= wanted => Some(format!("has {} MB free", free / 1024)),
                Some(free) => {
                    if best.as_ref().is_none_or(|(f, _, _)| free > *f) {
                        best = Some((free, name, dir.clone()));
                    }
                    None
                }
            }
        };
        if let Some(why) = problem {
            seen.push(format!("{name} `{}` {why}", dir.display()));
        }
    }
    let Some((free, name, disk)) = best else {
        let mut err = Error::new(format!(
            "no archive disk can take this archive: it needs {} MB plus the {} MB that [archive] minspace keeps free",
            needed_kib.div_ceil(1024),
            settings.minspace_mb
        ));
        err = if seen.is_empty() {
            err.note("megatest.config has no [archive-disks] section: add one, `NAME /path/to/disk` per line")
        } else {
            err.note(format!("[archive-disks]: {}", seen.join("; ")))
        };
        return Err(err.note("nothing was archived or removed"));
    };
    let disk_id = store.register_archive_disk(name, &disk.display().to_string(), free)?;
    let path = disk.join(block_name(&settings.area_name, area_top));
    let id = store.register_archive_block(disk_id, &path.display().to_string())?;
    Ok(Block { id, path })
}

/// `YYYY_qN/AREA_HASH`: this quarter's block of the area (HASH is the first five hex digits
/// of the MD5 of the area's path, as in 1.65).
fn block_name(area_name: &str, area_top: &Path) -> String {
    let now = chrono::Local::now();
    let quarter = (now.month() - 1) / 3 + 1;
    let digest = Md5::digest(area_top.display().to_string().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}_q{quarter}/{}_{}",
        now.year(),
        safe_name(area_name),
        &hex[..5]
    )
}

/// A name fit for a directory, a bup branch and a tar file: what git refuses in a branch
/// name (and `/`) becomes `_`.
pub(super) fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.+=,@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.replace("..", "__");
    match cleaned.trim_start_matches(['.', '-']) {
        "" => "area".to_string(),
        _ if cleaned.starts_with(['.', '-']) => format!("_{cleaned}"),
        _ => cleaned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_names_follow_the_quarter_and_the_area() {
        let name = block_name("fullrun", Path::new("/home/me/fullrun"));
        let (quarter, area) = name.split_once('/').unwrap();
        assert!(quarter.len() == 7 && quarter.contains("_q"), "{name}");
        assert!(area.starts_with("fullrun_") && area.len() == "fullrun_".len() + 5);
        assert_eq!(safe_name("my area/x"), "my_area_x");
        assert_eq!(safe_name("..x"), "__x");
        assert_eq!(safe_name("-x"), "_-x");
        assert_eq!(safe_name(""), "area");
    }
}
