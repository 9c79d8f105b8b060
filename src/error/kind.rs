//! What kind of failure an error is. The exit code follows from the kind alone, so the
//! exit-code contract (`exit_code`, README "Exit codes") is kept in one table.

use crate::error::exit_code;

/// The kind of an [`super::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command line itself is wrong: an unknown option, a missing value.
    Usage,
    /// Bad input: a malformed config, rule file or value, or one naming what does not exist.
    Config,
    /// No `megatest.config` was found.
    NoArea,
    /// A command that works on runs lacks its target, run name or test pattern.
    MissingSelector,
    /// A test helper (`-step`, `-test-status`, ...) was used outside a running test.
    NotInTest,
    /// A test helper was given no `:state` or no `:status`, or nothing to run.
    MissingStateStatus,
    /// The database could not be opened, read or written.
    Database,
    /// A file, directory or process could not be read, written or run.
    Io,
    /// Scheme code failed.
    Scheme,
    /// Stopped by Ctrl-C.
    Interrupted,
    /// A bug in megatest.
    Internal,
}

impl ErrorKind {
    /// The process exit code of an error of this kind.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Usage => exit_code::USAGE,
            ErrorKind::NoArea => exit_code::NO_AREA,
            ErrorKind::MissingSelector => exit_code::MISSING_SELECTOR,
            ErrorKind::NotInTest => exit_code::NOT_IN_TEST,
            ErrorKind::MissingStateStatus => exit_code::MISSING_STATE_STATUS,
            ErrorKind::Interrupted => exit_code::INTERRUPTED,
            ErrorKind::Internal => exit_code::INTERNAL,
            ErrorKind::Config | ErrorKind::Database | ErrorKind::Io | ErrorKind::Scheme => {
                exit_code::ERROR
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_of_every_sort_exits_1_and_the_rest_keep_their_codes() {
        for kind in [
            ErrorKind::Config,
            ErrorKind::Database,
            ErrorKind::Io,
            ErrorKind::Scheme,
        ] {
            assert_eq!(kind.exit_code(), 1, "{kind:?}");
        }
        assert_eq!(ErrorKind::NoArea.exit_code(), 2);
        assert_eq!(ErrorKind::Usage.exit_code(), 64);
        assert_eq!(ErrorKind::Internal.exit_code(), 70);
    }
}
