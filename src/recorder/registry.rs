//! The area's long-lived servers (`megatest -server`). Each announces itself as Megatest
//! 1.65 does, in `<area>/logs/server-<pid>-<host>.log` with the line
//! `SERVER STARTED: host:port AT epoch`, and keeps the file's time fresh while it serves: a
//! file untouched for [`FRESH`] is a dead server's (1.65's rule), so a server killed outright
//! drops out by itself. Only logs of this process's user that nobody else may write are
//! believed: a client sends the area's secret to the address a log names.

use crate::error::{Error, Result};
use std::io::{BufRead, Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

/// How recently a live server's log was touched.
pub const FRESH: Duration = Duration::from_secs(10);

/// How often a serving server touches its log.
const TOUCH_EVERY: Duration = Duration::from_secs(2);

/// How far ahead of the reader's clock a log's time may be and still count as fresh (the
/// file server's clock sets it).
const AHEAD: Duration = Duration::from_secs(60);

/// The line that announces a server.
const STARTED: &str = "SERVER STARTED: ";

/// The line a server that stopped cleanly leaves.
const STOPPED: &str = "SERVER STOPPED";

/// One server found in the area's logs.
#[derive(Debug, Clone)]
pub struct ServerEntry {
    /// Its process id (from the file name).
    pub pid: u32,
    /// Its host (from the file name).
    pub host: String,
    /// `host:port` it listens on.
    pub address: String,
    /// When it started (seconds since the epoch).
    pub started: i64,
    /// When its log was last touched.
    pub modified: SystemTime,
    /// Its log file.
    pub log: PathBuf,
    /// Whether it wrote that it stopped.
    pub stopped: bool,
}

impl ServerEntry {
    /// Whether it serves: its log is fresh and it did not say it stopped.
    pub fn alive(&self) -> bool {
        !self.stopped && fresh(self.modified)
    }
}

/// Whether a log touched at `modified` belongs to a live server.
fn fresh(modified: SystemTime) -> bool {
    let now = SystemTime::now();
    match now.duration_since(modified) {
        Ok(age) => age < FRESH,
        // Ahead of this host's clock (the file server's is): a little is fresh.
        Err(ahead) => ahead.duration() < AHEAD,
    }
}

/// The servers announced in the area's `logs/`, the most recently touched first.
pub fn servers(top: &Path) -> Vec<ServerEntry> {
    let Ok(entries) = std::fs::read_dir(top.join("logs")) else {
        return Vec::new();
    };
    let mut found: Vec<ServerEntry> = entries
        .flatten()
        .filter_map(|e| entry(&e.path(), false))
        .collect();
    found.sort_by_key(|s| std::cmp::Reverse(s.modified));
    found
}

/// `host:port` of every live server of the area running on `host` (the database's: a
/// server elsewhere would write the database over the network).
pub fn live_addresses(top: &Path, host: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(top.join("logs")) else {
        return Vec::new();
    };
    let mut live: Vec<ServerEntry> = entries
        .flatten()
        .filter_map(|e| entry(&e.path(), true))
        .filter(|s| s.alive() && crate::sys::same_host(&s.host, host))
        .collect();
    live.sort_by_key(|s| std::cmp::Reverse(s.modified));
    live.into_iter().map(|s| s.address).collect()
}

/// Reads one `server-<pid>-<host>.log`; with `only_fresh`, a stale one is not read at all
/// (1.65's logs can be long, and clients look while they retry).
fn entry(log: &Path, only_fresh: bool) -> Option<ServerEntry> {
    let name = log.file_name()?.to_str()?;
    let (pid, host) = name
        .strip_prefix("server-")?
        .strip_suffix(".log")?
        .split_once('-')?;
    let pid = pid.parse().ok()?;
    let file = std::fs::File::open(log).ok()?;
    let meta = file.metadata().ok()?;
    let modified = meta.modified().ok()?;
    if only_fresh && !fresh(modified) {
        return None;
    }
    if meta.uid() != crate::sys::user_id() || meta.mode() & 0o022 != 0 {
        crate::debug!(
            2,
            "not believing `{}`: another user's, or others may write it",
            log.display()
        );
        return None;
    }
    let mut reader = std::io::BufReader::new(file);
    let mut first = String::new();
    reader.by_ref().take(4096).read_line(&mut first).ok()?;
    let (address, started) = started_line(first.trim_end())?;
    // The stop line is the last one.
    let mut tail = String::new();
    reader
        .seek(std::io::SeekFrom::Start(meta.len().saturating_sub(256)))
        .ok()?;
    reader.take(256).read_to_string(&mut tail).ok()?;
    Some(ServerEntry {
        pid,
        host: host.to_string(),
        address,
        started,
        modified,
        log: log.to_path_buf(),
        stopped: tail.lines().any(|l| l.starts_with(STOPPED)),
    })
}

/// `SERVER STARTED: host:port AT epoch` → (`host:port`, epoch).
fn started_line(line: &str) -> Option<(String, i64)> {
    let rest = line.strip_prefix(STARTED)?;
    let (address, at) = rest.split_once(" AT ")?;
    let (_, port) = address.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    let at = at.trim().split('.').next()?.parse().ok()?;
    Some((address.to_string(), at))
}

/// A serving server's entry: touched while it lives, marked stopped when dropped.
pub struct Announcement {
    log: PathBuf,
    stop: Arc<AtomicBool>,
    toucher: Option<std::thread::JoinHandle<()>>,
}

impl Announcement {
    /// Writes `<top>/logs/server-<pid>-<host>.log` announcing `address`.
    pub fn announce(top: &Path, address: &str) -> Result<Announcement> {
        let dir = top.join("logs");
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::new(format!("cannot make `{}`: {e}", dir.display())))?;
        let log = dir.join(format!(
            "server-{}-{}.log",
            std::process::id(),
            crate::sys::host_name()
        ));
        // Only this user may write it: clients believe no other log.
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&log)
            .and_then(|mut file| {
                file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
                writeln!(file, "{STARTED}{address} AT {}", epoch())
            });
        written.map_err(|e| Error::new(format!("cannot write `{}`: {e}", log.display())))?;
        let stop = Arc::new(AtomicBool::new(false));
        let toucher = std::thread::Builder::new()
            .name("server-log".into())
            .stack_size(64 * 1024)
            .spawn({
                let (log, stop) = (log.clone(), stop.clone());
                move || touch_until(&log, &stop)
            })
            .map_err(|e| Error::new(format!("cannot start a thread: {e}")))?;
        Ok(Announcement {
            log,
            stop,
            toucher: Some(toucher),
        })
    }

    /// The log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Adds a line to the log.
    pub fn note(&self, line: &str) {
        let file = std::fs::OpenOptions::new().append(true).open(&self.log);
        if let Ok(mut file) = file {
            let _ = writeln!(file, "{line}");
        }
    }
}

impl Drop for Announcement {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(toucher) = self.toucher.take() {
            toucher.thread().unpark();
            let _ = toucher.join();
        }
        self.note(&format!("{STOPPED} AT {}", epoch()));
    }
}

fn touch_until(log: &Path, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        if let Ok(file) = std::fs::OpenOptions::new().append(true).open(log) {
            // By the file system's clock (on NFS, the server's): readers on other hosts
            // then compare with one clock.
            crate::sys::touch_now(&file);
        }
        std::thread::park_timeout(TOUCH_EVERY);
    }
}

fn epoch() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_listed_alive_while_announced_and_stopped_after() {
        let dir = tempfile::tempdir().unwrap();
        assert!(servers(dir.path()).is_empty());
        let announced = Announcement::announce(dir.path(), "127.0.0.1:4567").unwrap();
        let found = servers(dir.path());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].address, "127.0.0.1:4567");
        assert_eq!(found[0].pid, std::process::id());
        assert!(found[0].alive());
        let here = crate::sys::host_name();
        assert_eq!(live_addresses(dir.path(), &here), ["127.0.0.1:4567"]);
        assert!(
            live_addresses(dir.path(), "another-host.invalid").is_empty(),
            "a server on another host than the database's is not used"
        );
        drop(announced);
        let found = servers(dir.path());
        assert!(found[0].stopped && !found[0].alive());
        assert!(live_addresses(dir.path(), &here).is_empty());
    }

    #[test]
    fn stale_and_foreign_logs() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        let old = logs.join("server-12-vm.log");
        std::fs::write(&old, "SERVER STARTED: vm:5000 AT 1700000000.5\n").unwrap();
        let file = std::fs::OpenOptions::new().append(true).open(&old).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(60))
            .unwrap();
        std::fs::write(logs.join("server-x-vm.log"), "SERVER STARTED: vm:1 AT 1\n").unwrap();
        std::fs::write(logs.join("server-13-vm.log"), "no start line\n").unwrap();
        std::fs::write(logs.join("run.log"), "SERVER STARTED: vm:1 AT 1\n").unwrap();
        let found = servers(dir.path());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].pid, found[0].started), (12, 1_700_000_000));
        assert!(!found[0].alive(), "untouched for a minute");
    }

    #[test]
    fn a_log_others_may_write_is_not_believed() {
        let dir = tempfile::tempdir().unwrap();
        let announced = Announcement::announce(dir.path(), "127.0.0.1:4567").unwrap();
        let here = crate::sys::host_name();
        assert_eq!(live_addresses(dir.path(), &here).len(), 1);
        std::fs::set_permissions(announced.log(), std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(live_addresses(dir.path(), &here).is_empty());
        assert!(servers(dir.path()).is_empty());
    }
}
