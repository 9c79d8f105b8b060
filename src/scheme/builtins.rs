//! Rust procedures registered in the engine: the CHICKEN and Megatest procedures real configs
//! call (spec §1.6.1) that steel lacks, and CHICKEN-style regexes.

use super::conc;
use crate::environ;
use std::fmt;
use std::path::Path;
use std::sync::Mutex;
use steel::rerrs::{ErrorKind, SteelErr};
use steel::rvals::{Custom, FromSteelVal, IntoSteelVal, Result, SteelVal};
use steel::steel_vm::engine::Engine;
use steel::steel_vm::register_fn::RegisterFn;

/// The command-line options, as `args:get-arg` sees them: (spelling, value or None for a switch).
type ProgramArgs = Vec<(String, Option<String>)>;
static PROGRAM_ARGS: Mutex<Option<ProgramArgs>> = Mutex::new(None);

fn program_args() -> std::sync::MutexGuard<'static, Option<ProgramArgs>> {
    PROGRAM_ARGS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Records the command line for `args:get-arg`; the first call wins.
pub fn set_program_args(args: ProgramArgs) {
    program_args().get_or_insert(args);
}

/// Forgets the recorded command line (a forked executor about to run its next job).
pub fn forget_program_args() {
    *program_args() = None;
}

fn error(message: impl Into<String>) -> SteelErr {
    SteelErr::new(ErrorKind::Generic, message.into())
}

fn string_arg(args: &[SteelVal], i: usize, who: &str) -> Result<String> {
    match args.get(i) {
        Some(SteelVal::StringV(s)) => Ok(s.as_str().to_string()),
        Some(SteelVal::SymbolV(s)) => Ok(s.as_str().to_string()),
        Some(other) => Err(error(format!("{who}: expected a string, got {other}"))),
        None => Err(error(format!("{who}: missing argument {}", i + 1))),
    }
}

fn truthy(v: Option<&SteelVal>) -> bool {
    !matches!(v, None | Some(SteelVal::BoolV(false)))
}

fn text(s: impl Into<String>) -> SteelVal {
    SteelVal::StringV(s.into().into())
}

/// `(conc x ...)`: the arguments displayed and concatenated.
fn conc_fn(args: &[SteelVal]) -> Result<SteelVal> {
    Ok(text(args.iter().map(conc::display).collect::<String>()))
}

/// `(args:get-arg "-target" [default])`.
fn get_arg(args: &[SteelVal]) -> Result<SteelVal> {
    let name = string_arg(args, 0, "args:get-arg")?;
    let given = program_args()
        .as_ref()
        .and_then(|all| all.iter().rev().find(|(n, _)| *n == name).cloned());
    Ok(match given {
        Some((_, Some(value))) => text(value),
        Some((_, None)) => SteelVal::BoolV(true),
        None => args.get(1).cloned().unwrap_or(SteelVal::BoolV(false)),
    })
}

/// `(create-directory path [parents?])`: returns the path.
fn create_directory(args: &[SteelVal]) -> Result<SteelVal> {
    let path = string_arg(args, 0, "create-directory")?;
    let made = if truthy(args.get(1)) {
        std::fs::create_dir_all(&path)
    } else {
        std::fs::create_dir(&path)
    };
    made.map_err(|e| error(format!("create-directory: cannot create `{path}`: {e}")))?;
    Ok(text(path))
}

/// `(any->number x)`: numbers stay, numeric strings convert, anything else is `#f`.
fn any_to_number(args: &[SteelVal]) -> Result<SteelVal> {
    Ok(match args.first() {
        Some(v @ (SteelVal::IntV(_) | SteelVal::NumV(_) | SteelVal::Rational(_))) => v.clone(),
        Some(SteelVal::StringV(s)) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<isize>() {
                SteelVal::IntV(n)
            } else if let Ok(f) = s.parse::<f64>() {
                SteelVal::NumV(f)
            } else {
                SteelVal::BoolV(false)
            }
        }
        _ => SteelVal::BoolV(false),
    })
}

/// `(string-split str [delimiters] [keep-empty?])`, CHICKEN's: splits on any delimiter
/// character (default whitespace), dropping empty pieces unless asked to keep them.
fn string_split(args: &[SteelVal]) -> Result<SteelVal> {
    let s = string_arg(args, 0, "string-split")?;
    let delims = match args.get(1) {
        Some(_) => string_arg(args, 1, "string-split")?,
        None => " \t\n".to_string(),
    };
    let keep_empty = truthy(args.get(2));
    let pieces: Vec<SteelVal> = s
        .split(|c| delims.contains(c))
        .filter(|p| keep_empty || !p.is_empty())
        .map(text)
        .collect();
    pieces.into_steelval()
}

/// `(common:get-num-cpus [host])`: the local CPU count.
fn num_cpus(_args: &[SteelVal]) -> Result<SteelVal> {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok(SteelVal::IntV(n as isize))
}

/// The host name, from the kernel.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| environ::var("HOSTNAME"))
        .unwrap_or_else(|| "localhost".into())
}

/// A compiled regex: from a `#/source/flags` literal (printed that way) or from `regexp`.
#[derive(Clone)]
pub struct SchemeRegex {
    source: String,
    flags: String,
    literal: bool,
    regex: regex::Regex,
}

impl Custom for SchemeRegex {
    fn fmt(&self) -> Option<std::result::Result<String, fmt::Error>> {
        Some(Ok(if self.literal {
            format!("#/{}/{}", self.source, self.flags)
        } else {
            "#<regexp>".to_string()
        }))
    }
}

impl SchemeRegex {
    /// The regex itself.
    pub fn regex(&self) -> &regex::Regex {
        &self.regex
    }

    /// The regex source, as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The flag letters (`i`, `x`, `u`).
    pub fn flags(&self) -> &str {
        &self.flags
    }

    /// Whether it was written as a `#/.../` literal.
    pub fn is_literal(&self) -> bool {
        self.literal
    }
}

fn build_regex(source: String, flags: String, literal: bool) -> Result<SteelVal> {
    let regex = regex::RegexBuilder::new(&source)
        .case_insensitive(flags.contains('i'))
        .ignore_whitespace(flags.contains('x'))
        .build()
        .map_err(|e| {
            let reason = e.to_string();
            let reason = reason.lines().last().unwrap_or("").trim();
            error(format!(
                "invalid regex /{source}/: {}",
                reason.trim_start_matches("error: ")
            ))
        })?;
    SchemeRegex {
        source,
        flags,
        literal,
        regex,
    }
    .into_steelval()
}

/// `(regex pattern [flags])`: what a `#/pattern/flags` literal becomes after the pre-pass.
fn make_regex(args: &[SteelVal]) -> Result<SteelVal> {
    let source = string_arg(args, 0, "regex")?;
    let flags = match args.get(1) {
        Some(SteelVal::StringV(f)) => f.as_str().to_string(),
        _ => String::new(),
    };
    build_regex(source, flags, true)
}

/// `(regexp pattern [caseless [extended [utf8]]])`, CHICKEN's.
fn make_regexp(args: &[SteelVal]) -> Result<SteelVal> {
    let source = string_arg(args, 0, "regexp")?;
    let mut flags = String::new();
    for (i, letter) in [(1, 'i'), (2, 'x'), (3, 'u')] {
        if truthy(args.get(i)) {
            flags.push(letter);
        }
    }
    build_regex(source, flags, false)
}

fn regex_arg(args: &[SteelVal], who: &str) -> Result<regex::Regex> {
    match args.first() {
        Some(SteelVal::StringV(s)) => regex::Regex::new(s.as_str())
            .map_err(|e| error(format!("{who}: bad regex `{}`: {e}", s.as_str()))),
        Some(v) => SchemeRegex::from_steelval(v)
            .map(|r| r.regex)
            .map_err(|_| error(format!("{who}: expected a regex, got {v}"))),
        None => Err(error(format!("{who}: missing regex"))),
    }
}

fn captures_list(caps: regex::Captures<'_>) -> Result<SteelVal> {
    let groups: Vec<SteelVal> = caps
        .iter()
        .map(|m| m.map_or(SteelVal::BoolV(false), |m| text(m.as_str())))
        .collect();
    groups.into_steelval()
}

/// `(string-search re str)`: the first match and its groups as a list, or `#f`.
fn string_search(args: &[SteelVal]) -> Result<SteelVal> {
    let re = regex_arg(args, "string-search")?;
    let s = string_arg(args, 1, "string-search")?;
    match re.captures(&s) {
        Some(caps) => captures_list(caps),
        None => Ok(SteelVal::BoolV(false)),
    }
}

/// `(string-match re str)`: like `string-search`, but the whole string must match.
fn string_match(args: &[SteelVal]) -> Result<SteelVal> {
    let re = regex_arg(args, "string-match")?;
    let s = string_arg(args, 1, "string-match")?;
    let anchored = regex::Regex::new(&format!("^(?:{})$", re.as_str()))
        .map_err(|e| error(format!("string-match: {e}")))?;
    match anchored.captures(&s) {
        Some(caps) => captures_list(caps),
        None => Ok(SteelVal::BoolV(false)),
    }
}

/// `(%mt:written x)`: x as `write` shows it.
fn written(args: &[SteelVal]) -> Result<SteelVal> {
    Ok(text(conc::written(args.first().unwrap_or(&SteelVal::Void))))
}

/// `(exit [code])`: ends megatest at once with that status (`#t` 0, `#f` 1).
fn exit(args: &[SteelVal]) -> Result<SteelVal> {
    let code = match args.first() {
        None | Some(SteelVal::BoolV(true)) => 0,
        Some(SteelVal::BoolV(false)) => 1,
        Some(SteelVal::IntV(n)) => *n as i32,
        Some(other) => return Err(error(format!("exit: expected a number, got {other}"))),
    };
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}

/// Registers every procedure in `engine`.
pub(super) fn register(engine: &mut Engine) {
    for (name, f) in [
        ("conc", conc_fn as fn(&[SteelVal]) -> Result<SteelVal>),
        ("args:get-arg", get_arg),
        ("create-directory", create_directory),
        ("any->number", any_to_number),
        ("string-split", string_split),
        ("common:get-num-cpus", num_cpus),
        ("regex", make_regex),
        ("regexp", make_regexp),
        ("string-search", string_search),
        ("string-match", string_match),
        ("exit", exit),
        ("%mt:written", written),
    ] {
        engine.register_value(name, SteelVal::FuncV(f));
    }
    engine.register_fn("getenv", |name: String| environ::var(&name));
    engine.register_fn("get-environment-variable", |name: String| {
        environ::var(&name)
    });
    engine.register_fn("setenv", |name: String, value: String| {
        environ::set(&name, &value)
    });
    engine.register_fn("unsetenv", |name: String| environ::remove(&name));
    engine.register_fn("get-host-name", host_name);
    engine.register_fn("file-exists?", |path: String| {
        Path::new(&path).exists().then_some(path)
    });
    engine.register_fn("directory-exists?", |path: String| {
        Path::new(&path).is_dir().then_some(path)
    });
    engine.register_fn("nice-path", |path: String| {
        crate::sys::nice_path(&path, &std::env::current_dir().unwrap_or_default())
    });
    engine.register_fn("common:nice-path", |path: String| {
        crate::sys::nice_path(&path, &std::env::current_dir().unwrap_or_default())
    });
    engine.register_fn("system", |cmd: String| -> isize {
        let mut command = std::process::Command::new("/bin/sh");
        command.arg("-c").arg(&cmd);
        environ::apply(&mut command);
        command
            .status()
            .map_or(-1, |s| crate::sys::shell::status_code(s) as isize)
    });
    engine.register_fn("regex?", |v: SteelVal| {
        SchemeRegex::from_steelval(&v).is_ok()
    });
}
