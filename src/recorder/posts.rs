//! Writes the runner itself hands to its recorder without waiting (a launch's LAUNCHED), so
//! that one connection does all of a pass's test writes: no lock taken in turn with the
//! recorder, no page cache thrown away, one commit with the executor's own start.
//!
//! Order is kept by construction: the recorder applies every posted write before the
//! executor lines of the same round, and a launch is posted before its executor exists.
//! Whoever reads or writes the database besides the recorder calls [`Posts::settle`] first.

use super::protocol::Request;
use std::os::unix::net::UnixStream;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// The queue between the runner's threads and the recorder thread.
#[derive(Default)]
pub(super) struct Posts {
    state: Mutex<State>,
    applied: Condvar,
}

#[derive(Default)]
struct State {
    queue: Vec<Request>,
    posted: u64,
    applied: u64,
    /// The recorder no longer takes posts (it stopped, or never opened the database).
    closed: bool,
}

/// How often a settling thread looks whether the recorder is still there.
const SETTLE_CHECK: Duration = Duration::from_millis(500);

impl Posts {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `request`; returns its number, or `None` when the recorder is gone.
    pub(super) fn post(&self, request: Request) -> Option<u64> {
        let mut state = self.state();
        if state.closed {
            return None;
        }
        state.queue.push(request);
        state.posted += 1;
        Some(state.posted)
    }

    /// Whether post number `seq` is done with.
    pub(super) fn is_applied(&self, seq: u64) -> bool {
        self.state().applied >= seq
    }

    /// The recorder's side: what was posted since its last look.
    pub(super) fn take(&self) -> Vec<Request> {
        std::mem::take(&mut self.state().queue)
    }

    /// The recorder's side: `n` taken posts are committed.
    pub(super) fn applied(&self, n: usize) {
        if n > 0 {
            self.state().applied += n as u64;
            self.applied.notify_all();
        }
    }

    /// The recorder's side, when it stops: no more posts; returns those still queued (to be
    /// reported [`Posts::applied`] once written).
    pub(super) fn close(&self) -> Vec<Request> {
        let mut state = self.state();
        state.closed = true;
        std::mem::take(&mut state.queue)
    }

    /// Waits until every post so far is committed, waking the recorder through `wake`;
    /// `alive` tells whether the recorder thread still runs (the posts of one that died are
    /// given up: its executors write for themselves).
    pub(super) fn settle(&self, wake: &UnixStream, alive: impl Fn() -> bool) {
        let mut state = self.state();
        if state.applied >= state.posted {
            return;
        }
        // `wake` does not block: a full one already holds a wake-up, so a failed write
        // changes nothing.
        let _ = std::io::Write::write(&mut &*wake, b"w");
        while state.applied < state.posted {
            if state.closed || !alive() {
                let lost = state.queue.len();
                if lost > 0 {
                    crate::warn!("the recorder is gone; {lost} launch records not written");
                }
                state.queue.clear();
                state.closed = true;
                state.applied = state.posted;
                return;
            }
            state = self
                .applied
                .wait_timeout(state, SETTLE_CHECK)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TestId;

    fn request(id: i64) -> Request {
        Request::StateOf {
            test_id: TestId(id),
        }
    }

    #[test]
    fn settle_returns_at_once_when_everything_is_applied() {
        let posts = Posts::default();
        let (wake, _other) = UnixStream::pair().unwrap();
        assert_eq!(posts.post(request(1)), Some(1));
        assert_eq!(posts.take().len(), 1);
        assert!(!posts.is_applied(1));
        posts.applied(1);
        assert!(posts.is_applied(1));
        posts.settle(&wake, || panic!("not asked"));
    }

    #[test]
    fn settle_waits_for_the_recorder_and_wakes_it() {
        let posts = std::sync::Arc::new(Posts::default());
        let (wake, woken) = UnixStream::pair().unwrap();
        assert!(posts.post(request(1)).is_some());
        let recorder = {
            let posts = posts.clone();
            std::thread::spawn(move || {
                let mut byte = [0u8; 1];
                std::io::Read::read_exact(&mut &woken, &mut byte).unwrap();
                let n = posts.take().len();
                posts.applied(n);
                n
            })
        };
        posts.settle(&wake, || true);
        assert!(posts.is_applied(1));
        assert_eq!(recorder.join().unwrap(), 1);
    }

    #[test]
    fn a_gone_recorder_gives_its_posts_up_and_refuses_more() {
        let posts = Posts::default();
        let (wake, _other) = UnixStream::pair().unwrap();
        assert!(posts.post(request(1)).is_some());
        assert!(posts.post(request(2)).is_some());
        posts.settle(&wake, || false);
        assert!(posts.is_applied(2));
        assert_eq!(posts.post(request(3)), None);
    }

    #[test]
    fn closing_returns_what_is_left_and_refuses_more() {
        let posts = Posts::default();
        assert!(posts.post(request(1)).is_some());
        assert_eq!(posts.close(), vec![request(1)]);
        assert_eq!(posts.post(request(2)), None);
    }
}
