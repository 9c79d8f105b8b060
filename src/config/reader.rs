//! The config reader (spec §1): logical lines are expanded, classified and applied to a
//! [`Config`], with includes, script includes, settings, continuation lines, wildcard
//! sections, `environ-patt` evaluation and the section filter.

use super::expand::{ExpandContext, ExpandError, Expanded, expand_line};
use super::grammar::{LineKind, classify};
use super::lines::{LogicalLine, logical_lines};
use super::model::{Config, Origin};
use super::wildcard;
use crate::error::{Error, ErrorKind, Location, Result};
use crate::{environ, sys::shell};
use regex::Regex;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Whether `#{system}`/`#{shell}` and `key [system cmd]` run (spec §1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemPolicy {
    /// Run them as they are read.
    Allow,
    /// Leave `#{shell ...}` forms as literal `#{(shell) ...}` text and drop `[system]` keys.
    Deny,
    /// No `#{...}` processing at all, no `[scriptinc]`; `[system]` values keep their
    /// command text.
    Raw,
}

/// How to read a file.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Whether system commands run.
    pub system: SystemPolicy,
    /// Sections whose name this regex finds have their values shell-evaluated and exported.
    pub environ_patt: Option<Regex>,
    /// When set, only these sections (and `default`) run system commands, and only these
    /// sections are kept once the file is read.
    pub sections: Option<Vec<String>>,
    /// Directory for commands, `[scriptinc]` and relative `#{rp}` paths.
    pub cwd: PathBuf,
    /// The area top, for `#{mtrah}`.
    pub toppath: Option<PathBuf>,
    /// The target `#{rget}` looks up.
    pub target: Option<String>,
    /// Whether wildcard and regex sections are applied (always, in Megatest).
    pub apply_wildcards: bool,
    /// Whether a `#{...}` form that cannot be expanded is an error (`-strict`) rather than
    /// left as written with a warning, as Megatest 1.65 does.
    pub strict: bool,
}

impl ReadOptions {
    /// Everything allowed, commands run in `cwd`.
    pub fn new(cwd: &Path) -> Self {
        ReadOptions {
            system: SystemPolicy::Allow,
            environ_patt: None,
            sections: None,
            cwd: cwd.to_path_buf(),
            toppath: None,
            target: None,
            apply_wildcards: true,
            strict: crate::environ::strict(),
        }
    }
}

/// Called with the name of a section when the reader leaves it for another.
pub type SectionHook<'h> = dyn FnMut(&str, &Config) -> Result<()> + 'h;

/// Reads `path`; `Ok(None)` when it does not exist.
pub fn read_file(path: &Path, opts: &ReadOptions) -> Result<Option<Config>> {
    read_file_into(path, Config::new(), opts, None)
}

/// Reads `path` on top of `config`, calling `hook` when a section ends.
pub fn read_file_into(
    path: &Path,
    config: Config,
    opts: &ReadOptions,
    hook: Option<&mut SectionHook<'_>>,
) -> Result<Option<Config>> {
    if !path.exists() {
        crate::debug!(2, "config file {} not found", path.display());
        return Ok(None);
    }
    let text = read_text(path, None)?;
    let mut reader = Reader::new(config, opts, hook);
    reader.push_file(path, None)?;
    reader.read_source(&Arc::from(path), &text, "default".to_string())?;
    Ok(Some(reader.finish()))
}

/// Reads config text that claims to come from `file` (used by tests and `[scriptinc]`).
pub fn read_str(file: &Path, text: &str, opts: &ReadOptions) -> Result<Config> {
    let mut reader = Reader::new(Config::new(), opts, None);
    reader.read_source(&Arc::from(file), text, "default".to_string())?;
    Ok(reader.finish())
}

fn read_text(path: &Path, included_at: Option<&Location>) -> Result<String> {
    let located = |e: Error| match included_at {
        Some(loc) => e.at(loc.clone()),
        None => e,
    };
    if path.is_dir() {
        return Err(located(Error::new(format!(
            "cannot read `{}`: it is a directory",
            path.display()
        ))));
    }
    match std::fs::read(path) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => Err(located(Error::of(
            ErrorKind::Io,
            format!(
                "cannot read `{}`: {}",
                path.display(),
                crate::sys::io_reason(&e)
            ),
        ))),
    }
}

/// A file being read, for include-cycle errors.
struct Frame {
    /// Resolved lazily: only an include needs it, to detect a cycle.
    canonical: std::cell::OnceCell<PathBuf>,
    shown: PathBuf,
    included_at: Option<Location>,
}

/// Per-file parsing state.
struct FileState {
    section: String,
    header: Option<Location>,
    var_flag: Option<String>,
    lead: Option<String>,
}

struct Reader<'o, 'h, 'c> {
    opts: &'o ReadOptions,
    hook: Option<&'h mut SectionHook<'c>>,
    config: Config,
    trim_trailing_spaces: bool,
    stack: Vec<Frame>,
}

impl<'o, 'h, 'c> Reader<'o, 'h, 'c> {
    fn new(config: Config, opts: &'o ReadOptions, hook: Option<&'h mut SectionHook<'c>>) -> Self {
        Reader {
            opts,
            hook,
            config,
            trim_trailing_spaces: false,
            stack: Vec::new(),
        }
    }

    fn finish(mut self) -> Config {
        if let Some(keep) = &self.opts.sections {
            self.config.retain_sections(|s| keep.iter().any(|k| k == s));
        }
        self.config
    }

    fn push_file(&mut self, path: &Path, included_at: Option<Location>) -> Result<()> {
        let resolve = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let canonical = std::cell::OnceCell::new();
        if included_at.is_some() {
            let me = canonical.get_or_init(|| resolve(path)).clone();
            if let Some(open) = self
                .stack
                .iter()
                .find(|f| *f.canonical.get_or_init(|| resolve(&f.shown)) == me)
            {
                let includer = self
                    .stack
                    .last()
                    .map(|f| f.shown.display().to_string())
                    .unwrap_or_default();
                let mut err = Error::new(format!(
                    "include cycle: `{includer}` includes `{}`, which is already being read",
                    open.shown.display()
                ));
                if let Some(loc) = &included_at {
                    err = err.at(loc.clone());
                }
                for frame in self.stack.iter().skip(1) {
                    if let Some(loc) = &frame.included_at {
                        err = err.note(format!(
                            "`{}` is included from {}:{}",
                            frame.shown.display(),
                            loc.file.display(),
                            loc.line
                        ));
                    }
                }
                return Err(err);
            }
        }
        self.stack.push(Frame {
            canonical,
            shown: path.to_path_buf(),
            included_at,
        });
        Ok(())
    }

    fn system_allowed(&self, section: &str) -> bool {
        self.opts.system == SystemPolicy::Allow
            && self
                .opts
                .sections
                .as_ref()
                .is_none_or(|keep| section == "default" || keep.iter().any(|k| k == section))
    }

    fn read_source(&mut self, file: &Arc<Path>, text: &str, section: String) -> Result<()> {
        let mut state = FileState {
            section,
            header: None,
            var_flag: None,
            lead: None,
        };
        for line in logical_lines(text) {
            self.read_line(file, &line, &mut state)?;
        }
        self.leave_section(&state, false)
    }

    fn expand(&self, file: &Path, line: &LogicalLine<'_>, section: &str) -> Result<Expanded> {
        if self.opts.system == SystemPolicy::Raw || !line.text.contains("#{") {
            return Ok(Expanded::unchanged(&line.text));
        }
        let ctx = ExpandContext {
            config: &self.config,
            system_allowed: self.system_allowed(section),
            cwd: &self.opts.cwd,
            toppath: self.opts.toppath.as_deref(),
            target: self.opts.target.as_deref(),
            lenient: !self.opts.strict,
        };
        match expand_line(&line.text, &ctx) {
            Ok(e) => {
                // A comment is not read: what its forms could not do does not matter.
                let comment = line.text.trim_start().starts_with('#')
                    && !line.text.trim_start().starts_with("#{");
                for why in e.left_as_written.iter().filter(|_| !comment) {
                    let at = locate(file, line, why.offset, why.len);
                    crate::warn_once!(
                        "{}:{}:{}: {}; left as written (-strict makes this an error)",
                        at.file.display(),
                        at.line,
                        at.column,
                        why.message
                    );
                }
                Ok(e)
            }
            Err(ExpandError {
                offset,
                len,
                message,
                notes,
            }) => {
                let mut err = Error::new(message).at(locate(file, line, offset, len));
                err.notes = notes;
                Err(err)
            }
        }
    }

    fn read_line(
        &mut self,
        file: &Arc<Path>,
        line: &LogicalLine<'_>,
        st: &mut FileState,
    ) -> Result<()> {
        let mut expanded = self.expand(file, line, &st.section)?;
        if self.trim_trailing_spaces {
            expanded.trim_end(is_posix_space);
        }
        let first_change = expanded.first_change;
        // The line's structure comes from the author's text; results only fill its pieces.
        // A line that is one form and nothing else is made by it (Megatest areas write
        // `#{getenv WAITON_...}` for a whole `waiton ...` line); it may not run commands.
        let generated = expanded.is_one_result().then(|| expanded.restored());
        let text = generated.as_deref().unwrap_or(&expanded.text);
        let r = |piece: &str| match generated {
            Some(_) => piece.to_string(),
            None => expanded.restore(piece),
        };
        // Offsets into `text` map back to the file only left of the first expansion.
        let here = |offset: usize, len: usize| -> Location {
            match first_change {
                Some(change) if offset >= change => locate(file, line, change, 2),
                _ => locate(file, line, offset, len),
            }
        };
        // A piece for a shell to read: results quoted where they land; a generated line is
        // all data.
        let for_shell = |piece: &str| -> Result<Option<String>> {
            match generated {
                Some(_) => Ok(Some(crate::environ::env_file::sh_quote(piece))),
                None => unsafe_here(expanded.restore_for_shell(piece), &here),
            }
        };
        let origin = Origin {
            file: file.clone(),
            line: line.first_line(),
        };
        let Some(kind) = classify(text) else {
            crate::warn!(
                "problem parsing {}:{}: `{}`",
                file.display(),
                line.first_line(),
                r(text)
            );
            st.var_flag = None;
            return Ok(());
        };
        match kind {
            LineKind::KeySystem { .. }
            | LineKind::ScriptInc { .. }
            | LineKind::Include { .. }
            | LineKind::Setting { .. }
                if generated.is_some() =>
            {
                return Err(Error::new(format!(
                    "a line made by `#{{...}}` cannot run commands, include files or change settings: `{text}`"
                ))
                .at(here(0, line.text.len()))
                .note("`[system ...]`, `[scriptinc ...]`, `[include ...]` and `[configf:settings ...]` work only when the config's own text says so"));
            }
            LineKind::Comment | LineKind::Blank => st.var_flag = None,
            LineKind::Setting { name, value } => {
                let (name, value) = (r(name), r(value));
                if name == "trim-trailing-spaces" {
                    self.trim_trailing_spaces = value != "no";
                } else {
                    crate::warn!(
                        "{}:{}: unknown reader setting `{name}` ignored",
                        file.display(),
                        line.first_line()
                    );
                }
                st.var_flag = None;
            }
            LineKind::Include { path } => {
                let at = here(0, text.len());
                self.include(file, &r(path), &st.section, at)?;
                st.var_flag = None;
            }
            LineKind::ScriptInc { script, params } => {
                self.script_include(&r(script), &r(params), &st.section)?;
                st.var_flag = None;
            }
            LineKind::Section { name } => {
                let header = here(1, name.len());
                let name = r(name);
                self.leave_section(st, true)?;
                self.config.ensure_section(&name);
                st.section = name;
                st.header = Some(header);
                st.var_flag = None;
            }
            LineKind::KeySystem { key, command } => {
                // A result in the command is data for the shell, not code.
                let command = for_shell(command)?.unwrap_or_else(|| command.to_string());
                if let Some(value) = self.system_value(&command, file, line.first_line()) {
                    // A command's output is data wherever it is looked up.
                    let shell = Some(crate::environ::env_file::sh_quote(&value));
                    self.config
                        .set_with_shell_text(&st.section, &r(key), value, origin, shell);
                }
                st.var_flag = None;
            }
            LineKind::KeyOnly { key, trailing } => {
                check_key(key, text, &here)?;
                let (key, trailing) = (r(key), r(trailing));
                export_valueless(&key, &trailing);
                self.config.set(&st.section, &key, trailing, origin);
                st.var_flag = Some(key);
                st.lead = None;
            }
            LineKind::KeyValue { key, value } if r(value).is_empty() => {
                // `KEY #{...}` whose result is empty: a key without a value (spec §1.4).
                check_key(key, text, &here)?;
                let trailing = r(&text[key.len()..]);
                let key = r(key);
                export_valueless(&key, &trailing);
                self.config.set(&st.section, &key, trailing, origin);
                st.var_flag = Some(key);
                st.lead = None;
            }
            LineKind::KeyValue { key, value } => {
                check_key(key, text, &here)?;
                if value.starts_with("[system") {
                    let at = here(text.len() - value.len(), value.len());
                    return Err(Error::new("malformed `[system ...]` value").at(at).note(
                        "expected `KEY [system COMMAND]`, with the `]` at the end of the line",
                    ));
                }
                let key = r(key);
                let shell_text = for_shell(value)?;
                let value = r(value);
                let shell_input = shell_text.as_deref().unwrap_or(&value);
                match self.environ_value(&st.section, &key, shell_input)? {
                    Some(evaluated) => {
                        // Evaluated once already: no shell reads it again as code.
                        let shell = Some(crate::environ::env_file::sh_quote(&evaluated));
                        self.config
                            .set_with_shell_text(&st.section, &key, evaluated, origin, shell)
                    }
                    None => self.config.set_with_shell_text(
                        &st.section,
                        &key,
                        value,
                        origin,
                        shell_text,
                    ),
                }
                st.var_flag = Some(key);
                st.lead = None;
            }
            LineKind::Continuation { indent, rest } => {
                if let Some(key) = &st.var_flag {
                    let rest_for_shell = for_shell(rest)?;
                    let (indent, rest) = (r(indent), r(rest));
                    let kept = match &st.lead {
                        Some(lead) => indent.replacen(lead.as_str(), "", 1),
                        None => {
                            st.lead = Some(indent.to_string());
                            String::new()
                        }
                    };
                    let shell_line = rest_for_shell.map(|shell| format!("{kept}{shell}"));
                    self.config.append_line(
                        &st.section,
                        key,
                        &format!("{kept}{rest}"),
                        shell_line.as_deref(),
                    );
                }
            }
        }
        Ok(())
    }

    /// The hook (for a new header only: Megatest does not call it at the end of a file),
    /// then the wildcard processing of the section being left.
    fn leave_section(&mut self, st: &FileState, for_new_header: bool) -> Result<()> {
        if let Some(hook) = self.hook.as_mut().filter(|_| for_new_header) {
            hook(&st.section, &self.config)?;
        }
        if !self.opts.apply_wildcards {
            return Ok(());
        }
        match wildcard::section_pattern(&st.section) {
            None => Ok(()),
            Some(Ok(re)) => {
                wildcard::apply(&mut self.config, &st.section, &re);
                Ok(())
            }
            Some(Err(e)) => {
                let mut err =
                    Error::new(format!("section `[{}]` is not a valid pattern", st.section))
                        .note(format!("as a regex: {}", last_line(&e.to_string())));
                if let Some(at) = &st.header {
                    err = err.at(at.clone());
                }
                Err(err)
            }
        }
    }

    fn include(&mut self, file: &Path, raw: &str, section: &str, at: Location) -> Result<()> {
        let target = if raw.starts_with('/') {
            PathBuf::from(raw)
        } else {
            let dir = file
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            dir.join(raw)
        };
        if !target.exists() {
            crate::debug!(
                2,
                "include file {} not found (included from {}:{})",
                target.display(),
                file.display(),
                at.line
            );
            return Ok(());
        }
        let text = read_text(&target, Some(&at))?;
        self.push_file(&target, Some(at))?;
        crate::debug!(3, "including {}", target.display());
        let result = self.read_source(&Arc::from(target.as_path()), &text, section.to_string());
        self.stack.pop();
        result
    }

    fn script_include(&mut self, script: &str, params: &str, section: &str) -> Result<()> {
        if self.opts.system == SystemPolicy::Raw {
            // Nothing of the file runs in this mode.
            crate::debug!(2, "[scriptinc {script}] not run: the file is read as text");
            return Ok(());
        }
        let path = self.opts.cwd.join(script);
        let runnable = std::fs::metadata(&path)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false);
        if !runnable {
            crate::warn!("script not found or not executable: {script}");
            return Ok(());
        }
        let command = format!("{script}{params}");
        let out = shell::capture(&command, &self.opts.cwd)
            .map_err(|e| Error::new(format!("cannot run `{command}`: {e}")))?;
        if out.status != 0 {
            crate::warn!("`{command}` exited with code {}", out.status);
        }
        self.read_source(&Arc::from(path.as_path()), &out.stdout, section.to_string())
    }

    fn system_value(&self, command: &str, file: &Path, line: u32) -> Option<String> {
        match self.opts.system {
            SystemPolicy::Raw => Some(command.to_string()),
            SystemPolicy::Deny => None,
            SystemPolicy::Allow => match shell::capture(command, &self.opts.cwd) {
                Ok(out) => {
                    if out.status != 0 {
                        crate::output::log::emit(format_args!(
                            "ERROR: problem with `{command}` at {}:{line}, return code {}",
                            file.display(),
                            out.status
                        ));
                    }
                    Some(shell::lines_joined_by_spaces(&out.stdout))
                }
                Err(e) => {
                    crate::warn!("cannot run `{command}`: {e}");
                    Some(String::new())
                }
            },
        }
    }

    /// In an `environ-patt` section, the value evaluated by the shell (and exported); `None`
    /// elsewhere. `value` is in its shell form (`#{...}` results quoted).
    fn environ_value(&self, section: &str, key: &str, value: &str) -> Result<Option<String>> {
        let Some(patt) = &self.opts.environ_patt else {
            return Ok(None);
        };
        if !patt.is_match(section) {
            return Ok(None);
        }
        let evaluated = shell::echo_eval(value, &self.opts.cwd)
            .map_err(|e| Error::new(format!("cannot evaluate `{value}` in the shell: {e}")))?;
        if !key.contains(':') {
            environ::set(key, &evaluated);
        }
        Ok(Some(evaluated))
    }
}

/// A result that cannot be placed safely in shell text is a config error at its line.
fn unsafe_here(
    restored: std::result::Result<Option<String>, super::shell_text::Unsafe>,
    here: &dyn Fn(usize, usize) -> Location,
) -> Result<Option<String>> {
    restored.map_err(|super::shell_text::Unsafe(why)| {
        Error::new(format!("a `#{{...}}` result cannot go {why}"))
            .at(here(0, 1))
            .note("move the result out of that construct, into a variable the shell reads")
    })
}

/// A valueless key is exported as (usually) empty, except keys holding `:` (Megatest's
/// `safe-setenv`).
fn export_valueless(key: &str, value: &str) {
    if !key.contains(':') {
        environ::set(key, value);
    }
}

/// A key starting with `[` is a section header gone wrong.
fn check_key(key: &str, text: &str, here: &dyn Fn(usize, usize) -> Location) -> Result<()> {
    if !key.starts_with('[') {
        return Ok(());
    }
    let note = if text.contains(']') {
        "nothing may follow the `]` of a section header (there are no inline comments)"
    } else {
        "expected `]` at the end of the line"
    };
    Err(Error::new("malformed section header")
        .at(here(0, text.trim_end().len()))
        .note(note))
}

fn is_posix_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\u{0B}' | '\u{0C}')
}

/// The last line of a regex error, which says what is wrong.
fn last_line(text: &str) -> &str {
    let line = text.lines().last().unwrap_or(text).trim();
    line.strip_prefix("error: ").unwrap_or(line)
}

/// The file location of byte `offset` of a logical line.
fn locate(file: &Path, line: &LogicalLine<'_>, offset: usize, len: usize) -> Location {
    let (number, text, in_line) = line.physical(offset);
    Location::in_line(file, number as usize, text, in_line, len)
}
