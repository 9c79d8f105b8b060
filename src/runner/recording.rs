//! The recorder of a pass: started at its first launch, so that the executors it launches
//! can hand their database writes to the runner; given up when it cannot start.

use crate::model::TestId;
use crate::recorder::{RecorderServer, TcpOptions};
use std::collections::HashMap;
use std::path::Path;

/// The recorder of one pass.
pub(super) struct Recording {
    server: Option<RecorderServer>,
    usable: bool,
    /// Listening on TCP too, for executors on other hosts.
    tcp: Option<TcpOptions>,
    /// Records with a posted write not known to be in the database: id → post number.
    pending: HashMap<TestId, u64>,
}

impl Recording {
    /// A recorder for a pass; `enabled` from `[setup] record-via-runner` (for executors of
    /// this host); `tcp` for executors elsewhere, which have no other way to the records.
    pub(super) fn new(enabled: bool, tcp: Option<TcpOptions>) -> Self {
        Recording {
            server: None,
            usable: enabled,
            tcp,
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
        if !self.usable && self.tcp.is_none() {
            return None;
        }
        if self.server.is_none() {
            let tcp = self.tcp.clone();
            match RecorderServer::start(db.to_path_buf(), keys.to_vec(), Box::new(freed), tcp) {
                Ok(server) => self.server = Some(server),
                Err(e) => {
                    if self.tcp.is_some() {
                        crate::warn!("cannot start the server for executors on other hosts: {e}");
                    } else {
                        crate::debug!(
                            1,
                            "cannot start the recorder ({e}); executors write directly"
                        );
                    }
                    // Not tried again.
                    self.tcp = None;
                    self.usable = false;
                    return None;
                }
            }
        }
        self.running()
    }

    /// `host:port` of the recorder for executors on other hosts, when it listens on TCP.
    pub(super) fn address(&self) -> Option<String> {
        self.server
            .as_ref()
            .and_then(|s| s.address())
            .map(str::to_string)
    }

    /// The recorder, if it was started and executors use it.
    pub(super) fn running(&self) -> Option<&RecorderServer> {
        self.server.as_ref().filter(|_| self.usable)
    }

    /// Lets the executors on other hosts finish talking (see
    /// [`RecorderServer::wait_for_remote_clients`]), for at most `bound`.
    pub(super) fn let_remote_clients_finish(&self, bound: std::time::Duration) {
        let Some(server) = self.server.as_ref().filter(|s| s.address().is_some()) else {
            return;
        };
        let interrupts = crate::sys::interrupts();
        let open = server.wait_for_remote_clients(bound, || crate::sys::interrupts() != interrupts);
        if open > 0 {
            crate::debug!(
                1,
                "{open} executors on other hosts still connected after {} s; the runner ends",
                bound.as_secs()
            );
        }
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
