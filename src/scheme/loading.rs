//! When the Scheme host compiles its built-in sources (see `lazy_source`): those a text
//! names, each after the ones it uses; all of them before code compiled at run time; one a
//! macro's expansion needs; and the values a steel module's names were bound to, bound
//! again after it.

use super::host::{Host, SchemeError};
use super::lazy_source::{self, Words};
use steel::rvals::SteelVal;

impl Host {
    /// Evaluates the pending sources `text` may use, each after the ones it uses itself;
    /// all of them when it may compile code at run time (see `lazy_source::loads_code`).
    pub(super) fn load_needed(&mut self, text: &str) -> Result<(), SchemeError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if lazy_source::loads_code(text) {
            return self.load_all();
        }
        self.load_needed_of(&Words::of(text), false)
    }

    /// [`Host::load_needed`] for these words, among steel's modules only when
    /// `steel_modules_only`.
    fn load_needed_of(
        &mut self,
        words: &Words<'_>,
        steel_modules_only: bool,
    ) -> Result<(), SchemeError> {
        while let Some(at) = self
            .pending
            .iter()
            .position(|p| (p.is_steel_module() || !steel_modules_only) && p.needed_by(words))
        {
            self.load(at)?;
        }
        Ok(())
    }

    /// Evaluates every pending source (for listings of all names).
    pub(super) fn load_all(&mut self) -> Result<(), SchemeError> {
        while !self.pending.is_empty() {
            self.load(0)?;
        }
        Ok(())
    }

    /// Evaluates the pending source at `at`, after those it uses. One that fails stays
    /// pending, so each text that needs it gets the same error. A steel module binds every
    /// name it provides: the values bound to them before (by megatest's sources, the user
    /// or Rust; not steel's own) are bound again after it, as when `Engine::new` loaded it
    /// first.
    pub(super) fn load(&mut self, at: usize) -> Result<(), SchemeError> {
        let lazy = self.pending.remove(at);
        let started = std::time::Instant::now();
        let kept: Vec<(String, SteelVal)> = if lazy.is_steel_module() {
            lazy.names()
                .iter()
                .filter(|name| !self.steel_bound.contains(name.as_str()))
                .filter_map(|name| Some((name.clone(), self.engine.extract_value(name).ok()?)))
                .collect()
        } else {
            Vec::new()
        };
        let loaded = self
            .load_needed_of(&lazy.uses(), lazy.is_steel_module())
            .and_then(|()| {
                self.engine.run(lazy.program.clone()).map_err(|e| {
                    SchemeError::plain(format!("the built-in {} does not load: {e}", lazy.label))
                })
            })
            .map(drop);
        for (name, value) in kept {
            self.engine.register_value(&name, value);
        }
        match &loaded {
            Ok(()) => crate::debug!(
                3,
                "built-in Scheme {} loaded in {:.1} ms (with what it uses)",
                lazy.label,
                started.elapsed().as_secs_f64() * 1000.0
            ),
            Err(_) => self.pending.insert(at.min(self.pending.len()), lazy),
        }
        loaded
    }

    /// A pending source that provides `name`, which a text uses without naming it (a
    /// macro such as `struct` or `dbg!` expands to it).
    pub(super) fn pending_provider_of(&self, name: &str) -> Option<usize> {
        self.pending.iter().position(|p| p.provides(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::conc;
    use crate::scheme::lazy_source::LazySource;

    #[test]
    fn built_in_sources_load_when_a_text_names_what_they_define() {
        let mut host = Host::create().unwrap();
        let pending = |host: &Host| -> Vec<&str> {
            host.pending
                .iter()
                .filter(|p| !p.is_steel_module())
                .map(|p| p.label)
                .collect()
        };
        assert_eq!(
            pending(&host),
            ["prelude/chicken.scm", "prelude/megatest.scm"]
        );
        host.eval("(+ 1 2)").unwrap();
        assert_eq!(pending(&host).len(), 2, "nothing named, nothing loaded");
        let values = host.eval("(hash-table? (make-hash-table))").unwrap();
        assert_eq!(values, [SteelVal::BoolV(true)]);
        assert_eq!(pending(&host), ["prelude/megatest.scm"]);
        // A source is loaded after the ones it uses itself: configf:lookup's file uses
        // hash tables (loaded already here), and defining a name a source also defines
        // loads that source first, so the definition stays.
        host.define("config-lookup", SteelVal::IntV(7));
        assert!(pending(&host).is_empty());
        assert_eq!(host.eval("config-lookup").unwrap(), [SteelVal::IntV(7)]);
    }

    fn steel_modules_pending(host: &Host) -> usize {
        host.pending.iter().filter(|p| p.is_steel_module()).count()
    }

    #[test]
    fn steel_modules_load_alone_when_named() {
        let all = steel_modules_pending(&Host::create().unwrap());
        // Each in a fresh engine: a module loads what it uses first (the reader uses
        // `parameterize` and `current-input-port`).
        for (text, value) in [
            ("(+ 1 2)", "3"),
            ("(displayln \"x\") 1", "1"),
            ("(with-output-to-string (lambda () (display 5)))", "\"5\""),
            (
                "(define p (make-parameter 1)) (parameterize ([p 2]) (p))",
                "2",
            ),
            ("(match (list 1 2) [(list a b) (+ a b)])", "3"),
            ("(sort (list 3 1 2) <)", "(1 2 3)"),
            ("(read (open-input-string \"(a b)\"))", "(a b)"),
            (
                "(define/contract (f x) (->/c int? int?) (+ x 1)) (f 1)",
                "2",
            ),
        ] {
            let mut host = Host::create().unwrap();
            let values = host
                .eval(text)
                .unwrap_or_else(|e| panic!("{text}: {}", e.message));
            let last = values.last().map(conc::display).unwrap_or_default();
            let last = match values.last() {
                Some(SteelVal::StringV(s)) => format!("{:?}", s.as_str()),
                _ => last,
            };
            assert_eq!(last, value, "{text}");
            if text == "(+ 1 2)" {
                assert_eq!(
                    steel_modules_pending(&host),
                    all,
                    "nothing named, nothing loaded"
                );
            }
        }
    }

    #[test]
    fn definitions_stay_when_a_steel_module_providing_the_name_loads_later() {
        // megatest's CHICKEN-style `print` and `write`, whichever is named first.
        for first in ["(display 1)", "(print \"a\")"] {
            let mut host = Host::create().unwrap();
            host.eval(first).unwrap();
            host.eval("(displayln 2) (write-string \"\")").unwrap();
            assert_eq!(
                host.eval("(print \"a\" 1)").unwrap(),
                [SteelVal::Void],
                "after {first}"
            );
        }
        // A user's definition of a name a module provides.
        let mut host = Host::create().unwrap();
        host.eval("(define (displayln x) 42)").unwrap();
        host.eval("(display 1) (sort (list 1) <)").unwrap();
        assert_eq!(host.eval("(displayln 1)").unwrap(), [SteelVal::IntV(42)]);
        // Every module at once (the REPL's completion).
        assert!(host.global_names().iter().any(|n| n == "make-parameter"));
        assert_eq!(steel_modules_pending(&host), 0);
        assert_eq!(host.eval("(displayln 1)").unwrap(), [SteelVal::IntV(42)]);
    }

    #[test]
    fn values_bound_without_a_mention_are_bound_again_after_a_module() {
        // Bound where no text said the name (a required module, code built at run time).
        let mut host = Host::create().unwrap();
        let steel_call_cc = host.engine.extract_value("call/cc").unwrap();
        host.engine.register_value("sort", SteelVal::IntV(3));
        host.engine.register_value("newline", SteelVal::IntV(4));
        host.eval("(current-output-port) (displayln 1)").unwrap();
        assert!(!host.global_names().is_empty(), "every module loaded");
        assert_eq!(
            host.eval("(list sort newline)").unwrap(),
            [SteelVal::ListV(
                vec![SteelVal::IntV(3), SteelVal::IntV(4)].into()
            )]
        );
        // steel's own definitions the modules replace are replaced, as by `Engine::new`.
        assert!(host.steel_bound.contains("call/cc"));
        assert_ne!(host.engine.extract_value("call/cc").unwrap(), steel_call_cc);
    }

    #[test]
    fn names_a_macro_expands_to_load_what_provides_them() {
        // `struct`'s printer uses `display`, `dbg!` uses `simple-display`: neither is in
        // the text, and the text is built (not run) when steel finds them missing.
        for (text, value) in [
            ("(struct P (x y) #:transparent) (P-y (P 1 2))", "2"),
            ("(dbg! (+ 1 1))", "2"),
            ("(%hash-table? (make-hash-table))", "#t"),
        ] {
            let mut host = Host::create().unwrap();
            let values = host
                .eval(text)
                .unwrap_or_else(|e| panic!("{text}: {}", e.message));
            assert_eq!(
                values.last().map(conc::display).unwrap_or_default(),
                value,
                "{text}"
            );
        }
        // A text that ran before a name was found free (in code compiled while it ran) is
        // not run again, and what it defined stays: its effects happen once.
        let mut host = Host::create().unwrap();
        host.eval("(define n 0) (define (later) (eval '(late-proc)))")
            .unwrap();
        host.pending.push(LazySource::new(
            "late.scm",
            "(define (late-proc) 1)\n".into(),
        ));
        let e = host
            .eval("(define m 5) (set! n (+ n 1)) (later)")
            .unwrap_err();
        assert!(e.message.contains("late-proc"), "{}", e.message);
        assert_eq!(
            host.eval("(list n m)").unwrap(),
            [SteelVal::ListV(
                vec![SteelVal::IntV(1), SteelVal::IntV(5)].into()
            )]
        );
    }

    #[test]
    fn code_loaded_at_run_time_finds_every_built_in() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("helpers.scm");
        std::fs::write(
            &file,
            "(define (sorted-text xs) (with-output-to-string (lambda () (display (sort xs <)))))\n",
        )
        .unwrap();
        let mut host = Host::create().unwrap();
        host.eval(&format!("(load \"{}\")", file.display()))
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert!(host.pending.is_empty());
        let values = host
            .eval("(sorted-text (list 3 1 2))")
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(
            values.last().map(conc::display).unwrap_or_default(),
            "(1 2 3)"
        );
    }
}
