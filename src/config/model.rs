//! The result of reading a config: ordered sections of ordered `key value` entries, each
//! entry remembering the file and line it came from.

use std::path::Path;
use std::sync::Arc;

/// Where a value was defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file (or script) that defined it.
    pub file: Arc<Path>,
    /// 1-based line number of the key in that file.
    pub line: u32,
}

/// One `key value` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key: the first whitespace-free token of its line.
    pub key: String,
    /// The value; multi-line values are joined with `\n`.
    pub value: String,
    /// Where the key was (last) set.
    pub origin: Origin,
    /// The value for a shell to evaluate, when it holds data: the parts that came from
    /// `#{...}` results quoted (or all of it, for a command's output or a value already
    /// evaluated), so only the author's own text is expanded. `None`: the author's text.
    pub shell_text: Option<String>,
}

impl Entry {
    /// Where the key is, for an error about its value: file, line, and the key underlined.
    pub fn location(&self) -> crate::error::Location {
        let text = std::fs::read_to_string(&*self.origin.file)
            .ok()
            .and_then(|t| {
                t.lines()
                    .nth(self.origin.line.saturating_sub(1) as usize)
                    .map(str::to_string)
            })
            .unwrap_or_default();
        let offset = text.find(&self.key).unwrap_or(0);
        crate::error::Location::in_line(
            &self.origin.file,
            self.origin.line as usize,
            &text,
            offset,
            self.key.len(),
        )
    }
}

/// A named section and its entries in the order they were (last) set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The name between the brackets.
    pub name: String,
    /// The entries, in order.
    pub entries: Vec<Entry>,
}

impl Section {
    /// An empty section.
    pub fn new(name: &str) -> Self {
        Section {
            name: name.to_string(),
            entries: Vec::new(),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).map(|e| e.value.as_str())
    }

    /// The entry for `key`.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// Sets `key`; a key set again moves to the end, as Megatest's reader does.
    pub fn set(&mut self, key: &str, value: String, origin: Origin) {
        self.set_with_shell_text(key, value, origin, None);
    }

    /// Sets `key`, with the value's shell form (see [`Entry::shell_text`]).
    pub fn set_with_shell_text(
        &mut self,
        key: &str,
        value: String,
        origin: Origin,
        shell_text: Option<String>,
    ) {
        self.entries.retain(|e| e.key != key);
        self.entries.push(Entry {
            key: key.to_string(),
            value,
            origin,
            shell_text,
        });
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.key.as_str())
    }
}

/// A whole config file (with its includes), as sections in order of first mention.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    sections: Vec<Section>,
}

impl Config {
    /// An empty config.
    pub fn new() -> Self {
        Config::default()
    }

    /// The section named `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The `(key, value)` pairs of a section, in order; none when it does not exist.
    pub fn pairs(&self, name: &str) -> Vec<(String, String)> {
        self.section(name)
            .map(|s| {
                s.entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Like [`Config::pairs`], with each value in its form for a shell to evaluate.
    pub fn shell_pairs(&self, name: &str) -> Vec<(String, String)> {
        self.section(name)
            .map(|s| {
                s.entries
                    .iter()
                    .map(|e| {
                        let text = e.shell_text.as_ref().unwrap_or(&e.value);
                        (e.key.clone(), text.clone())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The section named `name`, created empty if it does not exist.
    pub fn section_mut(&mut self, name: &str) -> &mut Section {
        match self.sections.iter().position(|s| s.name == name) {
            Some(i) => &mut self.sections[i],
            None => {
                self.sections.push(Section::new(name));
                self.sections.last_mut().expect("just pushed")
            }
        }
    }

    /// Creates `name` if needed: merely mentioning a section creates it.
    pub fn ensure_section(&mut self, name: &str) {
        self.section_mut(name);
    }

    /// Whether the section exists (possibly empty).
    pub fn has_section(&self, name: &str) -> bool {
        self.section(name).is_some()
    }

    /// The value of `key` in `section`.
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.section(section).and_then(|s| s.get(key))
    }

    /// The entry of `key` in `section`.
    pub fn entry(&self, section: &str, key: &str) -> Option<&Entry> {
        self.section(section).and_then(|s| s.entry(key))
    }

    /// Sets `key` in `section` (created if needed).
    pub fn set(&mut self, section: &str, key: &str, value: String, origin: Origin) {
        self.section_mut(section).set(key, value, origin);
    }

    /// Sets `key` in `section` with the value's shell form (see [`Entry::shell_text`]).
    pub fn set_with_shell_text(
        &mut self,
        section: &str,
        key: &str,
        value: String,
        origin: Origin,
        shell_text: Option<String>,
    ) {
        self.section_mut(section)
            .set_with_shell_text(key, value, origin, shell_text);
    }

    /// Appends a continuation line to the value of `key` in `section`; `shell_line` is the
    /// line's shell form when `#{...}` results are in it (see [`Entry::shell_text`]).
    pub(crate) fn append_line(
        &mut self,
        section: &str,
        key: &str,
        line: &str,
        shell_line: Option<&str>,
    ) {
        let sect = self.section_mut(section);
        if let Some(entry) = sect.entries.iter_mut().find(|e| e.key == key) {
            if entry.shell_text.is_some() || shell_line.is_some() {
                let shell = entry.shell_text.get_or_insert_with(|| entry.value.clone());
                shell.push('\n');
                shell.push_str(shell_line.unwrap_or(line));
            }
            entry.value.push('\n');
            entry.value.push_str(line);
        }
    }

    /// Deletes a section.
    pub fn remove_section(&mut self, name: &str) {
        self.sections.retain(|s| s.name != name);
    }

    /// Moves a section (if present) to the front of the order.
    pub fn move_to_front(&mut self, name: &str) {
        if let Some(i) = self.sections.iter().position(|s| s.name == name) {
            let section = self.sections.remove(i);
            self.sections.insert(0, section);
        }
    }

    /// Keeps only the sections for which `keep` is true.
    pub fn retain_sections(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.sections.retain(|s| keep(&s.name));
    }

    /// Every section with its (key, value) entries, in order of first mention: the config as
    /// Scheme's `ht` and `*configdat*` hold it.
    pub fn section_lists(&self) -> Vec<(String, Vec<(String, String)>)> {
        self.sections
            .iter()
            .map(|s| {
                let entries = s
                    .entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.clone()))
                    .collect();
                (s.name.clone(), entries)
            })
            .collect()
    }

    /// All sections, in order of first mention.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// Section names, in order of first mention.
    pub fn section_names(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|s| s.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32) -> Origin {
        Origin {
            file: Arc::from(Path::new("t.config")),
            line,
        }
    }

    #[test]
    fn repeated_key_replaces_and_moves_to_the_end() {
        let mut c = Config::new();
        c.set("s", "a", "1".into(), at(1));
        c.set("s", "b", "2".into(), at(2));
        c.set("s", "a", "3".into(), at(3));
        let keys: Vec<_> = c.section("s").unwrap().keys().collect();
        assert_eq!(keys, ["b", "a"]);
        assert_eq!(c.get("s", "a"), Some("3"));
        assert_eq!(c.entry("s", "a").unwrap().origin.line, 3);
    }
}
