//! The environment megatest hands to the commands it runs: its own process environment plus
//! what configs export (`[env-override]`, valueless keys, `setenv` in Scheme, target keys).
//!
//! Exports go into an overlay instead of `std::env::set_var`, which is unsound once threads
//! exist. Every lookup and every spawned command goes through this module.

use std::collections::HashMap;
use std::process::Command;
use std::sync::RwLock;

/// name → Some(value) for exported variables, None for unset ones.
static OVERLAY: RwLock<Option<HashMap<String, Option<String>>>> = RwLock::new(None);

fn with_overlay<R>(f: impl FnOnce(&mut HashMap<String, Option<String>>) -> R) -> R {
    let mut guard = OVERLAY.write().unwrap_or_else(|p| p.into_inner());
    f(guard.get_or_insert_with(HashMap::new))
}

/// Whether `name` can be an environment variable name.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('=') && !name.contains('\0')
}

/// The value of `name`, as the commands megatest runs will see it.
pub fn var(name: &str) -> Option<String> {
    let guard = OVERLAY.read().unwrap_or_else(|p| p.into_inner());
    if let Some(entry) = guard.as_ref().and_then(|o| o.get(name)) {
        return entry.clone();
    }
    drop(guard);
    std::env::var(name).ok()
}

/// Exports `name=value`. Invalid names are ignored (the caller reports them if it cares).
pub fn set(name: &str, value: &str) {
    if is_valid_name(name) && !value.contains('\0') {
        with_overlay(|o| o.insert(name.to_string(), Some(value.to_string())));
    }
}

/// Unsets `name` for the commands megatest runs.
pub fn remove(name: &str) {
    if is_valid_name(name) {
        with_overlay(|o| o.insert(name.to_string(), None));
    }
}

/// Forgets every export and unset: the process environment alone again (a forked executor
/// about to run its next job).
pub fn clear() {
    *OVERLAY.write().unwrap_or_else(|p| p.into_inner()) = None;
}

/// Applies the overlay to a command about to be spawned.
pub fn apply(cmd: &mut Command) {
    let guard = OVERLAY.read().unwrap_or_else(|p| p.into_inner());
    if let Some(overlay) = guard.as_ref() {
        for (name, value) in overlay {
            match value {
                Some(v) => cmd.env(name, v),
                None => cmd.env_remove(name),
            };
        }
    }
}

/// What megatest exported or unset so far, sorted by name (`None` = unset), to hand to a
/// process that does not inherit this one's environment.
pub fn overlay() -> Vec<(String, Option<String>)> {
    let guard = OVERLAY.read().unwrap_or_else(|p| p.into_inner());
    let mut list: Vec<_> = guard
        .as_ref()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    list.sort();
    list
}

/// Applies a list made by [`overlay`].
pub fn restore(list: &[(String, Option<String>)]) {
    for (name, value) in list {
        match value {
            Some(v) => set(name, v),
            None => remove(name),
        }
    }
}

/// The whole effective environment, sorted by name. Variables whose name or value is not
/// UTF-8 are left out: they are not text megatest can write, but spawned commands still
/// inherit them from the process environment, byte for byte.
pub fn vars() -> Vec<(String, String)> {
    let mut all: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let guard = OVERLAY.read().unwrap_or_else(|p| p.into_inner());
    if let Some(overlay) = guard.as_ref() {
        for (name, value) in overlay {
            match value {
                Some(v) => all.insert(name.clone(), v.clone()),
                None => all.remove(name),
            };
        }
    }
    let mut list: Vec<_> = all.into_iter().collect();
    list.sort();
    list
}

/// The variable `-strict` sets, so the executors and helpers a command starts are strict too.
pub const STRICT_VAR: &str = "MEGATEST_STRICT";

/// Whether input Megatest 1.65 tolerates with a warning (an unknown option, a config form
/// that cannot be expanded) is an error instead: `-strict`, or `MEGATEST_STRICT=1`.
pub fn strict() -> bool {
    var(STRICT_VAR).is_some_and(|v| matches!(v.trim(), "1" | "yes" | "true"))
}

/// Who is running megatest (`USER`, else `LOGNAME`).
pub fn user_name() -> String {
    var("USER")
        .or_else(|| var("LOGNAME"))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_wins_and_reaches_children() {
        set("MEGATEST_ENVIRON_UNIT", "one");
        assert_eq!(var("MEGATEST_ENVIRON_UNIT").as_deref(), Some("one"));
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "printf %s \"$MEGATEST_ENVIRON_UNIT\""]);
        apply(&mut cmd);
        let out = cmd.output().unwrap();
        assert_eq!(out.stdout, b"one");
        remove("MEGATEST_ENVIRON_UNIT");
        assert_eq!(var("MEGATEST_ENVIRON_UNIT"), None);
        set("BAD=NAME", "x");
        assert_eq!(var("BAD=NAME"), None);
    }
}
