//! The Scheme engine: created on first use, once per thread that needs it (megatest's logic
//! runs on one thread), with the prelude loaded; evaluations are guarded against panics,
//! runaway loops and stack-overflowing nesting.

use super::lazy_source::{self, LazySource};
use super::prepass::{self, Prepared};
use super::watchdog::{Stop, Watchdog};
use super::{area_procs, builtins, conc, native};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use steel::rerrs::{ErrorKind, SteelErr};
use steel::rvals::{IntoSteelVal, SteelVal};
use steel::steel_vm::engine::Engine;

const PRELUDE: &[(&str, &str)] = &[
    (
        "prelude/chicken.scm",
        include_str!("../../prelude/chicken.scm"),
    ),
    (
        "prelude/megatest.scm",
        include_str!("../../prelude/megatest.scm"),
    ),
];

/// Every how many texts built steel is let free the values of redefined globals.
const COLLECT_EVERY: u64 = 64;

/// How long `#{scheme ...}` may run before it is interrupted, unless
/// `MEGATEST_SCHEME_TIMEOUT` (seconds) says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How much one evaluation may grow megatest's memory before it is stopped, unless
/// `MEGATEST_SCHEME_MEMORY` (MiB) says otherwise.
const DEFAULT_MEMORY: u64 = 2048 << 20;

/// How long `-load` and `MT_RUNSCRIPT` programs may run, unless `MEGATEST_SCHEME_TIMEOUT`
/// says otherwise (the REPL has no bound; Ctrl-C stops an evaluation there).
pub const PROGRAM_TIMEOUT: Duration = Duration::from_secs(600);

/// The memory bound in bytes: `MEGATEST_SCHEME_MEMORY` in MiB (0: none), else the default.
fn configured_memory() -> Option<u64> {
    match crate::environ::var("MEGATEST_SCHEME_MEMORY").map(|s| s.trim().parse::<u64>()) {
        Some(Ok(0)) => None,
        Some(Ok(mib)) => Some(mib.saturating_mul(1 << 20)),
        _ => Some(DEFAULT_MEMORY),
    }
}

/// `MEGATEST_SCHEME_TIMEOUT`, when set to a positive number of seconds.
fn configured_timeout() -> Option<Duration> {
    crate::environ::var("MEGATEST_SCHEME_TIMEOUT")
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .map(Duration::from_secs_f64)
}

static CREATED: AtomicBool = AtomicBool::new(false);

thread_local! {
    // Never dropped: steel's own thread-locals may be gone when this one is destroyed.
    static HOST: RefCell<Option<ManuallyDrop<Host>>> = const { RefCell::new(None) };
    static EXPECTING_PANIC: Cell<bool> = const { Cell::new(false) };
    /// Engines for evaluations asked for while the thread's engine is busy evaluating.
    static SPARE: RefCell<Vec<ManuallyDrop<Host>>> = const { RefCell::new(Vec::new()) };
    /// Work put off until the thread's engine is free again.
    static AFTERWARDS: RefCell<Vec<Box<dyn FnOnce()>>> = const { RefCell::new(Vec::new()) };
    /// Whether that work is being done now (the jobs it adds are done by the same loop,
    /// not by nested ones, however long a chain of triggers gets).
    static DRAINING: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread's engine is evaluating now (a write made from Scheme calls back).
pub(super) fn host_busy() -> bool {
    HOST.with(|cell| cell.try_borrow_mut().is_err())
}

/// Runs `job` once the evaluation under way on this thread has ended.
pub(super) fn after_evaluation(job: Box<dyn FnOnce()>) {
    AFTERWARDS.with(|a| a.borrow_mut().push(job));
}

/// Whether a panic now comes from user Scheme under evaluation (and is handled there).
pub fn panics_are_expected() -> bool {
    EXPECTING_PANIC.with(Cell::get)
}

/// Whether this process has created a Scheme engine.
pub fn engine_created() -> bool {
    CREATED.load(Ordering::Relaxed)
}

/// A failed evaluation: the message, and the byte span in the evaluated source when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeError {
    /// What went wrong.
    pub message: String,
    /// Byte range in the source given to the evaluator.
    pub span: Option<(usize, usize)>,
    /// Further explanation.
    pub notes: Vec<String>,
}

impl SchemeError {
    pub(super) fn plain(message: impl Into<String>) -> Self {
        SchemeError {
            message: message.into(),
            span: None,
            notes: Vec::new(),
        }
    }
}

/// The engine and what guards it.
pub struct Host {
    pub(super) engine: Engine,
    watchdog: Watchdog,
    timeout: Option<Duration>,
    /// Ctrl-C interrupts evaluations (the REPL, -load).
    interactive: bool,
    /// How many of the registered extensions are installed.
    extensions: usize,
    /// The extensions installed in this engine only (see [`Host::install_here`]).
    installed_here: Vec<&'static str>,
    capture: Option<SteelVal>,
    /// Scheme sources not evaluated yet (see [`LazySource`]).
    pub(super) pending: Vec<LazySource>,
    /// The names steel's modules provide that the engine had bound before them.
    pub(super) steel_bound: HashSet<String>,
    /// Whether a built-in source that failed to load was reported for the REPL's listing.
    warned: bool,
    /// How many texts were built (see [`COLLECT_EVERY`]).
    built: u64,
}

/// Runs `f` with this thread's host, creating it first if needed. Called again from inside
/// an evaluation (a `#{scheme}` in a testconfig read by a write the evaluation made), `f`
/// gets a second engine, without the first one's definitions.
pub fn with_host<R>(f: impl FnOnce(&mut Host) -> Result<R, SchemeError>) -> Result<R, SchemeError> {
    let result = HOST.with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return with_spare_host(f);
        };
        if slot.is_none() {
            *slot = Some(ManuallyDrop::new(Host::create()?));
        }
        let host = slot.as_mut().expect("created above");
        let result = host.catch_up().and_then(|()| f(host));
        if panicked(&result) {
            // Steel's state after a panic is unknown: start afresh next time.
            *slot = None;
        }
        result
    });
    if !host_busy() && !DRAINING.with(Cell::get) {
        struct Draining;
        impl Drop for Draining {
            fn drop(&mut self) {
                DRAINING.with(|d| d.set(false));
            }
        }
        DRAINING.with(|d| d.set(true));
        let _draining = Draining;
        loop {
            let jobs = AFTERWARDS.with(|a| std::mem::take(&mut *a.borrow_mut()));
            if jobs.is_empty() {
                break;
            }
            for job in jobs {
                job();
            }
        }
    }
    result
}

fn panicked<R>(result: &Result<R, SchemeError>) -> bool {
    matches!(result, Err(e) if e.message.starts_with(PANIC_PREFIX))
}

fn with_spare_host<R>(
    f: impl FnOnce(&mut Host) -> Result<R, SchemeError>,
) -> Result<R, SchemeError> {
    let mut host = match SPARE.with(|s| s.borrow_mut().pop()) {
        Some(host) => host,
        None => ManuallyDrop::new(Host::create()?),
    };
    let result = host.catch_up().and_then(|()| f(&mut host));
    if !panicked(&result) {
        SPARE.with(|s| s.borrow_mut().push(host));
    }
    result
}

const PANIC_PREFIX: &str = "internal error in the Scheme engine";

impl Host {
    pub(super) fn create() -> Result<Host, SchemeError> {
        crate::debug!(2, "creating the Scheme engine");
        let started = std::time::Instant::now();
        // `Engine::new` would also compile steel's prelude modules (print, parameters,
        // contracts, match, ...: a third of its time); they wait in `pending` instead.
        let mut engine = Engine::new_base()
            .with_prelude()
            .map_err(|e| SchemeError::plain(format!("steel's prelude does not load: {e}")))?;
        let modules = lazy_source::steel_prelude_modules();
        // steel's own definitions the modules replace (`call/cc`), as in `Engine::new`.
        let steel_bound = modules
            .iter()
            .flat_map(|m| m.names())
            .filter(|name| engine.extract_value(name).is_ok())
            .cloned()
            .collect();
        builtins::register(&mut engine);
        area_procs::register(&mut engine);
        let pending = modules
            .into_iter()
            .chain(
                PRELUDE
                    .iter()
                    .map(|(label, source)| LazySource::new(label, source.to_string())),
            )
            .collect();
        let watchdog = Watchdog::start(engine.get_thread_state_controller());
        let mut host = Host {
            engine,
            watchdog,
            timeout: Some(configured_timeout().unwrap_or(DEFAULT_TIMEOUT)),
            interactive: false,
            extensions: 0,
            installed_here: Vec::new(),
            capture: None,
            pending,
            steel_bound,
            warned: false,
            built: 0,
        };
        host.catch_up()?;
        CREATED.store(true, Ordering::Relaxed);
        crate::debug!(
            2,
            "Scheme engine ready in {:.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
        Ok(host)
    }

    /// Installs the extensions registered since this engine last looked (each once, in the
    /// order they were registered).
    fn catch_up(&mut self) -> Result<(), SchemeError> {
        if native::registered() == self.extensions {
            return Ok(());
        }
        for extension in native::registered_from(self.extensions) {
            self.install(extension)?;
            self.extensions += 1;
        }
        Ok(())
    }

    /// Installs `extension` in this engine only, once (logpro's procedures: only the engine
    /// that loads a rule file needs them).
    pub fn install_here(&mut self, extension: native::Extension) -> Result<(), SchemeError> {
        if self.installed_here.contains(&extension.name) {
            return Ok(());
        }
        self.installed_here.push(extension.name);
        self.install(extension)
    }

    /// Defines the extension's Rust procedures; its Scheme sources wait until a text uses
    /// them.
    fn install(&mut self, extension: native::Extension) -> Result<(), SchemeError> {
        for (name, native) in &extension.natives {
            self.engine.register_value(name, native::procedure(*native));
        }
        for (label, source) in extension.sources {
            self.pending.push(LazySource::new(label, source));
        }
        Ok(())
    }

    /// For the REPL and `-load`: Ctrl-C interrupts the evaluation under way, and the time
    /// bound is `MEGATEST_SCHEME_TIMEOUT` if set, else `default` (none at the REPL).
    pub fn set_interactive(&mut self, default: Option<Duration>) {
        self.interactive = true;
        self.timeout = configured_timeout().or(default);
    }

    /// From now on, what Scheme prints is kept instead of written to stdout.
    pub fn capture_output(&mut self) -> Result<(), SchemeError> {
        let mut values = self.run_own("(open-output-string)")?;
        let port = values.pop().unwrap_or(SteelVal::Void);
        self.engine.register_value("%mt:capture", port.clone());
        self.run_own("(current-output-port %mt:capture)")?;
        self.capture = Some(port);
        Ok(())
    }

    /// Stops capturing; returns what was printed since [`Host::capture_output`].
    pub fn captured_output(&mut self) -> String {
        let _ = self.run_own("(current-output-port (#%default-output-port))");
        let Some(port) = self.capture.take() else {
            return String::new();
        };
        self.engine
            .call_function_by_name_with_args("get-output-string", vec![port])
            .map(|v| conc::display(&v))
            .unwrap_or_default()
    }

    /// Runs megatest's own `text` (no pre-pass, no bounds), after the sources it names.
    fn run_own(&mut self, text: &str) -> Result<Vec<SteelVal>, SchemeError> {
        self.load_needed(text)?;
        self.engine
            .run(text.to_string())
            .map_err(|e| SchemeError::plain(message_of(&e)))
    }

    /// Evaluates `source` (after the pre-pass); one value per top-level form.
    pub fn eval(&mut self, source: &str) -> Result<Vec<SteelVal>, SchemeError> {
        self.eval_with(source, false)
    }

    /// Evaluates `source`; with `quote_keywords`, CHICKEN suffix keywords become symbols.
    pub fn eval_with(
        &mut self,
        source: &str,
        quote_keywords: bool,
    ) -> Result<Vec<SteelVal>, SchemeError> {
        let prepared = prepass::prepare_with(source, quote_keywords).map_err(|e| SchemeError {
            message: e.message,
            span: Some((e.offset, e.offset + 1)),
            notes: vec!["deeply nested code would overflow megatest's stack".into()],
        })?;
        self.load_needed(&prepared.text)?;
        loop {
            match self.run_bounded(&prepared) {
                // Nothing of the text ran: it is built again once the source is loaded.
                Err(Failed::Unbuilt(name, err)) => match self.pending_provider_of(&name) {
                    Some(at) => self.load(at)?,
                    None => return Err(self.convert(err, &prepared)),
                },
                Err(Failed::Other(e)) => return Err(e),
                Ok(values) => return Ok(values),
            }
        }
    }

    /// Builds and runs `prepared` within the time and memory bounds, catching steel's
    /// panics. Building and running are apart (as in `Engine::run`), so that a name found
    /// free while building is known to come before anything ran.
    fn run_bounded(&mut self, prepared: &Prepared) -> Result<Vec<SteelVal>, Failed> {
        let controller = self.engine.get_thread_state_controller();
        controller.resume();
        let memory = configured_memory();
        let armed = self.watchdog.arm(self.timeout, memory, self.interactive);
        let expected_before = EXPECTING_PANIC.with(|c| c.replace(true));
        let text = prepared.text.clone();
        let attempt = panic::catch_unwind(AssertUnwindSafe(|| {
            let program = match self.engine.emit_raw_program_no_path(text) {
                Ok(program) => program,
                Err(err) => return Attempt::Done(Err(err)),
            };
            let executable = match self.engine.raw_program_to_executable(program) {
                Ok(executable) => executable,
                Err(err) => return Attempt::Unbuilt(err),
            };
            // `Engine::run` lets steel free the values of redefined globals (when enough
            // are) before it runs a program; an empty program gets that done, now and then
            // (it costs as much as a small text).
            self.built += 1;
            if self.built.is_multiple_of(COLLECT_EVERY)
                && let Err(err) = self.engine.run("")
            {
                return Attempt::Done(Err(err));
            }
            Attempt::Done(self.engine.run_executable(&executable))
        }));
        EXPECTING_PANIC.with(|c| c.set(expected_before));
        let stopped = self.watchdog.disarm(armed);
        controller.resume();
        let outcome = match attempt {
            Ok(Attempt::Unbuilt(err)) => match free_name(&err) {
                Some(name) => return Err(Failed::Unbuilt(name, err)),
                None => Ok(Err(err)),
            },
            Ok(Attempt::Done(result)) => Ok(result),
            Err(payload) => Err(payload),
        };
        let failed = match outcome {
            Ok(Ok(values)) => return Ok(values),
            Ok(Err(_)) if stopped == Some(Stop::Interrupt) => {
                Err(SchemeError::plain("interrupted"))
            }
            Ok(Err(_)) if stopped == Some(Stop::Memory) => Err(SchemeError::plain(format!(
                "evaluation stopped: it used more than {} MiB of memory",
                memory.unwrap_or_default() >> 20
            ))
            .with_note("set MEGATEST_SCHEME_MEMORY (MiB, 0 for no bound) to allow more")),
            Ok(Err(_)) if stopped == Some(Stop::Deadline) => Err(SchemeError::plain(format!(
                "evaluation interrupted after {} s",
                self.timeout.unwrap_or_default().as_secs_f64()
            ))
            .with_note("set MEGATEST_SCHEME_TIMEOUT (seconds) to allow longer evaluations")),
            Ok(Err(err)) => Err(self.convert(err, prepared)),
            Err(payload) => {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into());
                Err(SchemeError::plain(format!("{PANIC_PREFIX}: {what}")))
            }
        };
        failed.map_err(Failed::Other)
    }

    /// The names of the engine's global definitions a user would type.
    pub fn global_names(&mut self) -> Vec<String> {
        if let Err(e) = self.load_all()
            && !std::mem::replace(&mut self.warned, true)
        {
            crate::warn!("{}", e.message);
        }
        let mut names: Vec<String> = self
            .engine
            .readable_globals(0)
            .iter()
            .map(|n| n.resolve().to_string())
            .filter(|n| {
                !n.is_empty()
                    && !n.starts_with(['#', '%', '_'])
                    && !n.contains("__")
                    && !n.contains("mangler")
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Registers (or replaces) a global value. A pending source that defines the name too
    /// is evaluated first, so this value stays (as when the sources were evaluated at once).
    pub fn define(&mut self, name: &str, value: SteelVal) {
        if let Err(e) = self.load_needed(name) {
            crate::warn!("{}", e.message);
        }
        self.engine.register_value(name, value);
    }

    /// Calls a procedure by name.
    pub fn call(&mut self, name: &str, args: Vec<SteelVal>) -> Result<SteelVal, SchemeError> {
        self.load_needed(name)?;
        let expected_before = EXPECTING_PANIC.with(|c| c.replace(true));
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            self.engine.call_function_by_name_with_args(name, args)
        }));
        EXPECTING_PANIC.with(|c| c.set(expected_before));
        match outcome {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(SchemeError::plain(message_of(&e))),
            Err(_) => Err(SchemeError::plain(format!("{PANIC_PREFIX} in `{name}`"))),
        }
    }

    fn convert(&self, err: SteelErr, prepared: &Prepared) -> SchemeError {
        // A span is only meaningful when it points into the source we evaluated (not into the
        // prelude, for instance).
        let span = err.span().filter(|s| {
            s.source_id
                .and_then(|id| self.engine.get_source(&id))
                .is_none_or(|src| src.as_ref().as_ref() == prepared.text.as_str())
                && (s.end as usize) <= prepared.text.len()
        });
        SchemeError {
            message: message_of(&err),
            span: span.map(|s| {
                (
                    prepared.original_offset(s.start as usize),
                    prepared.original_offset(s.end as usize),
                )
            }),
            notes: Vec::new(),
        }
    }
}

impl SchemeError {
    fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

/// What became of a text handed to steel.
enum Attempt {
    /// It could not be built (nothing of it ran).
    Unbuilt(SteelErr),
    /// It was compiled, built and run, or failed doing so.
    Done(Result<Vec<SteelVal>, SteelErr>),
}

/// How an evaluation failed: building it, on a free name (which a pending source may
/// provide), or otherwise.
enum Failed {
    Unbuilt(String, SteelErr),
    Other(SchemeError),
}

/// The name of a "free identifier" error.
pub(super) fn free_name(err: &SteelErr) -> Option<String> {
    if err.kind() != ErrorKind::FreeIdentifier {
        return None;
    }
    let text = err.to_string();
    let name = text.rsplit(": ").next()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// Steel's `Error: Kind: message` without the `Error: ` prefix.
fn message_of(err: &SteelErr) -> String {
    let text = err.to_string();
    let text = text.strip_prefix("Error: ").unwrap_or(&text);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A config as Scheme sees it: each section with its (key, value) entries, in order.
pub(super) type ConfigLists = Vec<(String, Vec<(String, String)>)>;

/// Evaluates the body of a `#{scheme ...}` form as CHICKEN's Megatest does, inside
/// `(lambda (ht) BODY)` with `ht` the config read so far (made by `config` only when the
/// body uses it); returns the value as `conc` shows it. Whatever the code prints goes to
/// stderr, so it cannot corrupt megatest's output.
pub fn eval_config_snippet(
    body: &str,
    config: impl FnOnce() -> ConfigLists,
) -> Result<String, SchemeError> {
    if body.trim().is_empty() {
        return Ok(String::new());
    }
    const PREFIX: &str = "(%mt:run-snippet (lambda (ht) ";
    let source = format!("{PREFIX}{body}\n) %mt:ht)");
    let uses_ht = body
        .split(|c: char| c.is_whitespace() || "()[]'`,".contains(c))
        .any(|w| w == "ht");
    with_host(|host| {
        let ht = if uses_ht {
            host.call("%mt:config->hash-table", vec![config_as_lists(config())?])?
        } else {
            SteelVal::BoolV(false)
        };
        host.define("%mt:ht", ht);
        let values = host.eval(&source).map_err(|mut e| {
            e.span = e.span.and_then(|(s, end)| {
                (s >= PREFIX.len() && end <= PREFIX.len() + body.len())
                    .then(|| (s - PREFIX.len(), end - PREFIX.len()))
            });
            e
        })?;
        let result = values.into_iter().last().unwrap_or(SteelVal::Void);
        let (value, printed) = match &result {
            SteelVal::ListV(items) if items.len() == 2 => {
                (items[0].clone(), conc::display(&items[1]))
            }
            other => (other.clone(), String::new()),
        };
        if !printed.is_empty() {
            crate::output::log::emit(format_args!("{}", printed.trim_end_matches('\n')));
        }
        Ok(conc::display(&value))
    })
}

pub(super) fn config_as_lists(config: ConfigLists) -> Result<SteelVal, SchemeError> {
    let sections: Vec<SteelVal> = config
        .into_iter()
        .map(|(name, entries)| {
            let entries: Vec<Vec<String>> = entries.into_iter().map(|(k, v)| vec![k, v]).collect();
            vec![
                SteelVal::StringV(name.into()),
                entries.into_steelval().unwrap_or(SteelVal::Void),
            ]
            .into_steelval()
            .unwrap_or(SteelVal::Void)
        })
        .collect();
    sections
        .into_steelval()
        .map_err(|e| SchemeError::plain(message_of(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(body: &str) -> Result<String, SchemeError> {
        eval_config_snippet(body, Vec::new)
    }

    #[test]
    fn chicken_procedures() {
        assert_eq!(eval("(+ 5 6 7)").unwrap(), "18");
        assert_eq!(eval("(conc \"a\" 1 2.0 #t 'b)").unwrap(), "a12.0#tb");
        assert_eq!(
            eval("(string-intersperse (list \"a\" \"b\") \"-\")").unwrap(),
            "a-b"
        );
        assert_eq!(
            eval("(string-intersperse (list \"a\" \"b\"))").unwrap(),
            "a b"
        );
        assert_eq!(eval("(length (string-split \" a  b \"))").unwrap(), "2");
        assert_eq!(
            eval("(string-split \"a,b,,c\" \",\" #t)").unwrap(),
            "(a b  c)"
        );
        assert_eq!(eval("(any->number \"12\")").unwrap(), "12");
        assert_eq!(eval("(any->number \"x\")").unwrap(), "#f");
        assert_eq!(
            eval("(if (getenv \"MEGATEST_HOST_UNSET\") \"http\" \"fs\")").unwrap(),
            "fs"
        );
        assert_eq!(
            eval(
                "(setenv \"MEGATEST_HOST_X\" \"v\") (get-environment-variable \"MEGATEST_HOST_X\")"
            )
            .unwrap(),
            "v"
        );
        assert_eq!(
            eval("(unsetenv \"MEGATEST_HOST_X\") (getenv \"MEGATEST_HOST_X\")").unwrap(),
            "#f"
        );
        assert_eq!(eval("(> (common:get-num-cpus #f) 0)").unwrap(), "#t");
        assert_eq!(eval("(string? (get-host-name))").unwrap(), "#t");
        assert_eq!(eval("(file-exists? \"/nonexistent/x\")").unwrap(), "#f");
        assert_eq!(
            eval("(map (lambda (x) (conc \"blah/\" x)) '(a b))").unwrap(),
            "(blah/a blah/b)"
        );
        assert_eq!(
            eval("(case (string->symbol (conc \"none\")) ((none) \"nbfake\") (else \"x\"))")
                .unwrap(),
            "nbfake"
        );
        assert_eq!(
            eval("(string-translate \"a\nb\" \"\n\" \" \")").unwrap(),
            "a b"
        );
    }

    #[test]
    fn hash_tables() {
        let body = "(let ([h (make-hash-table)]) \
                    (hash-table-set! h \"a\" 1) \
                    (hash-table-update!/default h \"a\" (lambda (x) (+ x 1)) 0) \
                    (hash-table-set! h 'b 5) \
                    (list (hash-table-ref/default h \"a\" #f) (hash-table-ref h 'b) \
                          (hash-table-exists? h \"zz\") (hash-table-count h) \
                          (hash-table-ref h \"zz\" (lambda () 'none))))";
        assert_eq!(eval(body).unwrap(), "(2 5 #f 2 none)");
        assert_eq!(
            eval(
                "(hash-table-set! *user-hash-data* \"k\" 3) (hash-table-ref *user-hash-data* \"k\")"
            )
            .unwrap(),
            "3"
        );
    }

    #[test]
    fn create_directory_returns_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b");
        let body = format!("(create-directory \"{}\" #t)", path.display());
        assert_eq!(eval(&body).unwrap(), path.display().to_string());
        assert!(path.is_dir());
    }

    #[test]
    fn ht_is_the_config_so_far() {
        let config = || vec![("setup".into(), vec![("jobs".into(), "4".into())])];
        assert_eq!(
            eval_config_snippet("(configf:lookup ht \"setup\" \"jobs\")", config).unwrap(),
            "4"
        );
    }

    #[test]
    fn errors_have_spans_in_the_body() {
        let e = eval("(car 10)").unwrap_err();
        assert!(e.message.contains("car"), "{}", e.message);
        let (start, end) = e.span.unwrap();
        assert_eq!(&"(car 10)"[start..end], "car");
        let e = eval("(+ 1").unwrap_err();
        assert!(
            e.message.to_lowercase().contains("parse") || e.message.contains("EOF"),
            "{}",
            e.message
        );
        let e = eval("(no-such-proc 1)").unwrap_err();
        assert!(e.message.contains("no-such-proc"), "{}", e.message);
    }

    #[test]
    fn panics_and_deep_nesting_are_reported() {
        let e = eval("(make-string -1 #\\a)").unwrap_err();
        assert!(!e.message.is_empty());
        let deep = format!("{}1{}", "(list ".repeat(5000), ")".repeat(5000));
        let e = eval(&deep).unwrap_err();
        assert!(e.message.contains("nesting"), "{}", e.message);
        assert_eq!(eval("(+ 1 1)").unwrap(), "2");
    }

    #[test]
    fn printed_output_is_not_the_value() {
        assert_eq!(eval("(display \"noise\") 7").unwrap(), "7");
        assert_eq!(eval("(print \"a\" 1)").unwrap(), "#<unspecified>");
    }

    #[test]
    fn no_procedure_from_rust_is_one_a_steel_module_provides() {
        // Those modules are loaded after the engine's own procedures are registered: the
        // engine's would stay (see `loading`), leaving the module's procedure unreachable.
        let names = |engine: &Engine| -> std::collections::HashSet<String> {
            engine
                .readable_globals(0)
                .iter()
                .map(|n| n.resolve().to_string())
                .collect()
        };
        let mut engine = Engine::new_raw();
        let before = names(&engine);
        builtins::register(&mut engine);
        area_procs::register(&mut engine);
        let ours: Vec<String> = names(&engine).difference(&before).cloned().collect();
        assert!(ours.iter().any(|n| n == "conc"), "{ours:?}");
        for module in lazy_source::steel_prelude_modules() {
            for name in &ours {
                assert!(!module.provides(name), "{} provides {name}", module.label);
            }
        }
    }
}
