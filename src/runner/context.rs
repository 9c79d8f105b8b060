//! What every part of a run shares: the area, its database, the run's identity, the settings
//! and the values handed to each test.

use super::settings::Settings;
use crate::area::{Area, Target};
use crate::db::Store;
use crate::model::RunId;
use crate::writer::{TriggerTable, Writer};
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// One run's shared state.
pub struct RunContext<'a> {
    /// The area.
    pub area: &'a Area,
    /// Its database.
    pub store: &'a Store,
    /// `[setup]`, `[jobtools]`, `[jobgroups]`.
    pub settings: Settings,
    /// The run's record.
    pub run_id: RunId,
    /// The target.
    pub target: Target,
    /// The run name.
    pub runname: String,
    /// The `[fields]` keys with their SQL types.
    pub keys: Vec<(String, String)>,
    /// runconfigs `default` then target values, unevaluated.
    pub runconfig: Vec<(String, String)>,
    /// megatest.config `[env-override]`.
    pub env_override: Vec<(String, String)>,
    /// `-setvars`.
    pub setvars: Vec<(String, String)>,
    /// `-debug`, for the executors.
    pub debug: Option<String>,
    /// This host's name.
    pub host: String,
    /// Disks already warned about (each is said once).
    pub disk_warnings: RefCell<HashSet<String>>,
    /// The selected tests' `[triggers]`.
    pub triggers: TriggerTable,
    /// Set when another runner took the run over (this one's hold went stale): launch
    /// nothing more.
    pub lease_lost: Arc<AtomicBool>,
}

impl RunContext<'_> {
    /// The target as text.
    pub fn target_text(&self) -> String {
        self.target.to_string()
    }

    /// Writes to the run's records, firing the selected tests' triggers. `store` is the
    /// database with the recorder's posted writes in it (see the dispatcher's `store`).
    pub fn writer<'w>(&'w self, store: &'w Store) -> Writer<'w> {
        Writer::new(store, &self.triggers)
    }
}
