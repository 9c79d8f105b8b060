//! Writing to standard output: a closed pipe (`megatest ... | head`) ends output quietly;
//! any other failure (a full disk, `> /dev/full`) is remembered so the command ends non-zero.

use std::io::Write;
use std::sync::atomic::{AtomicI32, Ordering};

/// The OS error of the first failed write other than a closed pipe (0: none). Process-wide,
/// as stdout is.
static FAILED_WRITE: AtomicI32 = AtomicI32::new(0);

/// Writes `text` to stdout; returns false if it could not be written.
pub fn print(text: &str) -> bool {
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    match written {
        Ok(()) => true,
        Err(e) => {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                let code = e.raw_os_error().unwrap_or(libc::EIO);
                let _ = FAILED_WRITE.compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst);
            }
            false
        }
    }
}

/// Writes `line` and a newline to stdout.
pub fn println(line: &str) -> bool {
    print(&format!("{line}\n"))
}

/// Forgets an earlier failure: a reused executor starts each job afresh.
pub fn reset() {
    FAILED_WRITE.store(0, Ordering::SeqCst);
}

/// Why output was lost, when a write to stdout failed for another reason than a closed pipe.
pub fn failure() -> Option<std::io::Error> {
    match FAILED_WRITE.load(Ordering::SeqCst) {
        0 => None,
        code => Some(std::io::Error::from_raw_os_error(code)),
    }
}
