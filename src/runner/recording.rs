//! The recorder of a pass: started at its first launch, so that the executors it launches
//! can hand their database writes to the runner; given up when it cannot start.

use crate::recorder::RecorderServer;
use std::path::Path;

/// The recorder of one pass.
pub struct Recording {
    server: Option<RecorderServer>,
    usable: bool,
}

impl Recording {
    /// A recorder for a pass; `enabled` from `[setup] record-via-runner`.
    pub fn new(enabled: bool) -> Self {
        Recording {
            server: None,
            usable: enabled,
        }
    }

    /// The name to put in the next job file (the recorder starts now when needed, calling
    /// `freed` whenever a test's write frees its job slot); `None` when executors write to
    /// the database themselves.
    pub fn name(
        &mut self,
        db: &Path,
        keys: &[(String, String)],
        freed: impl Fn() + Send + 'static,
    ) -> Option<&str> {
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
        self.server.as_ref().map(RecorderServer::name)
    }
}
