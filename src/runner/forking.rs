//! The dispatcher's fork helper: started at the first local launch of a pass, given up (for
//! plain spawning) when it cannot start or goes away.

use crate::launch::{Answer, ForkLauncher};
use std::collections::BTreeSet;
use std::path::Path;

/// The helper of one pass and the items it launched that still run.
pub(super) struct Forks {
    launcher: Option<ForkLauncher>,
    usable: bool,
    in_flight: BTreeSet<(usize, usize)>,
}

/// The token of item `i` of test `t` in the helper's answers.
pub(super) fn token(t: usize, i: usize) -> u64 {
    ((t as u64) << 32) | i as u64
}

/// The test and item of a token.
pub(super) fn item_of(token: u64) -> (usize, usize) {
    ((token >> 32) as usize, (token & 0xffff_ffff) as usize)
}

impl Forks {
    /// Forks for a pass; `enabled` from `[setup] fork-launch`.
    pub(super) fn new(enabled: bool) -> Self {
        Forks {
            launcher: None,
            usable: enabled,
            in_flight: BTreeSet::new(),
        }
    }

    /// The helper for launching item `i` of test `t` (started now when needed), with its
    /// token; `None` to spawn instead.
    pub(super) fn for_launch(
        &mut self,
        exe: &Path,
        t: usize,
        i: usize,
        answer: impl Fn(Answer) + Send + 'static,
    ) -> Option<(&mut ForkLauncher, u64)> {
        if !self.usable {
            return None;
        }
        if self.launcher.is_none() {
            match ForkLauncher::start(exe, answer) {
                Ok(l) => self.launcher = Some(l),
                Err(e) => {
                    crate::warn!("cannot start the fork helper ({e}); spawning executors instead");
                    self.usable = false;
                    return None;
                }
            }
        }
        self.launcher.as_mut().map(|l| (l, token(t, i)))
    }

    /// Item `i` of test `t` went to the helper.
    pub(super) fn sent(&mut self, t: usize, i: usize) {
        self.in_flight.insert((t, i));
    }

    /// The helper's executor for the item ended (or never started).
    pub(super) fn ended(&mut self, t: usize, i: usize) {
        self.in_flight.remove(&(t, i));
    }

    /// The helper went away: launch by spawning from now on; returns the items it launched
    /// that may still run, whose ends only the database will tell.
    pub(super) fn lost(&mut self) -> Vec<(usize, usize)> {
        if self.usable {
            crate::warn!("the fork helper ended early; spawning executors instead");
        }
        self.usable = false;
        self.launcher = None;
        std::mem::take(&mut self.in_flight).into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for (t, i) in [(0, 0), (3, 9_999), (70_000, 1 << 31)] {
            assert_eq!(item_of(token(t, i)), (t, i));
        }
    }
}
