//! `#{helper body}` expansion (spec §1.6): the right-most innermost form first, repeated until
//! none is left, so nested forms work inside-out.

use super::grammar::{Form, FormParse, parse_form};
use super::model::Config;
use super::paths::nice_path;
use crate::{environ, shell};
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

/// Expansions allowed on one line before it is declared runaway (a value that expands to itself).
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
pub(crate) struct Expanded {
    pub text: String,
    pub first_change: Option<usize>,
}

/// Expands every `#{...}` form of `line`.
pub(crate) fn expand_line(line: &str, ctx: &ExpandContext<'_>) -> Result<Expanded, ExpandError> {
    let mut text = line.to_string();
    let mut first_change: Option<usize> = None;
    let mut search_end = text.len();
    let mut expansions = 0;
    while let Some(pos) = text[..search_end].rfind("#{") {
        // Offsets left of every change so far still point into the original line.
        let report_at = first_change.map_or(pos, |c| pos.min(c));
        let form = match parse_form(&text[pos..]) {
            FormParse::Literal => {
                search_end = pos;
                continue;
            }
            FormParse::Broken { helper } => {
                return Err(broken_form(&text[pos..], helper, report_at));
            }
            FormParse::Form(form) => form,
        };
        if !HELPERS.contains(&form.helper) {
            return Err(unknown_helper(form.helper, report_at));
        }
        expansions += 1;
        if expansions > MAX_EXPANSIONS_PER_LINE {
            return Err(ExpandError {
                offset: report_at,
                len: 2,
                message: format!(
                    "`#{{...}}` expansion does not end: more than {MAX_EXPANSIONS_PER_LINE} expansions on one line"
                ),
                notes: vec!["a value probably expands to a form that expands to itself".into()],
            });
        }
        let replacement = evaluate(&form, ctx).map_err(|mut e| {
            if first_change.is_none_or(|c| pos <= c) {
                e.offset += pos;
            } else {
                e.offset = report_at;
            }
            e
        })?;
        text.replace_range(pos..pos + form.len, &replacement);
        first_change = Some(first_change.map_or(pos, |c| c.min(pos)));
        search_end = text.len();
    }
    Ok(Expanded { text, first_change })
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

/// The replacement text of one form; error offsets are relative to the form's `#{`.
fn evaluate(form: &Form<'_>, ctx: &ExpandContext<'_>) -> Result<String, ExpandError> {
    let body = form.body;
    let fail = |message: String| ExpandError {
        offset: 0,
        len: form.len,
        message,
        notes: Vec::new(),
    };
    let started = Instant::now();
    let result = match form.helper {
        "scheme" | "scm" => match crate::scheme::eval_config_snippet(body, ctx.config) {
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
                crate::log::emit(format_args!(
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
                (Some(section), Some(var)) => lookup(ctx.config, section, var),
                _ => {
                    return Err(fail(format!(
                        "`#{{{} ...}}` needs a section and a variable name, got `{body}`",
                        form.helper
                    )));
                }
            }
        }
        "rget" | "runconfigs-get" => ctx
            .target
            .and_then(|t| ctx.config.get(t, body))
            .or_else(|| ctx.config.get("default", body))
            .map_or_else(|| "#f".to_string(), str::to_string),
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
    Ok(result)
}

fn lookup(config: &Config, section: &str, var: &str) -> String {
    config
        .get(section, var)
        .map_or_else(|| "#f".to_string(), str::to_string)
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
        }
    }

    fn expand(line: &str, config: &Config) -> Result<String, ExpandError> {
        expand_line(line, &ctx(config)).map(|e| e.text)
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
        assert_eq!(out.text, "x #{(shell) echo hi} #f");
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
    fn runaway_expansion_is_an_error() {
        environ::set("MEGATEST_EXPAND_SELF", "#{getenv MEGATEST_EXPAND_SELF}");
        let e = expand("#{getenv MEGATEST_EXPAND_SELF}", &sample()).unwrap_err();
        assert!(e.message.contains("does not end"));
    }
}
