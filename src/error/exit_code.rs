//! The exit statuses of `megatest`: a documented contract (see README.md, "Exit codes").
//!
//! The low numbers keep the meanings Megatest 1.65 gives them; the others follow sysexits.

/// Everything asked for was done.
pub const SUCCESS: i32 = 0;
/// Bad input: a malformed config, an invalid target, a failing `#{scheme ...}`, an unreadable
/// file, a `-run` test pattern that names no test.
pub const ERROR: i32 = 1;
/// No `megatest.config` was found (Megatest's own code for this case).
pub const NO_AREA: i32 = 2;
/// A command that works on runs (`-run`, `-remove-runs`, `-set-state-status`, ...) lacks its
/// target, run name or test pattern (Megatest's own code for these cases).
pub const MISSING_SELECTOR: i32 = 3;
/// A test helper (`-step`, `-test-status`, ...) was used outside a running test.
pub const NOT_IN_TEST: i32 = 5;
/// A test helper was given no `:state` or no `:status`.
pub const MISSING_STATE_STATUS: i32 = 6;
/// The command line itself is wrong: an unknown option, a missing option value.
pub const USAGE: i32 = 64;
/// A bug in megatest (an internal error); please report it.
pub const INTERNAL: i32 = 70;
/// Stopped by Ctrl-C (SIGINT).
pub const INTERRUPTED: i32 = 130;
