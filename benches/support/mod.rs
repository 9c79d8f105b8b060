//! What the benches that drive megatest and other programs share.

use std::process::Command;
use std::time::{Duration, Instant};

/// Runs a command to its end; its failure stops the bench with what it said.
pub(crate) fn sh(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// How long `f` took.
pub(crate) fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}
