//! `-show-config` / `-show-runconfig` dumps: INI (re-readable), JSON (sections as objects,
//! values as strings) and the S-expression alist Megatest prints.

use crate::config::{Config, Section};
use crate::error::{Error, Result};
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::fmt::Write;

/// A dump format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpMode {
    /// `[section]` then `key value` lines.
    Ini,
    /// `{"section": {"key": "value"}}`.
    Json,
    /// `(("section" ("key" "value") ...) ...)`.
    Sexp,
}

impl DumpMode {
    /// Parses a `-dumpmode` value.
    pub fn parse(text: &str) -> Result<DumpMode> {
        match text {
            "ini" | "config" => Ok(DumpMode::Ini),
            "json" => Ok(DumpMode::Json),
            "sexp" | "sexpr" | "scheme" | "alist" => Ok(DumpMode::Sexp),
            other => Err(Error::usage(format!(
                "-dumpmode `{other}` is not one of ini, json, sexp"
            ))),
        }
    }
}

/// The dump of `sections` (all of a config, or a selection), ending with a newline.
/// `origins` adds `# key=>file:line` lines to INI output.
pub fn dump_config(sections: &[&Section], mode: DumpMode, origins: bool) -> String {
    match mode {
        DumpMode::Ini => ini(sections, origins),
        DumpMode::Json => {
            let mut text = serde_json::to_string_pretty(&JsonSections(sections))
                .expect("strings always serialize");
            text.push('\n');
            text
        }
        DumpMode::Sexp => sexp(sections),
    }
}

impl Config {
    /// All sections, for [`dump_config`].
    pub fn section_refs(&self) -> Vec<&Section> {
        self.sections().iter().collect()
    }
}

fn ini(sections: &[&Section], origins: bool) -> String {
    let mut out = String::new();
    for section in sections {
        let _ = writeln!(out, "\n[{}]", section.name);
        for entry in &section.entries {
            if origins {
                let _ = writeln!(
                    out,
                    "# {}=>{}:{}",
                    entry.key,
                    entry.origin.file.display(),
                    entry.origin.line
                );
            }
            let mut lines = entry.value.split('\n');
            let first = lines.next().unwrap_or("");
            if first.is_empty() {
                let _ = writeln!(out, "{}", entry.key);
            } else {
                let _ = writeln!(out, "{} {first}", entry.key);
            }
            // Continuation lines are indented; the reader strips that indent back off.
            for line in lines {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    out
}

struct JsonSections<'a>(&'a [&'a Section]);
struct JsonEntries<'a>(&'a Section);

impl Serialize for JsonSections<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for section in self.0 {
            map.serialize_entry(&section.name, &JsonEntries(section))?;
        }
        map.end()
    }
}

impl Serialize for JsonEntries<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.entries.len()))?;
        for entry in &self.0.entries {
            map.serialize_entry(&entry.key, &entry.value)?;
        }
        map.end()
    }
}

/// A Scheme string literal.
pub fn scheme_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

fn sexp(sections: &[&Section]) -> String {
    let mut out = String::from("(");
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str("\n ");
        }
        out.push('(');
        out.push_str(&scheme_string(&section.name));
        for entry in &section.entries {
            let _ = write!(
                out,
                "\n  ({} {})",
                scheme_string(&entry.key),
                scheme_string(&entry.value)
            );
        }
        out.push(')');
    }
    out.push_str(")\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ReadOptions, read_str};
    use std::path::Path;

    fn sample() -> Config {
        read_str(
            Path::new("/v/t.config"),
            "[b]\nk v\nm first\n  second\n    third\n[a]\nempty\nq say \"hi\"\n",
            &ReadOptions::new(Path::new("/")),
        )
        .unwrap()
    }

    #[test]
    fn ini_round_trips() {
        let c = sample();
        let text = dump_config(&c.section_refs(), DumpMode::Ini, false);
        let again = read_str(
            Path::new("/v/dump"),
            &text,
            &ReadOptions::new(Path::new("/")),
        )
        .unwrap();
        assert_eq!(again.get("b", "m"), Some("first\nsecond\n  third"));
        assert_eq!(again.get("a", "empty"), Some(""));
        let names: Vec<_> = again.section_names().filter(|n| *n != "default").collect();
        assert_eq!(names, ["b", "a"]);
    }

    #[test]
    fn json_keeps_order_and_strings() {
        let c = sample();
        let text = dump_config(&c.section_refs(), DumpMode::Json, false);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["b"]["m"], "first\nsecond\n  third");
        assert!(text.find("\"b\"").unwrap() < text.find("\"a\"").unwrap());
    }

    #[test]
    fn sexp_escapes() {
        let c = sample();
        let text = dump_config(&c.section_refs(), DumpMode::Sexp, false);
        assert!(text.starts_with("((\"b\"\n  (\"k\" \"v\")"), "{text}");
        assert!(text.contains("(\"q\" \"say \\\"hi\\\"\")"), "{text}");
        assert!(DumpMode::parse("xml").is_err());
    }
}
