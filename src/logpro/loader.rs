//! Loading rule files (ARCHITECTURE decision 6): a file whose top-level forms are all logpro
//! calls with literal arguments is built directly from the reader's data; any other file is
//! evaluated in steel, where the same calls reach the same builder. `LOGPRO_FORCE_SCHEME=1`
//! forces steel for every file.

use super::builder::{API, Builder};
use super::model::{Op, Pattern, PatternKind, RuleSet};
use super::reader::{Datum, Node, line_col, read_all};
use super::value::LValue;
use chrono::NaiveDateTime;
use std::cell::RefCell;
use std::path::{Path, PathBuf};

thread_local! {
    static ACTIVE: RefCell<Option<Builder>> = const { RefCell::new(None) };
}

/// Runs a logpro procedure on the builder of the rule file being loaded (for the steel path).
pub fn call_active(name: &str, args: Vec<LValue>) -> Result<(Vec<String>, LValue), String> {
    ACTIVE.with(|active| match active.borrow_mut().as_mut() {
        Some(builder) => builder.call(name, args).map_err(|e| e.message),
        None => Err(format!(
            "{name}: logpro procedures work only while a rule file loads"
        )),
    })
}

/// How to evaluate rule files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// Literal files directly, others in steel.
    Auto,
    /// Everything in steel.
    Scheme,
}

/// Why loading stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailure {
    /// The condition, in logpro's words where the corpus shows them (`unbound variable`).
    pub message: String,
    /// More about it (which variable, which procedure).
    pub detail: Option<String>,
    /// file, line, column.
    pub location: Option<(PathBuf, usize, usize)>,
}

/// The outcome of loading.
pub struct Loaded {
    /// The rules, or why there are none.
    pub result: Result<RuleSet, LoadFailure>,
    /// What loading printed (in order).
    pub output: String,
    /// Whether steel evaluated any file.
    pub used_scheme: bool,
}

const NO_OPS: &[&str] = &[
    "use",
    "trace",
    "require-extension",
    "require-library",
    "import",
    "declare",
];
const MAX_LOAD_DEPTH: usize = 20;

/// Loads the files in order (the waiver file first) into one rule set.
pub fn load(files: &[PathBuf], clock: fn() -> NaiveDateTime, mode: LoadMode) -> Loaded {
    ACTIVE.with(|a| *a.borrow_mut() = Some(Builder::new(clock)));
    let mut ctx = Ctx {
        output: String::new(),
        used_scheme: false,
        mode,
    };
    let mut result = Ok(());
    for file in files {
        result = ctx.file(file, 0);
        if result.is_err() {
            break;
        }
    }
    let builder = ACTIVE.with(|a| a.borrow_mut().take()).expect("set above");
    Loaded {
        result: result.map(|()| builder.finish()),
        output: ctx.output,
        used_scheme: ctx.used_scheme,
    }
}

struct Ctx {
    output: String,
    used_scheme: bool,
    mode: LoadMode,
}

fn failure(message: impl Into<String>, path: &Path, text: &str, offset: usize) -> LoadFailure {
    let (line, col) = line_col(text, offset);
    LoadFailure {
        message: message.into(),
        detail: None,
        location: Some((path.to_path_buf(), line, col)),
    }
}

fn read(path: &Path) -> Result<(String, Vec<Node>), LoadFailure> {
    let bytes = std::fs::read(path).map_err(|e| LoadFailure {
        message: format!("cannot open file \"{}\"", path.display()),
        detail: Some(crate::sys::io_reason(&e)),
        location: None,
    })?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let nodes = read_all(&text).map_err(|e| failure(e.message, path, &text, e.offset))?;
    Ok((text, nodes))
}

/// `(load "file")` with a literal name: the file it names.
fn load_target(node: &Node) -> Option<&str> {
    match &node.datum {
        Datum::List(items) if items.len() == 2 => match (&items[0].datum, &items[1].datum) {
            (Datum::Sym(head), Datum::Str(file)) if head == "load" => Some(file),
            _ => None,
        },
        _ => None,
    }
}

/// A loaded file: from the current directory, as logpro does, else beside the loading file.
fn resolve(from: &Path, name: &str) -> PathBuf {
    let direct = PathBuf::from(name);
    if direct.exists() {
        return direct;
    }
    from.parent().map_or(direct.clone(), |dir| dir.join(name))
}

impl Ctx {
    fn file(&mut self, path: &Path, depth: usize) -> Result<(), LoadFailure> {
        let (text, nodes) = read(path)?;
        if self.mode == LoadMode::Auto && all_literal(&nodes, path, depth) {
            for node in &nodes {
                self.literal_form(path, &text, node, depth)?;
            }
            return Ok(());
        }
        self.used_scheme = true;
        if let Err(e) = crate::scheme::begin_capture(super::scheme_procs::scheme_extension()) {
            return Err(LoadFailure {
                message: e.message,
                detail: None,
                location: None,
            });
        }
        let result = self.scheme_forms(path, &text, &nodes, depth);
        self.output.push_str(&crate::scheme::end_capture());
        result
    }

    fn scheme_forms(
        &mut self,
        path: &Path,
        text: &str,
        nodes: &[Node],
        depth: usize,
    ) -> Result<(), LoadFailure> {
        for node in nodes {
            if let Some(name) = load_target(node) {
                if depth >= MAX_LOAD_DEPTH {
                    return Err(failure("load nesting too deep", path, text, node.start));
                }
                let target = resolve(path, name);
                let (sub_text, sub_nodes) = read(&target)?;
                self.scheme_forms(&target, &sub_text, &sub_nodes, depth + 1)?;
                continue;
            }
            crate::scheme::eval_form(&text[node.start..node.end])
                .map_err(|e| scheme_failure(e, path, text, node.start))?;
        }
        Ok(())
    }

    fn literal_form(
        &mut self,
        path: &Path,
        text: &str,
        node: &Node,
        depth: usize,
    ) -> Result<(), LoadFailure> {
        let Datum::List(items) = &node.datum else {
            return Ok(());
        };
        let Some(Datum::Sym(head)) = items.first().map(|n| &n.datum) else {
            return Ok(());
        };
        let args: Vec<LValue> = items[1..].iter().filter_map(literal).collect();
        match head.as_str() {
            h if NO_OPS.contains(&h) => Ok(()),
            "print" => {
                let line: String = args.iter().map(LValue::display).collect();
                self.output.push_str(&line);
                self.output.push('\n');
                Ok(())
            }
            "display" => {
                if let Some(v) = args.first() {
                    self.output.push_str(&v.display());
                }
                Ok(())
            }
            "newline" => {
                self.output.push('\n');
                Ok(())
            }
            "load" => {
                if depth >= MAX_LOAD_DEPTH {
                    return Err(failure("load nesting too deep", path, text, node.start));
                }
                let name = load_target(node).expect("checked by all_literal");
                self.file(&resolve(path, name), depth + 1)
            }
            name => {
                let outcome = ACTIVE.with(|a| {
                    a.borrow_mut()
                        .as_mut()
                        .expect("a load is under way")
                        .call(name, args)
                });
                match outcome {
                    Ok((printed, _)) => {
                        printed.iter().for_each(|p| self.output.push_str(p));
                        Ok(())
                    }
                    Err(e) => Err(failure(e.message, path, text, node.start)),
                }
            }
        }
    }
}

/// Whether every top-level form (and every file loaded) can be built without Scheme.
fn all_literal(nodes: &[Node], path: &Path, depth: usize) -> bool {
    nodes.iter().all(|node| {
        let Datum::List(items) = &node.datum else {
            return false;
        };
        let Some(Datum::Sym(head)) = items.first().map(|n| &n.datum) else {
            return false;
        };
        let head = head.as_str();
        if NO_OPS.contains(&head) {
            return true;
        }
        if head == "load" {
            return depth < MAX_LOAD_DEPTH
                && load_target(node).is_some_and(|name| {
                    let target = resolve(path, name);
                    read(&target).is_ok_and(|(_, sub)| all_literal(&sub, &target, depth + 1))
                });
        }
        let known = API.contains(&head) || matches!(head, "print" | "display" | "newline");
        known && items[1..].iter().all(|n| literal(n).is_some())
    })
}

/// A literal argument as data; `None` for anything that needs evaluation.
fn literal(node: &Node) -> Option<LValue> {
    Some(match &node.datum {
        Datum::Str(s) => LValue::Str(s.clone()),
        Datum::Num(n) => LValue::Num(*n),
        Datum::Bool(b) => LValue::Bool(*b),
        Datum::Regex { body, flags } => LValue::Pattern(Pattern {
            kind: PatternKind::Literal,
            source: body.clone(),
            caseless: flags.contains('i'),
            extended: flags.contains('x'),
            utf8: flags.contains('u'),
        }),
        Datum::Sym(s) => match s.as_str() {
            "in" | "not-in" | "before" | "after" => LValue::Sym(s.clone()),
            "logfile" => LValue::Str("LogFileBody".into()),
            op if Op::from_name(op).is_some() => LValue::Op(Op::from_name(op)?),
            kw if LValue::Sym(kw.into()).keyword().is_some() => LValue::Sym(kw.into()),
            _ => return None,
        },
        Datum::Quote(inner) => match &inner.datum {
            Datum::Sym(s) => LValue::Sym(s.clone()),
            _ => return None,
        },
        Datum::List(items) => match items.first().map(|n| &n.datum) {
            Some(Datum::Sym(h)) if h == "list" => {
                LValue::List(items[1..].iter().map(literal).collect::<Option<Vec<_>>>()?)
            }
            Some(Datum::Sym(h)) if h == "regexp" => {
                let Some(Datum::Str(source)) = items.get(1).map(|n| &n.datum) else {
                    return None;
                };
                let flag = |i: usize| -> Option<bool> {
                    match items.get(i).map(|n| &n.datum) {
                        None => Some(false),
                        Some(Datum::Bool(b)) => Some(*b),
                        Some(Datum::Str(_) | Datum::Num(_)) => Some(true),
                        _ => None,
                    }
                };
                if items.len() > 5 {
                    return None;
                }
                LValue::Pattern(Pattern {
                    kind: PatternKind::Compiled,
                    source: source.clone(),
                    caseless: flag(2)?,
                    extended: flag(3)?,
                    utf8: flag(4)?,
                })
            }
            _ => return None,
        },
        _ => return None,
    })
}

/// A steel error in CHICKEN's words where rule files' authors know them.
fn scheme_failure(
    e: crate::scheme::SchemeError,
    path: &Path,
    text: &str,
    form_start: usize,
) -> LoadFailure {
    let offset = form_start + e.span.map_or(0, |(s, _)| s);
    let mut f = failure(String::new(), path, text, offset);
    let message = e.message;
    if let Some(rest) = message.strip_prefix("FreeIdentifier: ") {
        f.message = "unbound variable".into();
        f.detail = Some(
            rest.rsplit(": ")
                .next()
                .map_or(rest.to_string(), |name| format!("{name} is not defined")),
        );
    } else if let Some(rest) = message.strip_prefix("Generic: ") {
        f.message = rest.trim().to_string();
    } else if let Some(rest) = message.strip_prefix("ArityMismatch: ") {
        let numbers: Vec<usize> = rest
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect();
        f.message = match numbers.as_slice() {
            [expected, received, ..] => {
                format!("bad argument count - received {received} but expected {expected}")
            }
            _ => rest.to_string(),
        };
        f.detail = Some(rest.to_string());
    } else {
        f.message = message;
    }
    f
}
