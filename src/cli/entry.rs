//! Process-level setup shared by the binaries: the Scheme engine's home, the quiet panic
//! hook, and running the real `main` on a thread with a large stack.

use crate::error::exit_code;
use std::panic;

/// Stack size of the thread that runs the program: steel's compiler recurses on nested source.
const MAIN_STACK_BYTES: usize = 256 * 1024 * 1024;

/// Must be called first in `main`, before any other thread exists.
pub fn prepare_process() {
    if std::env::var_os("STEEL_HOME").is_none() {
        // Without STEEL_HOME steel creates ~/.local/share/steel and complains on stderr when it
        // cannot. A path that does not exist silences both; megatest loads no steel cogs.
        #[allow(unsafe_code)]
        // SAFETY: called at the start of main, before any other thread is spawned.
        unsafe {
            std::env::set_var("STEEL_HOME", "/nonexistent/megatest-steel-home");
        }
    }
    install_panic_hook();
}

/// Panics are bugs: report them in one line, without a backtrace. Panics raised while user
/// Scheme runs are caught and reported by the Scheme host, so they stay silent here.
fn install_panic_hook() {
    panic::set_hook(Box::new(|info| {
        if crate::scheme::panics_are_expected() {
            return;
        }
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error: {what}{place}; please report this as a bug");
    }));
}

/// The command-line arguments as text; an argument that is not valid UTF-8 is a usage error
/// naming its position (Megatest's options and names are text).
pub fn text_args(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Result<Vec<String>, String> {
    args.into_iter()
        .enumerate()
        .map(|(i, arg)| {
            arg.into_string().map_err(|raw| {
                format!(
                    "error: argument {} is not valid UTF-8: `{}`",
                    i + 1,
                    raw.to_string_lossy()
                )
            })
        })
        .collect()
}

/// Runs `body` on a thread with a large stack and returns its exit code.
pub fn run_on_large_stack(body: impl FnOnce() -> i32 + Send + 'static) -> i32 {
    let spawned = std::thread::Builder::new()
        .name("megatest-main".into())
        .stack_size(MAIN_STACK_BYTES)
        .spawn(body);
    match spawned {
        Ok(handle) => handle.join().unwrap_or(exit_code::INTERNAL),
        Err(e) => {
            eprintln!("error: cannot start the main thread: {e}");
            exit_code::INTERNAL
        }
    }
}
