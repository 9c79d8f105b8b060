//! Reading the log as bytes, a buffer at a time: lines end at `\n`, `\r\n` or a lone `\r`
//! (CHICKEN's `read-line`), the last line may lack a terminator, and memory stays bounded
//! by the longest line, not by the log.

use std::io::{self, Read};

/// Read size: large enough to amortise reads, small enough that a short log costs nothing.
const CHUNK: usize = 1 << 16;

/// A buffered reader that hands out regions of complete lines.
pub struct LineInput<R> {
    reader: R,
    buf: Vec<u8>,
    /// Bytes of `buf` already handed out.
    consumed: usize,
    eof: bool,
}

impl<R: Read> LineInput<R> {
    /// Wraps a reader.
    pub fn new(reader: R) -> Self {
        LineInput {
            reader,
            buf: Vec::new(),
            consumed: 0,
            eof: false,
        }
    }

    /// The next region of whole lines (terminators included; at the end of input the last
    /// line may have none), or `None` at the end.
    pub fn next_region(&mut self) -> io::Result<Option<&[u8]>> {
        self.buf.drain(..self.consumed);
        self.consumed = 0;
        loop {
            let end = if self.eof {
                self.buf.len()
            } else {
                complete_end(&self.buf)
            };
            if end > 0 {
                self.consumed = end;
                return Ok(Some(&self.buf[..end]));
            }
            if self.eof {
                return Ok(None);
            }
            let old = self.buf.len();
            // Reads grow with the data already buffered, so long lines need few reads.
            let want = CHUNK.max(old).min(16 << 20);
            self.buf.resize(old + want, 0);
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
            if n == 0 {
                self.eof = true;
            }
        }
    }
}

/// The end of the last complete line in `buf`; a final `\r` waits for a possible `\n`.
fn complete_end(buf: &[u8]) -> usize {
    match buf.iter().rposition(|&b| b == b'\n' || b == b'\r') {
        Some(i) if buf[i] == b'\r' && i + 1 == buf.len() => buf[..i]
            .iter()
            .rposition(|&b| b == b'\n' || b == b'\r')
            .map_or(0, |j| j + 1),
        Some(i) => i + 1,
        None => 0,
    }
}

/// The line starting at `pos` of a region: (line without terminator, start of the next).
pub fn split_line(region: &[u8], pos: usize) -> (&[u8], usize) {
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
