//! What Megatest 1.65 reads from its configs and this version does not: each such key, where
//! an area sets it, warns once per process with its file:line, so nothing is ignored
//! silently. A row goes when its feature lands.

use super::model::Config;

/// Which config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigKind {
    /// megatest.config.
    Megatest,
    /// A test's testconfig.
    Test,
}

/// `(file, section, key or "*" for the whole section, what 1.65 does with it)`.
const UNREAD: &[(ConfigKind, &str, &str, &str)] = &[
    (
        ConfigKind::Megatest,
        "setup",
        "blacklistvars",
        "variables left out of megatest.sh/.csh",
    ),
    (
        ConfigKind::Megatest,
        "setup",
        "launchwait",
        "whether the runner waits for the launcher command",
    ),
    (
        ConfigKind::Megatest,
        "setup",
        "inter-test-delay",
        "a pause of 1.65's queue loop",
    ),
    (
        ConfigKind::Megatest,
        "setup",
        "runqueue",
        "a look-ahead of 1.65's queue loop",
    ),
    (
        ConfigKind::Megatest,
        "setup",
        "maxretries",
        "a re-scan limit of 1.65's queue loop",
    ),
    (
        ConfigKind::Megatest,
        "setup",
        "give-up-waiting",
        "seconds with nothing running before waiting tests are dropped",
    ),
    (
        ConfigKind::Megatest,
        "setup",
        "test-stats-update-period",
        "how often the executor writes its load and disk samples",
    ),
    (
        ConfigKind::Megatest,
        "setup",
        "dbdir-space-required",
        "the free space -run requires of the area and database directories",
    ),
    (
        ConfigKind::Megatest,
        "setup",
        "use-cache",
        "config caches (this version reads configs fresh)",
    ),
    (
        ConfigKind::Megatest,
        "setup",
        "use-wal",
        "the journal of 1.65's /tmp databases",
    ),
    (
        ConfigKind::Megatest,
        "setup",
        "sychronous",
        "the synchronous setting of 1.65's /tmp databases",
    ),
    (
        ConfigKind::Megatest,
        "setup",
        "monitordir",
        "where 1.65 keeps monitor.db",
    ),
    (
        ConfigKind::Megatest,
        "setup",
        "log-expire-days",
        "server log rotation",
    ),
    (
        ConfigKind::Megatest,
        "setup",
        "htmlviewercmd",
        "the browser of -manual",
    ),
    (
        ConfigKind::Megatest,
        "jobtools",
        "maxhomehostload",
        "the home host's load above which launching waits",
    ),
    (
        ConfigKind::Megatest,
        "validvalues",
        "state",
        "the step states -step accepts",
    ),
    (
        ConfigKind::Megatest,
        "validvalues",
        "status",
        "the step statuses -step accepts",
    ),
    (
        ConfigKind::Megatest,
        "server",
        "transport",
        "1.65's server processes (the runner serves executors itself: docs/farm.md)",
    ),
    (
        ConfigKind::Megatest,
        "server",
        "force",
        "1.65's server processes (the runner serves executors itself: docs/farm.md)",
    ),
    (
        ConfigKind::Megatest,
        "server",
        "numservers",
        "1.65's server processes (the runner serves executors itself: docs/farm.md)",
    ),
    (
        ConfigKind::Megatest,
        "server",
        "runtime",
        "1.65's server processes (the runner serves executors itself: docs/farm.md)",
    ),
    (
        ConfigKind::Megatest,
        "server",
        "daemonize",
        "1.65's server processes (the runner serves executors itself: docs/farm.md)",
    ),
    (
        ConfigKind::Megatest,
        "server",
        "required",
        "1.65's server processes (the runner serves executors itself: docs/farm.md)",
    ),
    (
        ConfigKind::Megatest,
        "server",
        "delay-on-busy",
        "1.65's server processes (the runner serves executors itself: docs/farm.md)",
    ),
    (
        ConfigKind::Megatest,
        "client",
        "*",
        "server mode (this version needs no server)",
    ),
    (
        ConfigKind::Megatest,
        "sync",
        "*",
        "syncing 1.65's /tmp databases",
    ),
    (
        ConfigKind::Test,
        "subrun",
        "log",
        "the nested run's -log (this version names it run-TARGET-RUNNAME-PATT.log)",
    ),
    (
        ConfigKind::Test,
        "subrun",
        "start-dir",
        "the nested run's -start-dir (this version uses run-area)",
    ),
    (
        ConfigKind::Test,
        "subrun",
        "new",
        "a -set-state-status for the nested run",
    ),
];

/// Warns once per process for each key of `config` that 1.65 reads and this version does
/// not.
pub fn warn_unread(config: &Config, kind: ConfigKind) {
    for message in unread(config, kind) {
        crate::warn_once!("{message}");
    }
}

/// The warnings for `config`: file:line, the key, and what 1.65 does with it.
fn unread(config: &Config, kind: ConfigKind) -> Vec<String> {
    let mut messages = Vec::new();
    for (_, section, key, what) in UNREAD.iter().filter(|row| row.0 == kind) {
        let Some(found) = config.section(section) else {
            continue;
        };
        for entry in &found.entries {
            if *key != "*" && entry.key != *key {
                continue;
            }
            messages.push(format!(
                "{}:{}: [{section}] {} is read by Megatest 1.65 ({what}) but not by this version; it has no effect",
                entry.origin.file.display(),
                entry.origin.line,
                entry.key
            ));
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ReadOptions, read_str};
    use std::path::Path;

    #[test]
    fn listed_keys_and_sections_are_named_with_their_place() {
        let text = "[setup]\nmaxretries 20\nlinktree x\n[server]\nnumservers 1\nhost h\n";
        let config = read_str(
            Path::new("/virtual/megatest.config"),
            text,
            &ReadOptions::new(Path::new("/")),
        )
        .unwrap();
        let messages = unread(&config, ConfigKind::Megatest);
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].starts_with("/virtual/megatest.config:2: [setup] maxretries is read"));
        assert!(messages[1].starts_with("/virtual/megatest.config:5: [server] numservers is read"));
        assert!(unread(&config, ConfigKind::Test).is_empty());
    }
}
