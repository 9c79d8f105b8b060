//! Reading the log as bytes, a buffer at a time: lines end at `\n`, `\r\n` or a lone `\r`
//! (CHICKEN's `read-line`), the last line may lack a terminator, and memory stays bounded
//! by the longest line, not by the log.

use std::io::{self, Read};

/// Read size: large enough to amortise reads, small enough that a short log costs nothing.
const CHUNK: usize = 1 << 16;

/// A buffered reader that hands out regions of complete lines.
///
/// Both the search for line ends and the buffer's growth are linear in the line's length,
/// however the reader delivers it: bytes already searched are not searched again, and a read
/// that comes back short (a pipe gives at most its buffer) makes the next one small again
/// (twice what it gave) instead of growing a buffer that would only be zero-filled.
pub(super) struct LineInput<R> {
    reader: R,
    buf: Vec<u8>,
    /// Bytes of `buf` already handed out.
    consumed: usize,
    /// Bytes of `buf` searched without finding a line end (but a `\r` as their last byte).
    searched: usize,
    /// Whether the last read filled all it was offered (a file): then reads may grow.
    last_read_full: bool,
    /// How many bytes the last read gave.
    last_read: usize,
    eof: bool,
    /// Bytes looked at for line ends and bytes zero-filled for reads, in all: the work that
    /// must stay linear in the input.
    work: u64,
}

impl<R: Read> LineInput<R> {
    /// Wraps a reader.
    pub(super) fn new(reader: R) -> Self {
        LineInput {
            reader,
            buf: Vec::new(),
            consumed: 0,
            searched: 0,
            last_read_full: true,
            last_read: CHUNK,
            eof: false,
            work: 0,
        }
    }

    /// The next region of whole lines (terminators included; at the end of input the last
    /// line may have none), or `None` at the end.
    pub(super) fn next_region(&mut self) -> io::Result<Option<&[u8]>> {
        self.buf.drain(..self.consumed);
        self.consumed = 0;
        self.searched = 0;
        loop {
            let end = if self.eof {
                self.buf.len()
            } else {
                // A `\r` that ended the searched part may still pair with a `\n`.
                let from = self.searched.saturating_sub(1);
                self.work += (self.buf.len() - from) as u64;
                complete_end(&self.buf[from..]).map_or(0, |e| from + e)
            };
            if end > 0 {
                self.consumed = end;
                return Ok(Some(&self.buf[..end]));
            }
            if self.eof {
                return Ok(None);
            }
            let old = self.buf.len();
            self.searched = old;
            // Reads grow with the data already buffered, so long lines in a file need few
            // reads; after a short read they are small again.
            let want = if self.last_read_full {
                CHUNK.max(old).min(16 << 20)
            } else {
                (self.last_read * 2).clamp(4096, CHUNK)
            };
            self.buf.resize(old + want, 0);
            self.work += want as u64;
            let n = loop {
                match self.reader.read(&mut self.buf[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.buf.truncate(old);
                        return Err(e);
                    }
                }
            };
            self.buf.truncate(old + n);
            self.last_read_full = n == want;
            self.last_read = n;
            if n == 0 {
                self.eof = true;
            }
        }
    }
}

/// The end of the last complete line in `buf` (`None`: no line ends there); a final `\r`
/// waits for a possible `\n`.
fn complete_end(buf: &[u8]) -> Option<usize> {
    match buf.iter().rposition(|&b| b == b'\n' || b == b'\r') {
        Some(i) if buf[i] == b'\r' && i + 1 == buf.len() => buf[..i]
            .iter()
            .rposition(|&b| b == b'\n' || b == b'\r')
            .map(|j| j + 1),
        Some(i) => Some(i + 1),
        None => None,
    }
}

/// The line starting at `pos` of a region: (line without terminator, start of the next).
pub(super) fn split_line(region: &[u8], pos: usize) -> (&[u8], usize) {
    match region[pos..].iter().position(|&b| b == b'\n' || b == b'\r') {
        None => (&region[pos..], region.len()),
        Some(i) => {
            let at = pos + i;
            let next = if region[at] == b'\r' && region.get(at + 1) == Some(&b'\n') {
                at + 2
            } else {
                at + 1
            };
            (&region[pos..at], next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<Vec<u8>> {
        let mut reader = LineInput::new(input);
        let mut out = Vec::new();
        while let Some(region) = reader.next_region().unwrap() {
            let mut pos = 0;
            while pos < region.len() {
                let (line, next) = split_line(region, pos);
                out.push(line.to_vec());
                pos = next;
            }
        }
        out
    }

    #[test]
    fn terminators() {
        assert_eq!(
            lines(b"a\r\nb\rc\nd"),
            vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec(), b"d".to_vec()]
        );
        assert_eq!(lines(b"a\n"), vec![b"a".to_vec()]);
        assert_eq!(lines(b""), Vec::<Vec<u8>>::new());
        assert_eq!(lines(b"\n\n"), vec![b"".to_vec(), b"".to_vec()]);
        assert_eq!(lines(b"x\r"), vec![b"x".to_vec()]);
        assert_eq!(lines(b"\xff\x00z\n"), vec![b"\xff\x00z".to_vec()]);
    }

    #[test]
    fn a_long_line_read_in_small_pieces_is_whole() {
        struct Pipe(Vec<u8>, usize);
        impl Read for Pipe {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(4096).min(self.0.len() - self.1);
                buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
                self.1 += n;
                Ok(n)
            }
        }
        let mut text = vec![b'x'; 1 << 20];
        text.extend_from_slice(b"\r\nend\r");
        let mut reader = LineInput::new(Pipe(text, 0));
        let mut regions = Vec::new();
        while let Some(region) = reader.next_region().unwrap() {
            regions.push(region.len());
        }
        assert_eq!(regions, vec![(1 << 20) + 2, 4]);
        assert!(reader.buf.capacity() < 4 << 20, "the buffer grew past need");
        // Quadratic handling of 256 reads would be over 100 MiB of work.
        assert!(
            reader.work < 4 << 20,
            "work {} for a 1 MiB line",
            reader.work
        );
    }

    #[test]
    fn crlf_split_across_reads() {
        struct Dribble(Vec<u8>, usize);
        impl Read for Dribble {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.1 >= self.0.len() {
                    return Ok(0);
                }
                buf[0] = self.0[self.1];
                self.1 += 1;
                Ok(1)
            }
        }
        let mut reader = LineInput::new(Dribble(b"ab\r\ncd\r\n".to_vec(), 0));
        let mut all = Vec::new();
        while let Some(region) = reader.next_region().unwrap() {
            all.extend_from_slice(region);
            assert!(
                !region.ends_with(b"\r"),
                "a region never ends between \\r and \\n"
            );
        }
        assert_eq!(all, b"ab\r\ncd\r\n");
    }
}
