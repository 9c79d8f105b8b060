//! `[archive]` and `[archive-disks]`: how and where archives are written.

use super::method::Method;
use crate::area::Area;
use crate::error::{Error, Result};

/// Free space an archive disk keeps beyond what is written, in MB (1.65's default).
const DEFAULT_MINSPACE_MB: u64 = 1000;

/// The archive settings of an area.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveSettings {
    /// bup or tar.
    pub method: Method,
    /// MB an archive disk must keep free beyond the archive.
    pub minspace_mb: u64,
    /// `[archive-disks]`: name and path, in the config's order.
    pub disks: Vec<(String, String)>,
    /// The area's name, which names its blocks and bup branches.
    pub area_name: String,
}

impl ArchiveSettings {
    /// Reads them from the area's config.
    pub fn read(area: &Area) -> Result<ArchiveSettings> {
        let get = |k: &str| {
            area.config
                .get("archive", k)
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let compress = match get("compress") {
            None => 9,
            Some(v) => v.parse::<u8>().ok().filter(|c| *c <= 9).ok_or_else(|| {
                Error::new(format!(
                    "[archive] compress `{v}` is not a compression level (0 to 9)"
                ))
            })?,
        };
        let method = match get("method").unwrap_or("bup") {
            "bup" => Method::Bup {
                exe: get("bup").unwrap_or("bup").to_string(),
                compress,
            },
            "tar" => Method::Tar {
                exe: get("tar").unwrap_or("tar").to_string(),
            },
            other => {
                return Err(Error::new(format!(
                    "[archive] method `{other}` is not an archive method (bup or tar)"
                )));
            }
        };
        let minspace_mb = match get("minspace") {
            None => DEFAULT_MINSPACE_MB,
            Some(v) => v.parse().map_err(|_| {
                Error::new(format!(
                    "[archive] minspace `{v}` is not a number of megabytes"
                ))
            })?,
        };
        Ok(ArchiveSettings {
            method,
            minspace_mb,
            disks: area.config.pairs("archive-disks"),
            area_name: crate::runner::area_name(area),
        })
    }
}
