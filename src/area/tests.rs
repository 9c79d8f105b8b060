//! Test discovery (spec §2.7): every `DIR/<name>/testconfig` under the `[tests-paths]`
//! directories, then `<area>/tests`; the first directory providing a name wins.

use super::load::Area;
use std::collections::BTreeMap;
use std::path::PathBuf;

impl Area {
    /// The directories tests are looked for in, in search order.
    pub fn test_search_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        if let Some(section) = self.config.section("tests-paths") {
            for entry in &section.entries {
                let dir = self.top.join(entry.value.trim());
                if dir.is_dir() {
                    dirs.push(dir);
                } else {
                    crate::warn!(
                        "[tests-paths] {} points at `{}`, which is not a directory; ignored",
                        entry.key,
                        dir.display()
                    );
                }
            }
        }
        dirs.push(self.top.join("tests"));
        dirs
    }

    /// Every test: name → its source directory.
    pub fn tests(&self) -> BTreeMap<String, PathBuf> {
        let mut found = BTreeMap::new();
        for dir in self.test_search_dirs() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if !path.join("testconfig").is_file() {
                    continue;
                }
                let file_name = entry.file_name();
                let Some(name) = file_name.to_str() else {
                    crate::warn!(
                        "test directory `{}` skipped: its name is not valid UTF-8, and test names are text",
                        path.display()
                    );
                    continue;
                };
                if let Err(problem) = crate::model::check_component(name) {
                    crate::warn!(
                        "test directory `{}` skipped: a test name that {problem} cannot name run directories",
                        path.display()
                    );
                    continue;
                }
                found.entry(name.to_string()).or_insert(path);
            }
        }
        found
    }
}
