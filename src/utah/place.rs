//! Where a UTAH run happens and what it says of the system: the area (found, or made where
//! there is none), the target and run name it gets by default, the link tree its work
//! area is in, and the report's `uname`, `arch`, `release` and `user`.

use crate::area::{Area, AreaOptions};
use crate::error::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// Who runs the client: `$USER`, else the name of this process's user id.
pub fn caller() -> String {
    if let Some(user) = crate::environ::var("USER").filter(|u| !u.is_empty()) {
        return user;
    }
    let uid = crate::sys::user_id().to_string();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                (fields.len() > 2 && fields[2] == uid).then(|| fields[0].to_string())
            })
        })
        .unwrap_or_else(crate::environ::user_name)
}

/// `path` from the current directory.
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir()
        .map(|d| d.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The area: the one at or above the start directory, else one made there.
pub fn open_area(
    start_dir: Option<&Path>,
    target: Option<&str>,
    suite_sources: &[PathBuf],
) -> Result<Area> {
    if let Some(dir) = start_dir {
        std::env::set_current_dir(dir).map_err(|e| {
            Error::usage(format!(
                "cannot change to the start directory {}: {}",
                dir.display(),
                crate::sys::io_reason(&e)
            ))
        })?;
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
    if crate::area::locate(None, &cwd).is_err() {
        // An area made inside a suite that is copied into it would copy itself: it is made
        // beside the suite instead.
        let real = cwd.canonicalize().unwrap_or_else(|_| cwd.clone());
        let inside = suite_sources
            .iter()
            .filter_map(|s| s.canonicalize().ok())
            .filter(|s| real.starts_with(s))
            .min_by_key(|s| s.components().count());
        let dir = match inside {
            Some(suite) => {
                let parent = suite.parent().map(Path::to_path_buf).ok_or_else(|| {
                    Error::usage(format!(
                        "{} is inside the suite {}, which utah copies; run utah from another directory (or give --start-dir)",
                        cwd.display(),
                        suite.display()
                    ))
                })?;
                std::env::set_current_dir(&parent).map_err(|e| {
                    Error::usage(format!(
                        "cannot change to {}: {}",
                        parent.display(),
                        crate::sys::io_reason(&e)
                    ))
                })?;
                crate::output::log::emit(format_args!(
                    "utah: {} is inside the suite {}, which is copied for the run: the area is made beside it",
                    cwd.display(),
                    suite.display()
                ));
                parent
            }
            None => cwd,
        };
        make_area(&dir)?;
    }
    Area::load(&AreaOptions {
        target: target.map(str::to_string),
        ..AreaOptions::default()
    })
}

/// The megatest.config utah writes where there is no area.
const GENERATED_CONFIG: &str = "\
# Made by utah: this directory is a Megatest area holding the UTAH runs started here.
# A run's target is ARCH/RELEASE, the UTAH report's arch and release; its tests are the
# runlist's suites, their items the suites' cases.
[fields]
arch TEXT
release TEXT

[setup]
linktree #{getenv MT_RUN_AREA_HOME}/links
";

fn make_area(dir: &Path) -> Result<()> {
    let io = |what: &str, e: std::io::Error| {
        Error::of(
            ErrorKind::Io,
            format!(
                "cannot make {what} in {}: {}",
                dir.display(),
                crate::sys::io_reason(&e)
            ),
        )
    };
    std::fs::write(dir.join("megatest.config"), GENERATED_CONFIG)
        .map_err(|e| io("megatest.config", e))?;
    if !dir.join("runconfigs.config").exists() {
        std::fs::write(dir.join("runconfigs.config"), "[default]\n")
            .map_err(|e| io("runconfigs.config", e))?;
    }
    crate::output::log::emit(format_args!(
        "utah: made {} a Megatest area for UTAH runs (megatest.config)",
        dir.display()
    ));
    Ok(())
}

/// ARCH/RELEASE, in an area whose keys are those.
pub fn default_target(area: &Area) -> Result<String> {
    if area.keys == ["arch", "release"] {
        // A target value is one directory name: `n/a` becomes `n-a`.
        return Ok(format!(
            "{}/{}",
            std::env::consts::ARCH,
            release().replace('/', "-")
        ));
    }
    Err(Error::usage(format!(
        "this area's targets are {}: say which with --target (or -target)",
        area.keys.join("/")
    )))
}

/// The area's link tree (`[setup] linktree`, else `TOP/lt`, as Megatest's default).
pub fn linktree(area: &Area) -> PathBuf {
    match area.config.get("setup", "linktree").map(str::trim) {
        Some(dir) if !dir.is_empty() => area.top.join(dir),
        _ => area.top.join("lt"),
    }
}

/// `utah-YYYYMMDD-HHMMSS`, with `-2`, `-3`... when that run's directory exists.
pub fn unique_runname(target_dir: &Path) -> String {
    let base = chrono::Local::now()
        .format("utah-%Y%m%d-%H%M%S")
        .to_string();
    let mut name = base.clone();
    let mut n = 1;
    while target_dir.join(&name).exists() {
        n += 1;
        name = format!("{base}-{n}");
    }
    name
}

/// The release codename (`VERSION_CODENAME` of /etc/os-release), or `n/a`.
pub fn release() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
                .map(|v| v.trim_matches('"').to_string())
        })
        .filter(|v| !v.is_empty() && crate::model::check_component(v).is_ok())
        .unwrap_or_else(|| "n/a".to_string())
}

/// `uname`'s five fields, as Python's `os.uname()`.
pub fn uname() -> Vec<String> {
    let read = |f: &str| {
        std::fs::read_to_string(format!("/proc/sys/kernel/{f}"))
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|_| "n/a".to_string())
    };
    vec![
        read("ostype"),
        read("hostname"),
        read("osrelease"),
        read("version"),
        std::env::consts::ARCH.to_string(),
    ]
}

/// Writes `text` to `path` through a temporary file beside it, so a reader never sees half.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("utah-tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            Error::of(
                ErrorKind::Io,
                format!(
                    "cannot write the report {}: {}",
                    path.display(),
                    crate::sys::io_reason(&e)
                ),
            )
        })
}
