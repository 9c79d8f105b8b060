//! Megatest's own log output: warnings and `-debug N` traces, on stderr or in the `-log FILE`.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bit N set = debug level N is printed; by default only level 0 (errors and warnings).
static LEVELS: AtomicU64 = AtomicU64::new(0b1);
static SINK: Mutex<Option<File>> = Mutex::new(None);
/// The warnings given with [`warn_once!`] so far.
static SAID: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Applies a `-debug` value: `N` enables levels 0..=N, `N,M,...` enables exactly those (and 0).
pub fn set_debug(spec: &str) -> Result<(), String> {
    let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
    let mut levels: Vec<u32> = Vec::new();
    for part in &parts {
        match part.parse::<u32>() {
            Ok(n) if n < 64 => levels.push(n),
            _ => return Err(format!("`{part}` is not a debug level (0 to 63)")),
        }
    }
    let mask = if levels.len() == 1 {
        if levels[0] == 63 {
            u64::MAX
        } else {
            (1u64 << (levels[0] + 1)) - 1
        }
    } else {
        levels.iter().fold(1u64, |m, n| m | (1u64 << n))
    };
    LEVELS.store(mask, Ordering::Relaxed);
    Ok(())
}

/// Whether messages at this debug level are printed.
pub fn enabled(level: u32) -> bool {
    level < 64 && LEVELS.load(Ordering::Relaxed) & (1u64 << level) != 0
}

/// Sends log output to `path` (its directory is created) instead of stderr.
pub fn set_file(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let file = File::options().create(true).append(true).open(path)?;
    *SINK.lock().unwrap_or_else(|p| p.into_inner()) = Some(file);
    Ok(())
}

/// Back to the defaults: level 0 only, on stderr (the `-log` file is closed).
pub fn reset() {
    LEVELS.store(0b1, Ordering::Relaxed);
    *SINK.lock().unwrap_or_else(|p| p.into_inner()) = None;
    *SAID.lock().unwrap_or_else(|p| p.into_inner()) = None;
}

/// Whether `text` is said for the first time in this process (and remembers it).
pub fn first_time(text: &str) -> bool {
    let mut said = SAID.lock().unwrap_or_else(|p| p.into_inner());
    said.get_or_insert_with(HashSet::new)
        .insert(text.to_string())
}

/// Writes one line to the log sink.
pub fn emit(args: fmt::Arguments<'_>) {
    let mut sink = SINK.lock().unwrap_or_else(|p| p.into_inner());
    match sink.as_mut() {
        Some(file) => {
            let _ = writeln!(file, "{args}");
        }
        None => {
            let _ = writeln!(std::io::stderr().lock(), "{args}");
        }
    }
}

/// Prints a trace line when `-debug` enables the level: `debug(N): ...`.
#[macro_export]
macro_rules! debug {
    ($level:expr, $($arg:tt)*) => {
        if $crate::output::log::enabled($level) {
            $crate::output::log::emit(format_args!("debug({}): {}", $level, format_args!($($arg)*)));
        }
    };
}

/// Prints a warning to the log sink: `warning: ...`.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {
        $crate::output::log::emit(format_args!("warning: {}", format_args!($($arg)*)))
    };
}

/// [`warn!`], but once per process for the same text: a config read again warns once.
#[macro_export]
macro_rules! warn_once {
    ($($arg:tt)*) => {{
        let text = format!($($arg)*);
        if $crate::output::log::first_time(&text) {
            $crate::output::log::emit(format_args!("warning: {text}"));
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_specs() {
        assert!(set_debug("x").is_err());
        assert!(set_debug("64").is_err());
    }
}
