//! `#{helper body}` expansion (spec §1.6): the right-most innermost form first, repeated until
//! none is left, so nested forms work inside-out.

use super::grammar::{Form, FormParse, parse_form};
use super::model::{Config, Entry};
use super::shell_text::{ShellText, Unsafe};
use crate::sys::nice_path;
use crate::{environ, sys::shell};
use std::path::Path;
use std::time::Instant;

/// The helpers `#{...}` accepts.
pub const HELPERS: &[&str] = &[
    "scheme",
    "scm",
    "system",
    "shell",
    "sh",
    "rp",
    "getenv",
    "gv",
    "get",
    "g",
    "rget",
    "runconfigs-get",
    "mtrah",
];

/// Expansions allowed on one line.
const MAX_EXPANSIONS_PER_LINE: usize = 1000;

/// What an expansion may see and do.
pub(crate) struct ExpandContext<'a> {
    /// The config as read so far, for `#{get}`, `#{rget}` and Scheme's `ht`.
    pub config: &'a Config,
    /// Whether `system`, `shell` and `sh` may run commands in the current section.
    pub system_allowed: bool,
    /// Directory commands run in and relative `#{rp}` paths resolve against.
    pub cwd: &'a Path,
    /// The area's top directory, for `#{mtrah}`.
    pub toppath: Option<&'a Path>,
    /// The target whose runconfigs section `#{rget}` reads.
    pub target: Option<&'a str>,
    /// Whether a form that cannot be expanded (an unknown helper, a broken form, a failing
    /// Scheme form or command) stays as written, with a warning, as in Megatest 1.65; else
    /// it is an error (`-strict`).
    pub lenient: bool,
}

/// Why a line could not be expanded; offsets are bytes into the line as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExpandError {
    pub offset: usize,
    pub len: usize,
    pub message: String,
    pub notes: Vec<String>,
}

/// The expanded line, and the leftmost byte offset any expansion touched (offsets before it
/// still match the original text).
///
/// Results are data: in `text` each stands as one placeholder character, so neither a later
/// expansion nor the line's classification (`[system ...]`, `[include ...]`, key and value)
/// reads inside it; [`Expanded::restore`] puts the results back into the pieces the line
/// was split into.
pub(crate) struct Expanded {
    pub text: String,
    pub first_change: Option<usize>,
    results: Vec<Piece>,
    /// The forms left as written (lenient expansion), with why.
    pub left_as_written: Vec<ExpandError>,
}

/// One result: its text, and what a shell should read for it when that is not the text
/// quoted as data (the author's own text: a value looked up in the config, the area's path).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    text: String,
    author_text: Option<String>,
}

/// The first placeholder: Unicode's supplementary private-use plane, which config text has no
/// reason to hold.
const PLACEHOLDER_BASE: u32 = 0xF0000;

fn placeholder_index(c: char) -> Option<usize> {
    (c as u32)
        .checked_sub(PLACEHOLDER_BASE)
        .map(|i| i as usize)
        .filter(|i| *i <= MAX_EXPANSIONS_PER_LINE)
}

impl Expanded {
    /// A line without forms.
    pub(super) fn unchanged(line: &str) -> Expanded {
        Expanded {
            text: line.to_string(),
            first_change: None,
            results: Vec::new(),
            left_as_written: Vec::new(),
        }
    }

    /// `piece` (a part of `text`) with every result put back.
    pub(super) fn restore(&self, piece: &str) -> String {
        if self.results.is_empty() {
            return piece.to_string();
        }
        let mut out = String::with_capacity(piece.len());
        for c in piece.chars() {
            match self.result_of(c) {
                Some(result) => out.push_str(&result.text),
                None => out.push(c),
            }
        }
        out
    }

    /// The whole line with the results put back.
    pub(super) fn restored(&self) -> String {
        self.restore(&self.text)
    }

    /// `piece` with every result put back for a shell to read: data quoted where it lands
    /// (see [`ShellText`]), so a shell evaluating the text (runconfigs values,
    /// `[pre-launch-env-vars]`, commands) expands the author's `$VAR`s but takes each result
    /// as literal text; a value looked up in the config goes in as its author wrote it.
    /// `None` when `piece` holds no result.
    pub(super) fn restore_for_shell(&self, piece: &str) -> Result<Option<String>, Unsafe> {
        if !piece.chars().any(|c| self.result_of(c).is_some()) {
            return Ok(None);
        }
        let mut text = ShellText::new();
        let mut buf = [0; 4];
        for c in piece.chars() {
            match self.result_of(c) {
                Some(Piece {
                    author_text: Some(author),
                    ..
                }) => text.push_code(author),
                Some(result) => text.push_data(&result.text)?,
                None => text.push_code(c.encode_utf8(&mut buf)),
            }
        }
        Ok(Some(text.finish()))
    }

    /// `piece` (Scheme code) with every result put back, escaped where it falls inside a
    /// string literal (`"#{getenv X}/tmp"` stays one string whatever X holds); elsewhere the
    /// author used the result as code (`(+ 1 #{getenv N})`) and it goes in as it is.
    pub(super) fn restore_for_scheme(&self, piece: &str) -> String {
        let mut out = String::with_capacity(piece.len());
        let (mut in_string, mut escaped) = (false, false);
        for c in piece.chars() {
            if let Some(result) = self.result_of(c) {
                let result = &result.text;
                if in_string {
                    for r in result.chars() {
                        if matches!(r, '"' | '\\') {
                            out.push('\\');
                        }
                        out.push(r);
                    }
                } else {
                    out.push_str(result);
                }
                continue;
            }
            out.push(c);
            if escaped {
                escaped = false;
            } else if in_string && c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = !in_string;
            }
        }
        out
    }

    /// Keeps `piece` as the next result; returns the placeholder that stands for it.
    /// A form that cannot be expanded: an error, or when `lenient` it stays as written and
    /// the reason is kept for a warning.
    fn leave_as_written(&mut self, error: ExpandError, lenient: bool) -> Result<(), ExpandError> {
        if !lenient {
            return Err(error);
        }
        self.left_as_written.push(error);
        Ok(())
    }

    fn keep(&mut self, piece: Piece) -> char {
        let index = self.results.len() as u32;
        self.results.push(piece);
        char::from_u32(PLACEHOLDER_BASE + index).expect("in the private-use plane")
    }

    fn result_of(&self, c: char) -> Option<&Piece> {
        placeholder_index(c).and_then(|i| self.results.get(i))
    }

    /// Whether the line is one form and nothing else: its result is the line.
    pub(super) fn is_one_result(&self) -> bool {
        let mut chars = self
            .text
            .trim_matches(|c: char| c.is_ascii_whitespace())
            .chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if placeholder_index(c).is_some_and(|i| i < self.results.len()))
    }

    /// Drops trailing whitespace of the line, including that of results at its end (the
    /// reader's `trim-trailing-spaces`).
    pub(super) fn trim_end(&mut self, is_space: fn(char) -> bool) {
        loop {
            let trimmed = self.text.trim_end_matches(is_space).len();
            self.text.truncate(trimmed);
            let Some(last) = self.text.chars().next_back() else {
                return;
            };
            let Some(i) = placeholder_index(last).filter(|i| *i < self.results.len()) else {
                return;
            };
            let result = &mut self.results[i].text;
            result.truncate(result.trim_end_matches(is_space).len());
            if !result.is_empty() {
                return;
            }
            self.text.pop();
        }
    }
}

/// Expands every `#{...}` form of `line`; a form's body gets the results of the forms nested
/// in it (the author wrote the composition), but no result is expanded again.
pub(crate) fn expand_line(line: &str, ctx: &ExpandContext<'_>) -> Result<Expanded, ExpandError> {
    let mut expanded = Expanded::unchanged(line);
    // A character of the placeholders' range written in the line stands for itself.
    if line.chars().any(|c| placeholder_index(c).is_some()) {
        expanded.text = line
            .chars()
            .map(|c| match placeholder_index(c) {
                Some(_) if expanded.results.len() < MAX_EXPANSIONS_PER_LINE => {
                    expanded.keep(Piece {
                        text: c.to_string(),
                        author_text: Some(c.to_string()),
                    })
                }
                _ => c,
            })
            .collect();
    }
    let mut search_end = line.len();
    while let Some(pos) = expanded.text[..search_end].rfind("#{") {
        // Offsets left of every change so far still point into the original line.
        let first_change = expanded.first_change;
        let report_at = first_change.map_or(pos, |c| pos.min(c));
        let text = &expanded.text;
        let form = match parse_form(&text[pos..]) {
            FormParse::Literal => {
                search_end = pos;
                continue;
            }
            FormParse::Broken { helper } => {
                let error = broken_form(&text[pos..], helper, report_at);
                expanded.leave_as_written(error, ctx.lenient)?;
                search_end = pos;
                continue;
            }
            FormParse::Form(form) => form,
        };
        if !HELPERS.contains(&form.helper) {
            expanded.leave_as_written(unknown_helper(form.helper, report_at), ctx.lenient)?;
            search_end = pos;
            continue;
        }
        if expanded.results.len() >= MAX_EXPANSIONS_PER_LINE {
            return Err(ExpandError {
                offset: report_at,
                len: 2,
                message: format!(
                    "too many `#{{...}}` expansions: more than {MAX_EXPANSIONS_PER_LINE} on one line"
                ),
                notes: Vec::new(),
            });
        }
        // Results nested in a form's body are data there too: quoted for the shell in a
        // command, escaped inside a Scheme string literal.
        let body = match form.helper {
            "shell" | "sh" | "system" => expanded
                .restore_for_shell(form.body)
                .map_err(|Unsafe(why)| ExpandError {
                    offset: report_at,
                    len: 2,
                    message: format!("a `#{{...}}` result cannot go {why}"),
                    notes: vec![
                        "move the result out of that construct, into a variable the command reads"
                            .into(),
                    ],
                })?
                .unwrap_or_else(|| form.body.to_string()),
            "scheme" | "scm" => expanded.restore_for_scheme(form.body),
            _ => expanded.restore(form.body),
        };
        let with_results = Form {
            body: &body,
            ..form
        };
        let body_has_data = form.body.chars().any(|c| {
            expanded
                .result_of(c)
                .is_some_and(|p| p.author_text.is_none())
        });
        let form_len = form.len;
        let replacement = match evaluate(&with_results, ctx, body_has_data) {
            Ok(piece) => piece,
            Err(mut e) => {
                if first_change.is_none_or(|c| pos <= c) {
                    e.offset += pos;
                } else {
                    e.offset = report_at;
                }
                expanded.leave_as_written(e, ctx.lenient)?;
                search_end = pos;
                continue;
            }
        };
        let mark = expanded.keep(replacement);
        expanded
            .text
            .replace_range(pos..pos + form_len, mark.encode_utf8(&mut [0; 4]));
        expanded.first_change = Some(first_change.map_or(pos, |c| c.min(pos)));
        search_end = pos;
    }
    Ok(expanded)
}

fn unknown_helper(helper: &str, offset: usize) -> ExpandError {
    let mut notes = vec![format!("the helpers are: {}", HELPERS.join(", "))];
    if helper == "realpath" {
        notes.push("use `#{rp PATH}` for a resolved path".into());
    }
    ExpandError {
        offset,
        len: helper.len() + 2,
        message: format!("unknown helper `{helper}` in `#{{{helper} ...}}`"),
        notes,
    }
}

fn broken_form(text: &str, helper: &str, offset: usize) -> ExpandError {
    let after = &text[2 + helper.len()..];
    let (message, note) = match after.find(['{', '}']) {
        Some(i) if after.as_bytes()[i] == b'{' => (
            format!("`#{{{helper} ...}}` contains a `{{`"),
            "the body of a `#{...}` form cannot contain braces".to_string(),
        ),
        Some(_) => (
            format!("expected whitespace after `#{{{helper}`"),
            format!("write `#{{{helper} ARGUMENT}}`"),
        ),
        None => (
            format!("unclosed `#{{{helper}`: expected `}}`"),
            "every `#{` needs a closing `}` on the same line".to_string(),
        ),
    };
    ExpandError {
        offset,
        len: helper.len() + 2,
        message,
        notes: vec![note],
    }
}

/// The result of one form; error offsets are relative to the form's `#{`. Values looked up
/// in the config, and the area's path (unless built from data), are the author's text.
fn evaluate(
    form: &Form<'_>,
    ctx: &ExpandContext<'_>,
    body_has_data: bool,
) -> Result<Piece, ExpandError> {
    let body = form.body;
    let fail = |message: String| ExpandError {
        offset: 0,
        len: form.len,
        message,
        notes: Vec::new(),
    };
    let started = Instant::now();
    let result = match form.helper {
        "scheme" | "scm" => match crate::scheme::eval_config_snippet(body, || {
            ctx.config.section_lists()
        }) {
            Ok(text) => text,
            Err(e) => {
                let (offset, len) = match e.span {
                    Some((start, end)) => (form.body_offset + start, (end - start).max(1)),
                    None => (0, form.len),
                };
                return Err(ExpandError {
                    offset,
                    len,
                    message: format!("Scheme error in `#{{{} ...}}`: {}", form.helper, e.message),
                    notes: e.notes,
                });
            }
        },
        "system" if ctx.system_allowed => {
            let code = shell::run_to_stderr(body, ctx.cwd)
                .map_err(|e| fail(format!("cannot run `{body}`: {e}")))?;
            code.to_string()
        }
        "shell" | "sh" if ctx.system_allowed => {
            let out = shell::capture(body, ctx.cwd)
                .map_err(|e| fail(format!("cannot run `{body}`: {e}")))?;
            if out.status == 0 {
                shell::lines_joined_by_spaces(&out.stdout)
            } else {
                crate::output::log::emit(format_args!(
                    "ERROR: {body} returned bad exit code {}",
                    out.status
                ));
                String::new()
            }
        }
        "system" | "shell" | "sh" => format!("#{{({}) {body}}}", form.helper),
        "rp" => nice_path(body, ctx.cwd),
        "getenv" | "gv" => environ::var(body).unwrap_or_else(|| "#f".into()),
        "get" | "g" => {
            let mut words = body.split_whitespace();
            match (words.next(), words.next()) {
                (Some(section), Some(var)) => return Ok(lookup(ctx.config.entry(section, var))),
                _ => {
                    return Err(fail(format!(
                        "`#{{{} ...}}` needs a section and a variable name, got `{body}`",
                        form.helper
                    )));
                }
            }
        }
        "rget" | "runconfigs-get" => {
            let entry = ctx
                .target
                .and_then(|t| ctx.config.entry(t, body))
                .or_else(|| ctx.config.entry("default", body));
            return Ok(lookup(entry));
        }
        "mtrah" => {
            let top = ctx
                .toppath
                .map(|p| p.display().to_string())
                .or_else(|| environ::var("MT_RUN_AREA_HOME"))
                .unwrap_or_else(|| "#f".into());
            if body.is_empty() {
                top
            } else {
                format!("{top}/{body}")
            }
        }
        other => unreachable!("helper `{other}` is in HELPERS but not evaluated"),
    };
    let took = started.elapsed();
    if took.as_secs() >= 2 {
        crate::debug!(
            1,
            "`#{{{} {body}}}` took {:.1} s",
            form.helper,
            took.as_secs_f64()
        );
    }
    let author_text = match form.helper {
        "mtrah" | "rp" if !body_has_data => Some(result.clone()),
        _ => None,
    };
    Ok(Piece {
        text: result,
        author_text,
    })
}

/// A looked-up value (`#f` when there is none): the author's text, unless results are in it.
fn lookup(entry: Option<&Entry>) -> Piece {
    match entry {
        // A value holding `#{...}` results is data as a whole: it is the text a shell
        // would take literally, wherever it lands.
        Some(e) => Piece {
            text: e.value.clone(),
            author_text: e.shell_text.is_none().then(|| e.value.clone()),
        },
        None => Piece {
            text: "#f".into(),
            author_text: Some("#f".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::Origin;
    use std::sync::Arc;

    fn ctx(config: &Config) -> ExpandContext<'_> {
        ExpandContext {
            config,
            system_allowed: true,
            cwd: Path::new("/"),
            toppath: Some(Path::new("/area")),
            target: Some("t1"),
            lenient: false,
        }
    }

    fn expand(line: &str, config: &Config) -> Result<String, ExpandError> {
        expand_line(line, &ctx(config)).map(|e| e.restored())
    }

    fn sample() -> Config {
        let origin = Origin {
            file: Arc::from(Path::new("x")),
            line: 1,
        };
        let mut c = Config::new();
        c.set("default", "A", "1".into(), origin.clone());
        c.set("std", "genlib", "libgen".into(), origin.clone());
        c.set("t1", "V", "target-v".into(), origin.clone());
        c.set("default", "V", "default-v".into(), origin.clone());
        c.set("default", "W", "default-w".into(), origin);
        c
    }

    #[test]
    fn helpers() {
        let c = sample();
        environ::set("MEGATEST_EXPAND_UNIT", "std");
        assert_eq!(expand("#{get default A}0", &c).unwrap(), "10");
        assert_eq!(expand("#{g default NOPE}", &c).unwrap(), "#f");
        assert_eq!(expand("#{getenv MEGATEST_EXPAND_UNSET}", &c).unwrap(), "#f");
        assert_eq!(
            expand("#{get #{getenv MEGATEST_EXPAND_UNIT} genlib}", &c).unwrap(),
            "libgen"
        );
        assert_eq!(
            expand("#{rget V} #{rget W}", &c).unwrap(),
            "target-v default-w"
        );
        assert_eq!(
            expand("#{mtrah} #{mtrah sub/dir}", &c).unwrap(),
            "/area /area/sub/dir"
        );
        assert_eq!(expand("#{rp a/../b}", &c).unwrap(), "/b");
        assert_eq!(expand("#{shell printf 'a\\nb\\n'}", &c).unwrap(), "a b");
        assert_eq!(expand("#{sh exit 2}", &c).unwrap(), "");
        assert_eq!(expand("#{system exit 3}", &c).unwrap(), "3");
        assert_eq!(expand("no forms", &c).unwrap(), "no forms");
    }

    #[test]
    fn system_forms_stay_literal_when_not_allowed() {
        let c = sample();
        let mut cx = ctx(&c);
        cx.system_allowed = false;
        let out = expand_line("x #{shell echo hi} #{getenv MEGATEST_EXPAND_UNSET}", &cx).unwrap();
        assert_eq!(out.restored(), "x #{(shell) echo hi} #f");
    }

    #[test]
    fn errors_point_at_the_form() {
        let c = sample();
        let e = expand("A #{foo bar}", &c).unwrap_err();
        assert_eq!((e.offset, e.len), (2, 5));
        assert!(e.message.contains("unknown helper `foo`"));
        let e = expand("A #{getenv X", &c).unwrap_err();
        assert!(e.message.contains("unclosed `#{getenv`"), "{}", e.message);
        let e = expand("A #{shell awk '{print}'}", &c).unwrap_err();
        assert!(e.message.contains("contains a `{`"), "{}", e.message);
        let e = expand("A #{get onlyone}", &c).unwrap_err();
        assert_eq!(e.offset, 2);
        let e = expand("#{getenv X} #{realpath y}", &c).unwrap_err();
        assert_eq!(e.offset, 12);
        assert!(e.notes.iter().any(|n| n.contains("#{rp PATH}")));
    }

    #[test]
    fn results_are_quoted_for_a_shell_in_every_quoting() {
        environ::set("MEGATEST_EXPAND_Q", "a'b $(x) \"c\" `y` \\");
        let c = sample();
        let e = expand_line(
            "$HOME/#{getenv MEGATEST_EXPAND_Q} '#{getenv MEGATEST_EXPAND_Q}' \"#{getenv MEGATEST_EXPAND_Q}\"",
            &ctx(&c),
        )
        .unwrap();
        let text = e.restore_for_shell(&e.text).unwrap().unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s|' {text}"))
            .env("HOME", "/h")
            .output()
            .unwrap();
        let value = "a'b $(x) \"c\" `y` \\";
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            format!("/h/{value}|{value}|{value}|")
        );
        assert_eq!(e.restore_for_shell("no results"), Ok(None));
    }

    #[test]
    fn results_nested_in_commands_and_scheme_strings_stay_data() {
        let dir = tempfile::tempdir().unwrap();
        let pwned = dir.path().join("PWN");
        environ::set(
            "MEGATEST_EXPAND_CMD",
            &format!("x; touch {} $(touch {})", pwned.display(), pwned.display()),
        );
        let c = sample();
        let out = expand("#{shell echo #{getenv MEGATEST_EXPAND_CMD}}", &c).unwrap();
        assert!(out.starts_with("x; touch "), "{out}");
        assert!(!pwned.exists(), "a nested result ran as a command");
        environ::set("MEGATEST_EXPAND_QUOTE", "a\") (display \"b");
        assert_eq!(
            expand(
                "#{scheme (string-append \"#{getenv MEGATEST_EXPAND_QUOTE}\" \"!\")}",
                &c
            )
            .unwrap(),
            "a\") (display \"b!"
        );
        environ::set("MEGATEST_EXPAND_NUMBER", "41");
        assert_eq!(
            expand("#{scheme (+ 1 #{getenv MEGATEST_EXPAND_NUMBER})}", &c).unwrap(),
            "42"
        );
    }

    #[test]
    fn results_are_data_and_never_expanded_again() {
        let dir = tempfile::tempdir().unwrap();
        let pwned = dir.path().join("PWN");
        let hostile = format!("#{{shell touch {}}}", pwned.display());
        environ::set("MEGATEST_EXPAND_DATA", &hostile);
        let c = sample();
        assert_eq!(
            expand("V #{getenv MEGATEST_EXPAND_DATA}", &c).unwrap(),
            format!("V {hostile}")
        );
        // Braces in a result do not end the form it is nested in.
        environ::set("MEGATEST_EXPAND_BRACES", "a}b{c");
        assert_eq!(
            expand("#{rp #{getenv MEGATEST_EXPAND_BRACES}}", &c).unwrap(),
            "/a}b{c"
        );
        assert!(!pwned.exists(), "a result was run as a command");
        environ::set("MEGATEST_EXPAND_SELF", "#{getenv MEGATEST_EXPAND_SELF}");
        assert_eq!(
            expand("#{getenv MEGATEST_EXPAND_SELF}", &c).unwrap(),
            "#{getenv MEGATEST_EXPAND_SELF}"
        );
    }
}
