//! The recorder of a pass: started at its first launch, so that the executors it launches
//! can hand their database writes to the runner; given up when it cannot start.

use crate::model::TestId;
use crate::recorder::RecorderServer;
use std::collections::HashMap;
use std::path::Path;

/// The recorder of one pass.
pub(super) struct Recording {
    server: Option<RecorderServer>,
    usable: bool,
    /// Records with a posted write not known to be in the database: id → post number.
    pending: HashMap<TestId, u64>,
}

impl Recording {
    /// A recorder for a pass; `enabled` from `[setup] record-via-runner`.
    pub(super) fn new(enabled: bool) -> Self {
        Recording {
            server: None,
            usable: enabled,
            pending: HashMap::new(),
        }
    }

    /// The recorder for the next launch (it starts now when needed, calling `freed`
    /// whenever a test's write frees its job slot); `None` when executors write to the
    /// database themselves.
    pub(super) fn server(
        &mut self,
        db: &Path,
        keys: &[(String, String)],
        freed: impl Fn() + Send + 'static,
    ) -> Option<&RecorderServer> {
        if !self.usable {
            return None;
        }
        if self.server.is_none() {
            match RecorderServer::start(db.to_path_buf(), keys.to_vec(), Box::new(freed)) {
                Ok(server) => self.server = Some(server),
                Err(e) => {
                    crate::debug!(
                        1,
                        "cannot start the recorder ({e}); executors write directly"
                    );
                    self.usable = false;
                    return None;
                }
            }
        }
        self.server.as_ref()
    }

    /// The recorder, if it was started and executors use it.
    pub(super) fn running(&self) -> Option<&RecorderServer> {
        self.server.as_ref().filter(|_| self.usable)
    }

    /// Notes that the write of record `id` was posted as number `seq`.
    pub(super) fn posted(&mut self, id: TestId, seq: u64) {
        self.pending.insert(id, seq);
    }

    /// Makes sure every write posted to the recorder is in the database, before the runner
    /// writes or counts itself.
    pub(super) fn settle(&self) {
        if let Some(server) = &self.server {
            server.settle();
        }
    }

    /// [`Recording::settle`] when one of these records has a posted write pending, so
    /// that reading them shows it.
    pub(super) fn settle_for(&mut self, ids: &[TestId]) {
        let Some(server) = &self.server else { return };
        self.pending.retain(|_, seq| !server.is_applied(*seq));
        if ids.iter().any(|id| self.pending.contains_key(id)) {
            server.settle();
            self.pending.clear();
        }
    }
}
