//! A test's definition: its testconfig read into what the planner, launcher and executor use
//! (spec §4.2).

use super::hms::hms_seconds;
use super::itemmap::ItemMap;
use super::items::{Items, expand};
use crate::config::{Config, ReadOptions, SystemPolicy, read_file};
use crate::error::{Error, Result};
use crate::select::Glob;
use regex::Regex;
use std::path::{Path, PathBuf};

/// How a test waits on others (spec §7.3); several may combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Modes {
    /// Waits until waitons are completed with any status.
    pub toplevel: bool,
    /// Each item waits for the mapped item of each waiton.
    pub itemwait: bool,
    /// Like itemwait, but any passing item of the waiton also satisfies.
    pub itemmatch: bool,
    /// No other instance of the same test/item may run at the same time, in any run.
    pub exclusive: bool,
}

impl Modes {
    /// Whether items wait per item (itemwait or itemmatch).
    pub fn per_item(self) -> bool {
        self.itemwait || self.itemmatch
    }

    /// Modes from their words (`toplevel itemwait`), for tests.
    #[cfg(test)]
    pub fn from_words(words: &str) -> Modes {
        let mut m = Modes::default();
        for w in words.split_whitespace() {
            match w {
                "toplevel" => m.toplevel = true,
                "itemwait" => m.itemwait = true,
                "itemmatch" => m.itemmatch = true,
                "exclusive" => m.exclusive = true,
                other => panic!("no mode {other}"),
            }
        }
        m
    }
}

/// A `[skip]` rule (spec §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Skip while the same test/item runs in any run.
    PrevRunning,
    /// Skip when this path exists.
    FileExists(String),
    /// Skip while running, or when a finished instance started less than this many seconds ago.
    RunDelay(u64),
}

/// One `[ezsteps]` step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Step {
    /// The step name.
    pub name: String,
    /// The shell command.
    pub command: String,
    /// `[logpro] NAME` rules, when the testconfig has them.
    pub logpro: Option<String>,
    /// Run without any `MT_*` variable (the `{subrun=true}` prefix, and the step of a
    /// `[subrun]`): a megatest it starts makes a run of its own.
    #[serde(default)]
    pub clean_mt_env: bool,
}

/// A test's `[subrun]` (manual, "Nested Runs"): a run of another area made by this test, as
/// its last step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subrun {
    /// `run-area`: the other area (`None`: this one).
    pub area: Option<String>,
    /// `run-wait`: whether the step waits for the nested run and judges it (`no`: it only
    /// starts it, and passes).
    pub wait: bool,
    /// `target`, else the parent run's.
    pub target: Option<String>,
    /// `run-name`, else the parent run's.
    pub runname: Option<String>,
    /// `test-patt`.
    pub testpatt: Option<String>,
    /// `tag-expr`.
    pub tagexpr: Option<String>,
    /// `mode-patt`.
    pub modepatt: Option<String>,
    /// `contour`.
    pub contour: Option<String>,
    /// `msg`.
    pub msg: Option<String>,
    /// `logpro`: rules that judge the nested run's output (else its tests' results do).
    pub logpro: Option<String>,
}

/// A test read from its testconfig.
#[derive(Debug, Clone)]
pub struct TestDef {
    /// The test name (its directory's name).
    pub name: String,
    /// Its source directory.
    pub dir: PathBuf,
    /// The testconfig after processing.
    pub config: Config,
    /// Whether the testconfig computes values (`#{...}`, `[system ...]`), so reading it again
    /// with an item's variables may change it.
    pub dynamic: bool,
}

impl TestDef {
    /// Reads `DIR/testconfig` the way the runner does (spec §4.1): system commands run,
    /// `[pre-launch-env-vars]` are evaluated and exported.
    pub fn read(name: &str, dir: &Path, toppath: &Path) -> Result<TestDef> {
        TestDef::read_as(name, dir, toppath, SystemPolicy::Allow)
    }

    /// Reads `DIR/testconfig` as 1.65 does outside a run, for a test's `[triggers]`
    /// (`mt:lazy-read-test-config`): `#{shell}`, `#{system}` and `[system ...]` are not run
    /// and no variables are exported.
    pub fn read_without_commands(name: &str, dir: &Path, toppath: &Path) -> Result<TestDef> {
        TestDef::read_as(name, dir, toppath, SystemPolicy::Deny)
    }

    fn read_as(name: &str, dir: &Path, toppath: &Path, system: SystemPolicy) -> Result<TestDef> {
        let path = dir.join("testconfig");
        let mut opts = ReadOptions::new(toppath);
        if matches!(system, SystemPolicy::Allow) {
            opts.environ_patt = Some(Regex::new("pre-launch-env-vars").expect("literal regex"));
        }
        opts.system = system;
        opts.toppath = Some(toppath.to_path_buf());
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let dynamic = text.contains("#{")
            || text.contains("[system")
            || text.contains("[include")
            || text.contains("[scriptinc");
        let config = read_file(&path, &opts)?.ok_or_else(|| {
            Error::new(format!(
                "test `{name}` has no testconfig at `{}`",
                path.display()
            ))
        })?;
        crate::config::warn_unread(&config, crate::config::ConfigKind::Test);
        Ok(TestDef {
            name: name.to_string(),
            dir: dir.to_path_buf(),
            config,
            dynamic,
        })
    }

    fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.config.get(section, key)
    }

    fn pairs(&self, section: &str) -> Vec<(String, String)> {
        self.config.pairs(section)
    }

    /// `[requirements] waiton`, whitespace-separated.
    pub fn waitons(&self) -> Vec<String> {
        self.get("requirements", "waiton")
            .map(|w| w.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// `[requirements] waitor`, whitespace-separated: tests pulled into a run with this one
    /// (as 1.65 does; no order between them).
    pub fn waitors(&self) -> Vec<String> {
        self.get("requirements", "waitor")
            .map(|w| w.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// `[requirements] mode`.
    pub fn modes(&self) -> Result<Modes> {
        let mut modes = Modes::default();
        let Some(entry) = self.config.entry("requirements", "mode") else {
            return Ok(modes);
        };
        for word in entry.value.split_whitespace() {
            match word {
                "normal" => {}
                "toplevel" => modes.toplevel = true,
                "itemwait" => modes.itemwait = true,
                "itemmatch" => modes.itemmatch = true,
                "exclusive" => modes.exclusive = true,
                other => {
                    return Err(Error::new(format!(
                        "test `{}`: unknown mode `{other}`",
                        self.name
                    ))
                    .at(entry.location())
                    .note("modes are normal, toplevel, itemwait, itemmatch, exclusive"));
                }
            }
        }
        Ok(modes)
    }

    /// `[requirements] priority` (higher runs first); not a number counts as 0.
    pub fn priority(&self) -> i64 {
        self.get("requirements", "priority")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(0)
    }

    /// The item map towards `waiton`: `[requirements] itemmap`, else the first `[itemmap]`
    /// entry whose test pattern matches the waiton's name.
    pub fn itemmap_for(&self, waiton: &str) -> Result<Option<ItemMap>> {
        if let Some(rules) = self.get("requirements", "itemmap") {
            return ItemMap::parse(rules).map(Some);
        }
        for (pattern, rules) in self.pairs("itemmap") {
            if Glob::parse(&pattern).is_ok_and(|g| g.matches(waiton)) {
                return ItemMap::parse(&rules).map(Some);
            }
        }
        Ok(None)
    }

    /// The items (spec §6.1).
    pub fn items(&self) -> Items {
        if self
            .config
            .section("items")
            .is_some_and(|s| s.entries.is_empty())
            && self.pairs("itemstable").is_empty()
        {
            crate::warn!(
                "[items] section in testconfig of {} but no entries defined",
                self.name
            );
        }
        expand(&self.pairs("items"), &self.pairs("itemstable"))
    }

    /// Checks what of the testconfig becomes paths or commands: step names (one path
    /// component each, see [`crate::model::NAME_RULE`]), steps that have a command, and item
    /// values (see [`crate::model::ITEM_PATH_RULE`]).
    pub fn check(&self) -> Result<()> {
        self.check_steps()?;
        self.subrun()?;
        self.check_items()
    }

    fn check_steps(&self) -> Result<()> {
        let Some(section) = self.config.section("ezsteps") else {
            return Ok(());
        };
        for entry in &section.entries {
            if let Err(problem) = crate::model::check_component(&entry.key) {
                return Err(Error::new(format!(
                    "test `{}`: step name `{}` {problem}",
                    self.name,
                    entry.key.escape_debug()
                ))
                .at(entry.location())
                .note(crate::model::NAME_RULE)
                .note("a step's name names its log file (`STEP.log`) in the run directory"));
            }
            if step_command(&entry.value).trim().is_empty() {
                let reserved = entry.value.trim_start().starts_with('{');
                let mut error = Error::new(format!(
                    "test `{}`: step `{}` has no command",
                    self.name, entry.key
                ))
                .at(entry.location());
                if reserved {
                    error = error.note(
                        "a leading `{...}` is reserved by Megatest for step parameters and is not run; \
                         write the command without braces, or `( ... )` for a subshell",
                    );
                }
                return Err(error);
            }
        }
        Ok(())
    }

    /// The first item whose path would leave the test's run directory, with the entry
    /// (`[items]` or `[itemstable]` line) of the offending value.
    pub fn check_items(&self) -> Result<()> {
        let Items::List(list) = self.items() else {
            return Ok(());
        };
        for item in &list {
            let Err(problem) = crate::model::check_item_path(&item.path) else {
                continue;
            };
            let culprit = item
                .vars
                .iter(&item.path)
                .find(|(_, v)| crate::model::check_item_path(v).is_err())
                .or(item.vars.iter(&item.path).find(|(_, v)| v.is_empty()));
            let mut error = Error::new(format!(
                "test `{}`: item path `{}` {problem}",
                self.name,
                item.path.escape_debug()
            ));
            if let Some((var, value)) = culprit {
                error = Error::new(format!(
                    "test `{}`: item value `{}` of `{var}` cannot be part of a path: it {problem}",
                    self.name,
                    value.escape_debug()
                ));
                if let Some(entry) = self
                    .config
                    .entry("items", var)
                    .or_else(|| self.config.entry("itemstable", var))
                {
                    error = error.at(entry.location());
                }
            }
            return Err(error.note(crate::model::ITEM_PATH_RULE));
        }
        Ok(())
    }

    /// The run-time limit in seconds: `[requirements] runtimelim`, else the area's default.
    pub fn runtimelim(&self, area_default: Option<&str>) -> Option<u64> {
        let text = self.get("requirements", "runtimelim").or(area_default)?;
        // A limit without units counts as 0 in Megatest and kills at once; refuse that trap.
        match hms_seconds(text) {
            Some(s) => Some(s),
            None => {
                crate::warn!(
                    "test {}: runtimelim `{text}` has no units (s, m, h, d); no limit applied",
                    self.name
                );
                None
            }
        }
    }

    /// `[ezsteps]`, in order, with their `[logpro]` rules.
    pub fn ezsteps(&self) -> Vec<Step> {
        self.pairs("ezsteps")
            .into_iter()
            .map(|(name, command)| {
                let clean_mt_env = step_prefix(&command).is_some_and(|p| {
                    p.split(|c: char| c == ',' || c.is_whitespace())
                        .any(|w| w == "subrun" || w == "subrun=true" || w == "subrun=yes")
                });
                let command = step_command(&command).to_string();
                let logpro = self.get("logpro", &name).map(str::to_string);
                Step {
                    name,
                    command,
                    logpro,
                    clean_mt_env,
                }
            })
            .collect()
    }

    /// `[subrun]`, when the section has entries (manual, "Nested Runs").
    pub fn subrun(&self) -> Result<Option<Subrun>> {
        if self
            .config
            .section("subrun")
            .is_none_or(|s| s.entries.is_empty())
        {
            return Ok(None);
        }
        let get = |key: &str| {
            self.get("subrun", key)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        // The manual writes run-wait, 1.65's source reads runwait: either is taken.
        let wait = get("run-wait")
            .or_else(|| get("runwait"))
            .is_none_or(|w| w != "no");
        Ok(Some(Subrun {
            area: get("run-area"),
            wait,
            target: get("target"),
            runname: get("run-name"),
            testpatt: get("test-patt"),
            tagexpr: get("tag-expr"),
            modepatt: get("mode-patt"),
            contour: get("contour"),
            msg: get("msg"),
            logpro: get("logpro"),
        }))
    }

    /// `[setup] runscript`, resolved (spec §4.2): a path with `/` as is, else the file in the
    /// test directory when it exists, else the command name.
    pub fn runscript(&self) -> Option<String> {
        let script = self.get("setup", "runscript")?.trim();
        if script.is_empty() {
            return None;
        }
        if script.contains('/') {
            return Some(script.to_string());
        }
        let local = self.dir.join(script);
        Some(if local.exists() {
            local.display().to_string()
        } else {
            script.to_string()
        })
    }

    /// The first applicable `[skip]` rule.
    pub fn skip(&self) -> Option<Skip> {
        if self.get("skip", "prevrunning").is_some() {
            return Some(Skip::PrevRunning);
        }
        if let Some(path) = self.get("skip", "fileexists") {
            return Some(Skip::FileExists(path.to_string()));
        }
        self.get("skip", "rundelay")
            .and_then(hms_seconds)
            .map(Skip::RunDelay)
    }

    /// `[test_meta] jobgroup`.
    pub fn jobgroup(&self) -> Option<String> {
        self.get("test_meta", "jobgroup")
            .map(|j| j.trim().to_string())
            .filter(|j| !j.is_empty())
    }

    /// `[test_meta] tags`, comma-separated.
    pub fn tags(&self) -> String {
        self.get("test_meta", "tags")
            .unwrap_or_default()
            .to_string()
    }

    /// `[triggers]`: (`STATE/STATUS`, command).
    pub fn triggers(&self) -> Vec<(String, String)> {
        self.pairs("triggers")
    }

    /// `[waivers]`: (name, rule, glob).
    pub fn waivers(&self) -> Vec<(String, String, String)> {
        self.pairs("waivers")
            .into_iter()
            .map(|(name, value)| {
                let mut words = value.split_whitespace();
                let rule = words.next().unwrap_or("").to_string();
                let glob = words.next().unwrap_or("").to_string();
                (name, rule, glob)
            })
            .collect()
    }

    /// `[waiver_rules]`: (rule, command template).
    pub fn waiver_rules(&self) -> Vec<(String, String)> {
        self.pairs("waiver_rules")
    }

    /// `[disks]` of the testconfig, replacing the area's.
    pub fn disks(&self) -> Vec<(String, String)> {
        self.pairs("disks")
    }

    /// `[pre-launch-env-overrides]`: set only around the launch.
    pub fn launch_overrides(&self) -> Vec<(String, String)> {
        self.pairs("pre-launch-env-overrides")
    }
}

/// A step's command: a leading `{VAR=a,b}` is reserved by Megatest (its `launch:runstep`
/// splits it off for future use) and is not run.
/// The `{...}` parameters before a step's command, if any.
fn step_prefix(text: &str) -> Option<&str> {
    text.strip_prefix('{')
        .and_then(|c| c.split_once('}'))
        .map(|(p, _)| p)
}

fn step_command(text: &str) -> &str {
    match text.strip_prefix('{').and_then(|c| c.split_once('}')) {
        Some((_, rest)) => rest.trim_start(),
        None => text,
    }
}
