//! The runner's side of the fork helper (see `fork_helper`): starts it, sends it launches and
//! turns its answers into [`Answer`]s on a reader thread.

use super::fork_helper::{FORK_HELPER_OPTION, Request};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

/// What the helper reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The launch could not start.
    Failed {
        /// The request's token.
        token: u64,
        /// Why.
        message: String,
    },
    /// The executor of `token` ended with `code`.
    Exited {
        /// The request's token.
        token: u64,
        /// Its exit code (128 + the signal when killed).
        code: i32,
    },
    /// The helper is gone: no more answers will come.
    Gone,
}

/// A running helper.
pub struct ForkLauncher {
    requests: Option<ChildStdin>,
    helper: Child,
}

impl ForkLauncher {
    /// Starts the helper `exe`; `answer` gets everything it reports, on another thread.
    pub fn start(exe: &Path, answer: impl Fn(Answer) + Send + 'static) -> std::io::Result<Self> {
        let mut helper = Command::new(exe)
            .arg(FORK_HELPER_OPTION)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let (Some(requests), Some(answers)) = (helper.stdin.take(), helper.stdout.take()) else {
            return Err(std::io::Error::other("the fork helper has no pipes"));
        };
        let mut answers = BufReader::new(answers);
        let mut ready = String::new();
        answers.read_line(&mut ready)?;
        if ready.trim_end() != "R" {
            let _ = helper.wait();
            return Err(std::io::Error::other(
                "the fork helper cannot watch its children on this system",
            ));
        }
        std::thread::Builder::new()
            .name("fork-answers".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                for line in answers.lines() {
                    let Ok(line) = line else { break };
                    if let Some(a) = parse(&line) {
                        answer(a);
                    }
                }
                answer(Answer::Gone);
            })?;
        Ok(ForkLauncher {
            requests: Some(requests),
            helper,
        })
    }

    /// Asks for one launch; its answers come later. After a failure the helper is given up.
    pub fn launch(&mut self, request: &Request) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(request).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let requests = self
            .requests
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the fork helper is gone"))?;
        let sent = requests.write_all(&line).and_then(|()| requests.flush());
        if sent.is_err() {
            self.requests = None;
        }
        sent
    }
}

impl Drop for ForkLauncher {
    fn drop(&mut self) {
        // Closing its stdin ends the helper; its children, if any, carry on alone.
        drop(self.requests.take());
        let _ = self.helper.wait();
    }
}

fn parse(line: &str) -> Option<Answer> {
    let mut words = line.splitn(3, ' ');
    let kind = words.next()?;
    let token: u64 = words.next()?.parse().ok()?;
    let rest = words.next().unwrap_or("");
    match kind {
        "E" => Some(Answer::Exited {
            token,
            code: rest.parse().ok()?,
        }),
        "F" => Some(Answer::Failed {
            token,
            message: rest.to_string(),
        }),
        _ => None,
    }
}
