//! Which tests a run contains (spec §7.1 steps 5 and 8): the tests the patterns and tags
//! select, then every test they wait on (or name as a `waitor`), transitively, with the test patterns extended so the
//! waitons' matching items run too. A waiton cycle is an error naming the tests.

use crate::error::{Error, Result};
use crate::select::{Glob, TagExpr, TestPatterns};
use crate::testdef::{Items, TestDef};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The tests of a run.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Every test of the run, read.
    pub defs: BTreeMap<String, TestDef>,
    /// Each test's waitons, unknown names and the test itself removed.
    pub waitons: BTreeMap<String, Vec<String>>,
    /// The test patterns, extended to the waitons.
    pub patterns: TestPatterns,
}

/// One `TEST[/ITEM]` entry of a pattern list.
fn split_entry(entry: &str) -> (&str, Option<&str>) {
    match entry.split_once('/') {
        Some((t, i)) => (t, Some(i)),
        None => (entry, None),
    }
}

/// Selects the tests for `patterns` and `tags` among `available` (name → directory), reading
/// each testconfig with `read`.
pub fn select(
    available: &BTreeMap<String, PathBuf>,
    patterns: &str,
    tags: Option<&TagExpr>,
    mut read: impl FnMut(&str, &Path) -> Result<TestDef>,
) -> Result<Selection> {
    let initial = TestPatterns::parse(patterns)?;
    let mut entries: Vec<String> = patterns.split(',').map(str::to_string).collect();
    let mut defs: BTreeMap<String, TestDef> = BTreeMap::new();
    let mut queue: Vec<String> = Vec::new();
    for (name, dir) in available {
        if !initial.selects_test(name) {
            continue;
        }
        let def = read(name, dir)?;
        if tags.is_some_and(|t| !t.allows(&def.tags())) {
            continue;
        }
        queue.push(name.clone());
        defs.insert(name.clone(), def);
    }
    let mut waitons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    while let Some(name) = queue.pop() {
        let mut kept = Vec::new();
        for waiton in defs[&name].waitons() {
            if waiton == name {
                crate::warn!("test {name} lists itself as a waiton; ignored");
                continue;
            }
            let Some(dir) = available.get(&waiton) else {
                crate::warn!("test {name} has an unknown waiton `{waiton}`; ignored");
                continue;
            };
            if !defs.contains_key(&waiton) {
                let def = read(&waiton, dir)?;
                defs.insert(waiton.clone(), def);
                queue.push(waiton.clone());
            }
            let added = extend_patterns(&entries, &defs[&name], &defs[&waiton])?;
            for entry in added {
                if !entries.contains(&entry) {
                    entries.push(entry);
                }
            }
            if !kept.contains(&waiton) {
                kept.push(waiton);
            }
        }
        // Waitors join the run as waitons do, patterns extended the same way, but nothing
        // waits for anything (1.65 reads them and never orders by them).
        for waitor in defs[&name].waitors() {
            if waitor == name {
                crate::warn!("test {name} lists itself as a waitor; ignored");
                continue;
            }
            let Some(dir) = available.get(&waitor) else {
                crate::warn!("test {name} has an unknown waitor `{waitor}`; ignored");
                continue;
            };
            if !defs.contains_key(&waitor) {
                let def = read(&waitor, dir)?;
                defs.insert(waitor.clone(), def);
                queue.push(waitor.clone());
            }
            for entry in extend_patterns(&entries, &defs[&name], &defs[&waitor])? {
                if !entries.contains(&entry) {
                    entries.push(entry);
                }
            }
        }
        waitons.insert(name, kept);
    }
    check_cycles(&defs, &waitons)?;
    Ok(Selection {
        defs,
        waitons,
        patterns: TestPatterns::parse(&entries.join(","))?,
    })
}

/// The entries to add for `waiton` of `waiting` (spec §7.1 step 8): each entry addressing
/// the waiting test with an item part adds that item part, mapped by the waiting test's item
/// map towards the waiton; otherwise (or for a waiton without items) the waiton by name.
fn extend_patterns(entries: &[String], waiting: &TestDef, waiton: &TestDef) -> Result<Vec<String>> {
    let itemized = !matches!(waiton.items(), Items::None);
    let map = waiting.itemmap_for(&waiton.name)?;
    let mut added = Vec::new();
    for entry in entries {
        let (test, item) = split_entry(entry);
        if test.starts_with('~') || !Glob::parse(test).is_ok_and(|g| g.matches(&waiting.name)) {
            continue;
        }
        match item {
            Some(item) if itemized && !item.is_empty() && !item.starts_with('~') => {
                let mapped = map
                    .as_ref()
                    .map_or_else(|| item.to_string(), |m| m.apply(item));
                added.push(format!("{}/{mapped}", waiton.name));
            }
            _ => added.push(waiton.name.clone()),
        }
    }
    if added.is_empty() {
        added.push(waiton.name.clone());
    }
    Ok(added)
}

/// A waiton cycle is an error naming every test on it.
fn check_cycles(
    defs: &BTreeMap<String, TestDef>,
    waitons: &BTreeMap<String, Vec<String>>,
) -> Result<()> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for start in waitons.keys() {
        let mut path: Vec<&str> = Vec::new();
        if let Some(cycle) = visit(start, waitons, &mut done, &mut path) {
            let first = &cycle[0];
            let mut err = Error::new(format!("waiton cycle: {}", cycle.join(" -> ")));
            if let Some(entry) = defs
                .get(first)
                .and_then(|d| d.config.entry("requirements", "waiton"))
            {
                err = err.at(entry.location());
            }
            return Err(err.note("a test cannot wait, directly or through others, on itself"));
        }
    }
    Ok(())
}

fn visit<'a>(
    name: &'a str,
    waitons: &'a BTreeMap<String, Vec<String>>,
    done: &mut BTreeSet<&'a str>,
    path: &mut Vec<&'a str>,
) -> Option<Vec<String>> {
    if done.contains(name) {
        return None;
    }
    if let Some(pos) = path.iter().position(|p| *p == name) {
        let mut cycle: Vec<String> = path[pos..].iter().map(|s| s.to_string()).collect();
        cycle.push(name.to_string());
        return Some(cycle);
    }
    path.push(name);
    for next in waitons.get(name).into_iter().flatten() {
        if let Some(cycle) = visit(next, waitons, done, path) {
            return Some(cycle);
        }
    }
    path.pop();
    done.insert(name);
    None
}
