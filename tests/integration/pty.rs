//! A pseudo-terminal for driving interactive megatest (the REPL) as a user would: the child
//! gets the terminal as its controlling tty; what it prints is collected in the background.
#![allow(unsafe_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A child process on a pseudo-terminal.
pub(crate) struct Pty {
    master: File,
    output: Arc<Mutex<Vec<u8>>>,
    /// How much of the output earlier `expect`s consumed.
    mark: usize,
    pub child: Child,
}

fn open_pty() -> (RawFd, RawFd) {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 40,
        ws_col: 200,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors; the other pointers may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    (master, slave)
}

impl Pty {
    /// Starts `cmd` with the terminal as stdin, stdout and stderr.
    pub(crate) fn spawn(cmd: &mut Command) -> Pty {
        let (master_fd, slave_fd) = open_pty();
        // SAFETY: fresh descriptors owned from here on.
        let slave = unsafe { File::from_raw_fd(slave_fd) };
        cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave.try_clone().unwrap()));
        // SAFETY: setsid and ioctl are async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY, 0);
                Ok(())
            });
        }
        let child = cmd.spawn().expect("the child starts");
        drop(slave);
        let master = unsafe { File::from_raw_fd(master_fd) };
        let output = Arc::new(Mutex::new(Vec::new()));
        let (mut reader, mut answerer) = (master.try_clone().unwrap(), master.try_clone().unwrap());
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                // A line editor may ask where the cursor is; answer "top left".
                if buf[..n].windows(4).any(|w| w == b"\x1b[6n") {
                    let _ = answerer.write_all(b"\x1b[1;1R");
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            master,
            output,
            mark: 0,
            child,
        }
    }

    /// Types `text`.
    pub(crate) fn send(&mut self, text: &str) {
        self.master.write_all(text.as_bytes()).unwrap();
        self.master.flush().unwrap();
    }

    /// Everything printed so far, escape sequences removed.
    pub(crate) fn all_output(&self) -> String {
        strip_escapes(&String::from_utf8_lossy(&self.output.lock().unwrap()))
    }

    /// Everything printed so far, as printed.
    pub(crate) fn raw_output(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Waits until `needle` appears after what earlier calls consumed; returns the text up to
    /// and including it.
    #[track_caller]
    pub(crate) fn expect(&mut self, needle: &str, within: Duration) -> String {
        let start = Instant::now();
        loop {
            let text = self.all_output();
            if let Some(at) = text.get(self.mark..).and_then(|t| t.find(needle)) {
                let end = self.mark + at + needle.len();
                let seen = text[self.mark..end].to_string();
                self.mark = end;
                return seen;
            }
            if start.elapsed() > within {
                panic!(
                    "`{needle}` did not appear within {within:?}; output since the last match:\n{}",
                    text.get(self.mark..).unwrap_or("")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the child to exit; its exit code.
    pub(crate) fn wait(&mut self, within: Duration) -> i32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            if start.elapsed() > within {
                let _ = self.child.kill();
                panic!(
                    "the child did not exit within {within:?}:\n{}",
                    self.all_output()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Removes ANSI escape sequences and carriage returns.
pub(crate) fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    while let Some(&n) = chars.peek() {
                        chars.next();
                        if n.is_ascii_alphabetic() || n == '~' {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}
