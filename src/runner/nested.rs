//! A test's nested run (`[subrun]`) as its run directory records it, as 1.65 does:
//! `subrun-area` links to the nested run's area and `testconfig.subrun` names the run, so
//! removing the test or setting its state reaches into the nested run (1.65's
//! `subrun:remove-subrun` and `subrun:set-state-status`); `subrun.removed` marks a nested run
//! already removed. Also the tests a nested run's runner must not count as its own load: the
//! parents waiting for it.

use crate::environ::env_file::sh_quote;
use crate::error::{Error, ErrorKind, Result};
use crate::model::TestId;
use std::path::{Path, PathBuf};

/// The link to the nested run's area.
const LINK: &str = "subrun-area";
/// The nested run's selector.
const RECORD: &str = "testconfig.subrun";
/// Present once the nested run is removed.
const REMOVED: &str = "subrun.removed";
/// The tests waiting for the nested runs this process belongs to: a line `ID DATABASE` each,
/// the parent's last. (Not an `MT_` variable: a nested run has none of those.)
pub const WAITING_PARENTS: &str = "MEGATEST_WAITING_PARENTS";

/// Which run a test's `[subrun]` makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedRun {
    /// The nested run's area.
    pub area: PathBuf,
    /// Its target.
    pub target: String,
    /// Its run name.
    pub runname: String,
    /// `-testpatt`, as the section gives it.
    pub testpatt: Option<String>,
    /// `-tagexpr`.
    pub tagexpr: Option<String>,
    /// `-modepatt`.
    pub modepatt: Option<String>,
}

impl NestedRun {
    /// The selector's options, as words: a run with no pattern at all is all of its tests
    /// (1.65 puts `%` in then, too).
    pub fn selector(&self) -> Vec<String> {
        let mut words: Vec<String> = [
            "-start-dir",
            &self.area.display().to_string(),
            "-target",
            &self.target,
            "-runname",
            &self.runname,
        ]
        .iter()
        .map(|w| w.to_string())
        .collect();
        let testpatt = match (&self.testpatt, &self.tagexpr, &self.modepatt) {
            (None, None, None) => Some("%".to_string()),
            (patt, _, _) => patt.clone(),
        };
        for (option, value) in [
            ("-testpatt", &testpatt),
            ("-tagexpr", &self.tagexpr),
            ("-modepatt", &self.modepatt),
        ] {
            if let Some(value) = value {
                words.extend([option.to_string(), value.clone()]);
            }
        }
        words
    }

    /// `TARGET-RUNNAME-PATTERN` with only letters, digits and `-` kept: the stem of the
    /// nested run's log names.
    pub fn log_stem(&self) -> String {
        let patt = self
            .testpatt
            .as_deref()
            .or(self.modepatt.as_deref())
            .or(self.tagexpr.as_deref())
            .unwrap_or("%");
        format!("{}-{}-{patt}", self.target, self.runname)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }

    /// Records this nested run in the test's run directory `dir` (at launch: a removed
    /// nested run is made again).
    pub fn record(&self, dir: &Path) -> Result<()> {
        let io = |what: &str, e: std::io::Error| {
            Error::of(
                ErrorKind::Io,
                format!(
                    "cannot write {what} in `{}`: {}",
                    dir.display(),
                    crate::sys::io_reason(&e)
                ),
            )
        };
        let link = dir.join(LINK);
        if std::fs::symlink_metadata(&link).is_ok() {
            std::fs::remove_file(&link).map_err(|e| io(LINK, e))?;
        }
        std::os::unix::fs::symlink(&self.area, &link).map_err(|e| io(LINK, e))?;
        let mut text = String::from(
            "# The nested run of this test's [subrun]: -remove-runs and -set-state-status of the\n# test reach into it.\n[subrun]\n",
        );
        let fields = [
            ("run-area", Some(self.area.display().to_string())),
            ("target", Some(self.target.clone())),
            ("run-name", Some(self.runname.clone())),
            ("test-patt", self.testpatt.clone()),
            ("tag-expr", self.tagexpr.clone()),
            ("mode-patt", self.modepatt.clone()),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                text.push_str(&format!("{key} {value}\n"));
            }
        }
        std::fs::write(dir.join(RECORD), text).map_err(|e| io(RECORD, e))?;
        match std::fs::remove_file(dir.join(REMOVED)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(REMOVED, e)),
            _ => Ok(()),
        }
    }

    /// The nested run recorded in `dir`, unless there is none or it was removed.
    pub fn recorded(dir: &Path) -> Option<NestedRun> {
        if dir.join(REMOVED).exists() || std::fs::symlink_metadata(dir.join(LINK)).is_err() {
            return None;
        }
        let text = std::fs::read_to_string(dir.join(RECORD)).ok()?;
        let field = |key: &str| {
            text.lines()
                .filter_map(|l| l.split_once(' '))
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        };
        Some(NestedRun {
            area: PathBuf::from(field("run-area")?),
            target: field("target")?,
            runname: field("run-name")?,
            testpatt: field("test-patt"),
            tagexpr: field("tag-expr"),
            modepatt: field("mode-patt"),
        })
    }

    /// Runs `megatest SELECTOR ACTION` on the nested run, with none of this process's `MT_*`
    /// variables, its output in `DIR/PREFIX-STEM.log`; fails when it fails.
    pub fn operate(&self, dir: &Path, action: &[&str], prefix: &str) -> Result<()> {
        let log = dir.join(format!("{prefix}-{}.log", self.log_stem()));
        let megatest = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("megatest"));
        let mut words = vec![megatest.display().to_string()];
        words.extend(self.selector());
        words.extend(action.iter().map(|w| w.to_string()));
        let line: Vec<String> = words.iter().map(|w| sh_quote(w)).collect();
        crate::output::log::emit(format_args!(
            "INFO: (0) Running sub megatest command: {}",
            line.join(" ")
        ));
        let out = std::fs::File::create(&log).map_err(|e| {
            Error::of(
                ErrorKind::Io,
                format!(
                    "cannot write `{}`: {}",
                    log.display(),
                    crate::sys::io_reason(&e)
                ),
            )
        })?;
        let err = out.try_clone().map_err(|e| {
            Error::of(
                ErrorKind::Io,
                format!(
                    "cannot share `{}`: {}",
                    log.display(),
                    crate::sys::io_reason(&e)
                ),
            )
        })?;
        let mut cmd = std::process::Command::new(&words[0]);
        cmd.args(&words[1..])
            .stdout(out)
            .stderr(err)
            .current_dir(&self.area);
        crate::environ::apply(&mut cmd);
        for (name, _) in crate::environ::vars() {
            if name.starts_with("MT_") {
                cmd.env_remove(name);
            }
        }
        let status = cmd.status().map_err(|e| {
            Error::of(
                ErrorKind::Io,
                format!("cannot start `{}`: {}", words[0], crate::sys::io_reason(&e)),
            )
        })?;
        if status.success() {
            return Ok(());
        }
        Err(Error::new(format!(
            "the nested run {}/{} in `{}` answered {}: {}",
            self.target,
            self.runname,
            self.area.display(),
            crate::sys::shell::status_code(status),
            line[line.len() - action.len()..].join(" ")
        ))
        .note(format!("its output is in `{}`", log.display())))
    }

    /// Marks the nested run recorded in `dir` removed.
    pub fn mark_removed(dir: &Path) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if let Err(e) = std::fs::write(dir.join(REMOVED), format!("{now}\n")) {
            crate::warn!(
                "cannot mark the nested run of `{}` removed: {}",
                dir.display(),
                crate::sys::io_reason(&e)
            );
        }
    }
}

/// The value of [`WAITING_PARENTS`] for a nested run started by test `id` of `database`:
/// the ones this process waits for, then that test.
pub fn waiting_parents_with(id: TestId, database: &Path) -> String {
    let mut value = crate::environ::var(WAITING_PARENTS).unwrap_or_default();
    if !value.is_empty() && !value.ends_with('\n') {
        value.push('\n');
    }
    value.push_str(&format!("{id} {}", database.display()));
    value
}

/// The tests of `database` waiting for the nested run this process belongs to: they hold job
/// slots the nested run must not wait for.
pub fn waiting_parents_in(database: &Path) -> Vec<TestId> {
    let Some(value) = crate::environ::var(WAITING_PARENTS) else {
        return Vec::new();
    };
    let ours = database.canonicalize().ok();
    value
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, db)| ours.is_some() && Path::new(db).canonicalize().ok() == ours)
        .filter_map(|(id, _)| id.parse::<i64>().ok().map(TestId))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(area: &Path) -> NestedRun {
        NestedRun {
            area: area.to_path_buf(),
            target: "p1/x".into(),
            runname: "r 1".into(),
            testpatt: Some("a,b/%".into()),
            tagexpr: None,
            modepatt: None,
        }
    }

    #[test]
    fn a_recorded_nested_run_reads_back_until_removed() {
        let dir = tempfile::tempdir().unwrap();
        let run = nested(Path::new("/some/area"));
        assert_eq!(NestedRun::recorded(dir.path()), None);
        run.record(dir.path()).unwrap();
        assert_eq!(NestedRun::recorded(dir.path()), Some(run.clone()));
        assert_eq!(
            std::fs::read_link(dir.path().join(LINK)).unwrap(),
            Path::new("/some/area")
        );
        NestedRun::mark_removed(dir.path());
        assert_eq!(NestedRun::recorded(dir.path()), None);
        // Launched again: there again.
        run.record(dir.path()).unwrap();
        assert_eq!(NestedRun::recorded(dir.path()), Some(run));
    }

    #[test]
    fn the_selector_names_the_run_and_all_tests_when_no_pattern_is_given() {
        let mut run = nested(Path::new("/a"));
        assert_eq!(
            run.selector().join(" "),
            "-start-dir /a -target p1/x -runname r 1 -testpatt a,b/%"
        );
        assert_eq!(run.log_stem(), "p1_x-r_1-a_b__");
        run.testpatt = None;
        assert!(run.selector().join(" ").ends_with("-testpatt %"));
        run.tagexpr = Some("quick".into());
        assert!(run.selector().join(" ").ends_with("-tagexpr quick"));
    }
}
