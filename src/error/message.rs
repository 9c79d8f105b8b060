//! The user-facing error: what went wrong, where in the input, and what kind of failure it
//! is (which gives the exit code).

use super::kind::ErrorKind;
use std::fmt;
use std::path::{Path, PathBuf};

/// A place in an input file, for the `--> file:line:col` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as megatest found it.
    pub file: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// How many characters the caret line underlines (at least 1).
    pub width: usize,
    /// The text of that line, to show under the frame.
    pub text: String,
}

impl Location {
    /// A location at a byte offset within one physical line of a file.
    pub fn in_line(
        file: &Path,
        line: usize,
        text: &str,
        byte_offset: usize,
        byte_len: usize,
    ) -> Self {
        let start = floor_char_boundary(text, byte_offset.min(text.len()));
        let end = floor_char_boundary(text, (byte_offset + byte_len).min(text.len()));
        let column = text[..start].chars().count() + 1;
        let width = text[start..end].chars().count().max(1);
        Location {
            file: file.to_path_buf(),
            line,
            column,
            width,
            text: text.to_string(),
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// An error to show the user: one message, an optional place, notes, and its kind.
/// Boxed, so results stay small on the happy path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<Details>);

/// What an [`Error`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    /// What went wrong, as a lowercase fragment (`unknown helper \`foo\``).
    pub message: String,
    /// Where, when the error comes from an input file.
    pub location: Option<Location>,
    /// Extra lines: what was expected, where something else was defined.
    pub notes: Vec<String>,
    /// What kind of failure it is.
    pub kind: ErrorKind,
}

impl Error {
    /// A bad-input error ([`ErrorKind::Config`]).
    pub fn new(message: impl Into<String>) -> Self {
        Error::of(ErrorKind::Config, message)
    }

    /// An error of a kind.
    pub fn of(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Details {
            message: message.into(),
            location: None,
            notes: Vec::new(),
            kind,
        }))
    }

    /// A command-line error ([`ErrorKind::Usage`]).
    pub fn usage(message: impl Into<String>) -> Self {
        Error::of(ErrorKind::Usage, message)
    }

    /// The process exit code this error maps to (see [`crate::error::exit_code`]).
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }

    /// The same error as another kind.
    pub fn as_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// Attaches the place in the input.
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Adds a note line.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

impl std::ops::Deref for Error {
    type Target = Details;
    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for Error {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::render(self))
    }
}

impl std::error::Error for Error {}

/// Results whose errors are shown to the user.
pub type Result<T, E = Error> = std::result::Result<T, E>;
