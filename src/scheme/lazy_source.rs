//! Built-in Scheme compiled only when needed: steel's own prelude modules (print, ports,
//! parameters, contracts, match, sort, reader) and megatest's sources (the prelude, an
//! extension's wrappers), each evaluated when a text about to be evaluated mentions a name
//! it provides or defines. Most engines (a `#{scheme}` form, a trigger) use a few
//! procedures, and each source costs milliseconds to compile.

use std::collections::HashSet;
use steel::compiler::modules::{BUILT_INS, PRELUDE_WITHOUT_BASE};

/// steel's standard library module: `Engine::with_prelude` has already evaluated its text
/// as a program, defining every name the module provides.
const STEEL_STDLIB: &str = "#%private/steel/stdlib";

/// A built-in source not evaluated yet.
pub(super) struct LazySource {
    /// Its name, for errors.
    pub(super) label: &'static str,
    /// What is evaluated to load it.
    pub(super) program: String,
    /// A steel module's own text (what it uses), when this source requires one.
    module_text: Option<&'static str>,
    /// The names it defines (megatest's sources) or provides (steel's modules).
    names: Vec<String>,
}

impl LazySource {
    /// One of megatest's sources, evaluated as it is.
    pub(super) fn new(label: &'static str, source: String) -> LazySource {
        let names = defined_names(&source);
        LazySource {
            label,
            program: source,
            module_text: None,
            names,
        }
    }

    /// Whether a text with these words may use what this source defines or provides (a
    /// mention is enough, in a string too).
    pub(super) fn needed_by(&self, words: &Words<'_>) -> bool {
        self.names.iter().any(|n| words.0.contains(n.as_str()))
    }

    /// Whether this source defines or provides `name` itself.
    pub(super) fn provides(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// The words that decide which sources are loaded before this one: a steel module's
    /// code (not its comments and strings, which name other modules' procedures in
    /// examples), or the whole text of one of megatest's.
    pub(super) fn uses(&self) -> Words<'_> {
        match self.module_text {
            Some(text) => Words(tokens(text).into_iter().collect()),
            None => Words::of(&self.program),
        }
    }

    /// The names it provides or defines.
    pub(super) fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether this is one of steel's modules. Those use only each other: one of
    /// megatest's sources that mentions the same names (`print`, `write`) redefines them,
    /// so it is never loaded as one's prerequisite.
    pub(super) fn is_steel_module(&self) -> bool {
        self.module_text.is_some()
    }
}

/// The words of a text: what is between whitespace, brackets, quotes, `;`, `,` and `|` (a
/// leading `@` of `,@` dropped), inside strings and comments too, where a name may be
/// spelled for `string->symbol`.
pub(super) struct Words<'a>(HashSet<&'a str>);

/// Names that make a text load every built-in source first: code it loads or builds at
/// run time is compiled where no mention can be seen, and a module it requires binds
/// names a built-in source loaded later would replace.
const LOADS_CODE: [&str; 6] = [
    "load",
    "load-expanded",
    "eval",
    "eval-string",
    "require",
    "require-builtin",
];

/// Whether `text` may compile code not seen in it (see [`LOADS_CODE`]): one of those
/// names in its code, not in its strings or comments.
pub(super) fn loads_code(text: &str) -> bool {
    tokens(text).iter().any(|t| LOADS_CODE.contains(t))
}

impl<'a> Words<'a> {
    pub(super) fn of(text: &'a str) -> Words<'a> {
        Words(
            text.split(|c: char| c.is_whitespace() || "()[]{}\"';`,|".contains(c))
                .map(|w| w.strip_prefix('@').unwrap_or(w))
                .filter(|w| !w.is_empty())
                .collect(),
        )
    }
}

/// The modules `Engine::new` requires into every engine, in its order, each with the
/// `(require ...)` forms it gets there (`for-syntax` too); all but the standard library,
/// whose names `Engine::with_prelude` defines already.
pub(super) fn steel_prelude_modules() -> Vec<LazySource> {
    let mut modules: Vec<LazySource> = Vec::new();
    for line in PRELUDE_WITHOUT_BASE.lines() {
        let Some(name) = line.split('"').nth(1) else {
            continue;
        };
        if name == STEEL_STDLIB {
            continue;
        }
        if let Some(module) = modules.iter_mut().find(|m| m.label == name) {
            module.program.push_str(line);
            module.program.push('\n');
            continue;
        }
        let text = BUILT_INS
            .iter()
            .find(|(built_in, _)| *built_in == name)
            .map_or("", |(_, text)| *text);
        modules.push(LazySource {
            label: name,
            program: format!("{line}\n"),
            module_text: Some(text),
            names: provided_names(text),
        });
    }
    modules
}

/// The names defined by top-level `(define NAME ...)`, `(define (NAME ...) ...)` and
/// `(define-syntax NAME ...)` forms, and by one-line `(struct NAME (FIELD ...))` forms:
/// `NAME`, `NAME?`, `struct:NAME`, `NAME-FIELD` and `set-NAME-FIELD!`.
pub(super) fn defined_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in source.lines() {
        let Some((form, rest)) = ["(define ", "(define-syntax ", "(struct "]
            .iter()
            .find_map(|form| Some((*form, line.strip_prefix(form)?)))
        else {
            continue;
        };
        let words: Vec<&str> = rest
            .split(|c: char| c.is_whitespace() || "()[]".contains(c))
            .filter(|w| !w.is_empty())
            .collect();
        let Some(name) = words.first() else {
            continue;
        };
        names.push(name.to_string());
        if form == "(struct " {
            names.push(format!("{name}?"));
            names.push(format!("struct:{name}"));
            for field in words[1..].iter().take_while(|w| !w.starts_with("#:")) {
                names.push(format!("{name}-{field}"));
                names.push(format!("set-{name}-{field}!"));
            }
        }
    }
    names
}

/// The names a module's top-level `(provide ...)` forms export: plain names, those under
/// `for-syntax`, and the name of each `(contract/out NAME CONTRACT)`.
pub(super) fn provided_names(module: &str) -> Vec<String> {
    let tokens = tokens(module);
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut at = 0;
    while at < tokens.len() {
        match tokens[at] {
            "(" if depth == 0 && tokens.get(at + 1) == Some(&"provide") => {
                let end = closing(&tokens, at);
                let mut i = at + 2;
                while i < end {
                    match tokens[i] {
                        "(" if tokens.get(i + 1) == Some(&"contract/out") => {
                            if let Some(name) =
                                tokens.get(i + 2).filter(|t| !matches!(**t, "(" | ")"))
                            {
                                names.push(name.to_string());
                            }
                            i = closing(&tokens, i) + 1;
                        }
                        "(" | ")" | "for-syntax" => i += 1,
                        name => {
                            names.push(name.to_string());
                            i += 1;
                        }
                    }
                }
                at = end;
            }
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    names
}

/// Parentheses (brackets count as such) and atoms, without comments and strings.
fn tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            ';' => while chars.next_if(|&(_, c)| c != '\n').is_some() {},
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '(' | '[' => tokens.push("("),
            ')' | ']' => tokens.push(")"),
            c if c.is_whitespace() || c == '\'' => {}
            _ => {
                let mut end = i + c.len_utf8();
                // A character literal's character is part of it, even `#\(`.
                if c == '#'
                    && chars.next_if(|&(_, d)| d == '\\').is_some()
                    && let Some((j, d)) = chars.next()
                {
                    end = j + d.len_utf8();
                }
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_whitespace() || "()[]\";".contains(d) {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                tokens.push(&text[i..end]);
            }
        }
    }
    tokens
}

/// The index of the `)` closing the list opened at `open` (the last token if none does).
fn closing(tokens: &[&str], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match *t {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    tokens.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_source_defines() {
        assert_eq!(
            defined_names(
                "(define (a x) x)\n(define b 1)\n(struct c (d f) #:mutable)\n  (define inner 2)\n(define-syntax e (syntax-rules () [(_) 1]))\n"
            ),
            [
                "a", "b", "c", "c?", "struct:c", "c-d", "set-c-d!", "c-f", "set-c-f!", "e"
            ]
        );
    }

    #[test]
    fn a_source_is_needed_by_a_text_naming_it() {
        let print = LazySource::new("p", "(define (print x) x)\n(define (show) 1)\n".into());
        for text in [
            "(print 1)",
            "(map show xs)",
            "`(a ,@show)",
            "(eval (string->symbol \"print\"))",
            "[print]",
            "'print",
        ] {
            assert!(print.needed_by(&Words::of(text)), "{text}");
        }
        for text in ["(println 1)", "(string-show x)", "(+ 1 2)", "prints"] {
            assert!(!print.needed_by(&Words::of(text)), "{text}");
        }
        assert!(print.needed_by(&Words::of("(|print| 1)")));
        assert!(loads_code("(load \"x.scm\")"));
        assert!(loads_code("(eval '(+ 1 2))"));
        assert!(loads_code("(require-builtin steel/time)"));
        assert!(!loads_code("(loader 1)"));
        assert!(!loads_code("(print \"load\") ; eval"));
        // A module's own comments and strings are not what it uses.
        let module = LazySource {
            label: "m",
            program: String::new(),
            module_text: Some("; (print x)\n(define (f) \"show\" (g))\n"),
            names: Vec::new(),
        };
        let uses = module.uses();
        assert!(!print.needed_by(&uses));
        assert!(uses.0.contains("g"));
    }

    #[test]
    fn names_a_module_provides() {
        let module = "(provide a\n  ; (provide commented)\n  (for-syntax b) c)\n\
                      (define (g) (write-char #\\( port))\n\
                      (define (f) (provide inner))\n\
                      (define s \"(provide in-string)\")\n\
                      (provide (contract/out d (->/c int? int?)) [for-syntax e])\n";
        assert_eq!(provided_names(module), ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn every_prelude_module_of_steel_is_known_with_what_it_provides() {
        let modules = steel_prelude_modules();
        let labels: Vec<&str> = modules.iter().map(|m| m.label).collect();
        for expected in [
            "#%private/steel/control",
            "#%private/steel/contract",
            "#%private/steel/print",
            "#%private/steel/ports",
            "#%private/steel/match",
            "#%private/steel/sort",
        ] {
            assert!(labels.contains(&expected), "{expected} in {labels:?}");
        }
        assert!(!labels.contains(&STEEL_STDLIB));
        for module in &modules {
            assert!(
                !module.names.is_empty(),
                "{} provides nothing",
                module.label
            );
        }
        let control = &modules[labels.iter().position(|l| l.ends_with("control")).unwrap()];
        assert!(
            control.program.contains("(for-syntax"),
            "{}",
            control.program
        );
        for name in [
            "parameterize",
            "make-parameter",
            "current-output-port",
            "write",
        ] {
            assert!(control.names.iter().any(|n| n == name), "{name}");
        }
        let print = &modules[labels.iter().position(|l| l.ends_with("print")).unwrap()];
        assert!(print.names.iter().any(|n| n == "display"));
    }

    #[test]
    fn what_a_module_binds_is_what_its_provide_lists_say() {
        // Run against steel itself, so that an upgrade that binds other names fails here
        // (macros such as `match` are not globals).
        use steel::steel_vm::engine::Engine;
        let globals = |engine: &Engine| -> HashSet<String> {
            engine
                .readable_globals(0)
                .iter()
                .map(|n| n.resolve().to_string())
                .filter(|n| !n.contains("__") && !n.starts_with("#%") && !n.contains("mangler"))
                .collect()
        };
        let modules = steel_prelude_modules();
        for module in &modules {
            let mut engine = Engine::new_base().with_prelude().unwrap();
            for used in modules.iter().filter(|m| m.needed_by(&module.uses())) {
                if used.label != module.label {
                    engine.run(used.program.clone()).unwrap();
                }
            }
            let before = globals(&engine);
            engine.run(module.program.clone()).unwrap();
            let bound: Vec<String> = globals(&engine).difference(&before).cloned().collect();
            for name in &bound {
                assert!(module.provides(name), "{} binds {name}", module.label);
            }
        }
    }
}
