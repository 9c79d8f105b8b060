//! Running fetched suites in UTAH's order with its failure rules (spec §7): per repetition,
//! each suite's build, setup, discovery and cases, then its cleanup whatever failed; per
//! case build, setup, command, cleanup. Every command run becomes a report entry; an
//! [`Observer`] hears of suites, cases and commands as they happen (the Megatest records).

use super::command::{Outcome, run};
use super::report::{CmdType, Entry};
use super::runlist::SuiteEntry;
use super::suite::{Case, Cases, Reboot, SuiteDefs};
use crate::error::Result;
use std::path::{Path, PathBuf};

/// A case's result (spec §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Its command exited 0 and nothing else failed.
    Pass,
    /// Its command failed or timed out.
    Fail,
    /// Its build or setup failed (so its command did not run), or its cleanup failed.
    Error,
    /// utah was interrupted while it ran.
    Killed,
}

/// Which case, in which repetition.
#[derive(Debug, Clone)]
pub struct CaseRef<'a> {
    /// The suite.
    pub suite: &'a str,
    /// The case.
    pub case: &'a str,
    /// The repetition (0 for the first), when the runlist repeats.
    pub repetition: Option<u64>,
}

/// Hears what the run does, as it happens.
pub trait Observer {
    /// A suite begins (in a repetition); `dir` is its directory in the work area.
    fn suite_started(&mut self, suite: &str, dir: &Path) -> Result<()>;
    /// A case begins.
    fn case_started(&mut self, case: &CaseRef<'_>, dir: &Path) -> Result<()>;
    /// A command ended; `case` is none for suite commands.
    fn command_done(&mut self, case: Option<&CaseRef<'_>>, entry: &Entry, dir: &Path)
    -> Result<()>;
    /// A case ended.
    fn case_ended(&mut self, case: &CaseRef<'_>, verdict: Verdict, comment: &str) -> Result<()>;
    /// A case is not run because its suite failed before it.
    fn case_not_run(&mut self, case: &CaseRef<'_>, why: &str) -> Result<()>;
    /// A suite ended.
    fn suite_ended(&mut self, suite: &str) -> Result<()>;
}

/// A suite fetched and read.
#[derive(Debug, Clone)]
pub struct FetchedSuite {
    /// Its runlist entry.
    pub entry: SuiteEntry,
    /// Its directory in the work area.
    pub dir: PathBuf,
    /// Its definitions.
    pub defs: SuiteDefs,
}

/// Runs suites, collecting report entries.
pub struct Engine<'o> {
    /// The work area (the directory holding the suites).
    pub work: PathBuf,
    /// The runlist's `timeout`.
    pub runlist_timeout: Option<u64>,
    /// Who runs the commands (the report's `user`).
    pub user: String,
    /// Hears what happens.
    pub observer: &'o mut dyn Observer,
    /// The entries so far.
    pub entries: Vec<Entry>,
    /// Warnings to show (duplicate discovered names, unknown include names, reboots).
    pub warnings: Vec<String>,
    /// Say each command as it ends (`-d`).
    pub debug: bool,
    /// Whether a case's `reboot` stops the run for a reboot (a reboot command is
    /// configured); else it is noted and the run goes on.
    pub reboots: bool,
    /// Set when a case asked for a reboot that is to happen.
    reboot_asked: bool,
    /// Interrupts of utah counted when the engine was made; more mean stop.
    interrupts_before: usize,
    /// Set once utah was interrupted: nothing more runs.
    halted: bool,
}

/// Where a run stands: the next case to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// The repetition (0 for the first).
    pub repetition: u64,
    /// The suite's index among those fetched.
    pub suite: usize,
    /// The next case's index among the suite's selected cases; 0 starts the suite afresh.
    pub case: usize,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// All of it.
    Done,
    /// A case asked for a reboot: the run goes on from here after it.
    Reboot(Position),
    /// utah was interrupted (Ctrl-C, TERM): the running command was ended, nothing more ran.
    Interrupted,
}

impl<'o> Engine<'o> {
    /// An engine for the work area `work`, telling `observer`.
    pub fn new(work: PathBuf, user: String, observer: &'o mut dyn Observer) -> Engine<'o> {
        Engine {
            work,
            runlist_timeout: None,
            user,
            observer,
            entries: Vec::new(),
            warnings: Vec::new(),
            debug: false,
            reboots: false,
            reboot_asked: false,
            interrupts_before: crate::sys::interrupts(),
            halted: false,
        }
    }

    /// Runs `suites` `repeat_count + 1` times from `from` (a resumed run skips the build
    /// and setup of the suite it stopped in).
    pub fn run_all(
        &mut self,
        suites: &[FetchedSuite],
        repeat_count: u64,
        from: Position,
    ) -> Result<Ran> {
        let repeated = repeat_count > 0;
        for repetition in from.repetition..=repeat_count {
            let first = if repetition == from.repetition {
                from.suite
            } else {
                0
            };
            for (index, suite) in suites.iter().enumerate().skip(first) {
                let resume =
                    (repetition == from.repetition && index == from.suite && from.case > 0)
                        .then_some(from.case);
                let at = Position {
                    repetition,
                    suite: index,
                    case: 0,
                };
                let next = self.run_suite(suite, repeated.then_some(repetition), resume)?;
                if self.halted {
                    return Ok(Ran::Interrupted);
                }
                if let Some(next) = next {
                    return Ok(Ran::Reboot(Position { case: next, ..at }));
                }
            }
        }
        Ok(Ran::Done)
    }

    /// Runs a suite; the index of the next case when one asked for a reboot.
    fn run_suite(
        &mut self,
        suite: &FetchedSuite,
        repetition: Option<u64>,
        resume: Option<usize>,
    ) -> Result<Option<usize>> {
        let name = suite.entry.name.as_str();
        let control = &suite.defs.control;
        let limit = control.timeout.unwrap_or(0);
        self.observer.suite_started(name, &suite.dir)?;
        let at_suite = Place {
            suite: name,
            case: None,
            dir: &suite.dir,
        };
        let mut failed: Option<String> = None;
        for (cmd_type, command) in [
            (CmdType::SuiteBuild, &control.build_cmd),
            (CmdType::SuiteSetup, &control.setup),
        ] {
            // A resumed suite was built and set up before the reboot.
            if failed.is_some() || resume.is_some() {
                break;
            }
            if let Some(command) = command {
                let Some(outcome) = self.step(cmd_type, &at_suite, command, limit, None)? else {
                    return Ok(None);
                };
                if !outcome.ok() {
                    failed = Some(format!(
                        "{} failed (exit {})",
                        cmd_type.step_name(),
                        outcome.returncode
                    ));
                }
            }
        }
        // The cases: listed, or discovered now that the setup made what discovery reads.
        let cases: Vec<Planned> = match &suite.defs.cases {
            Cases::Listed(cases) => cases.iter().map(Planned::Listed).collect(),
            Cases::Discovered(entries) if failed.is_none() => {
                let mut names: Vec<Planned> = Vec::new();
                for entry in entries {
                    if self.halted || crate::sys::interrupts() > self.interrupts_before {
                        self.halted = true;
                        return Ok(None);
                    }
                    let outcome = run(&entry.discovery_cmd, &self.work, limit, None);
                    if outcome.interrupted {
                        self.halted = true;
                        return Ok(None);
                    }
                    if !outcome.ok() {
                        crate::output::log::emit(format_args!(
                            "error: {}:{}:{}: discovery_cmd failed (exit {}); no case of suite {name} runs",
                            entry.file.display(),
                            entry.at.0,
                            entry.at.1,
                            outcome.returncode
                        ));
                        failed = Some(format!(
                            "discovery_cmd failed (exit {}) at {}:{}",
                            outcome.returncode,
                            entry.file.display(),
                            entry.at.0
                        ));
                        self.record(
                            CmdType::SuiteDiscovery,
                            &at_suite,
                            &entry.discovery_cmd,
                            &outcome,
                            None,
                        )?;
                        break;
                    }
                    for line in outcome
                        .stdout
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                    {
                        if line.starts_with('/')
                            || line.split('/').any(|p| p == "..")
                            || line.contains('\0')
                        {
                            // It names the case's directory under the suite's.
                            self.warnings.push(format!(
                                "suite {name}: discovery named `{line}`, which cannot be a directory under the suite's; skipped"
                            ));
                            continue;
                        }
                        if names.iter().any(|p| p.name() == line) {
                            self.warnings.push(format!(
                                "suite {name}: discovery named `{line}` twice; it runs once"
                            ));
                            continue;
                        }
                        names.push(Planned::Auto {
                            name: line.to_string(),
                            command: entry.test_cmd.replace("{}", line),
                        });
                    }
                }
                names
            }
            Cases::Discovered(_) => Vec::new(),
        };
        let cases = self.select(&suite.entry, cases);
        for (index, planned) in cases.iter().enumerate().skip(resume.unwrap_or(0)) {
            let case = CaseRef {
                suite: name,
                case: planned.name(),
                repetition,
            };
            match &failed {
                Some(why) => self
                    .observer
                    .case_not_run(&case, &format!("suite {name}: {why}"))?,
                None => self.run_case(suite, planned, &case)?,
            }
            if self.halted {
                return Ok(None);
            }
            if std::mem::take(&mut self.reboot_asked) {
                // The suite's cleanup runs when the run goes on after the reboot.
                return Ok(Some(index + 1));
            }
        }
        if let Some(command) = &control.cleanup {
            self.step(CmdType::SuiteCleanup, &at_suite, command, limit, None)?;
        }
        self.observer.suite_ended(name)?;
        Ok(None)
    }

    /// `include_tests` then `exclude_tests`, in list order (spec §2.4).
    fn select<'s>(&mut self, entry: &SuiteEntry, cases: Vec<Planned<'s>>) -> Vec<Planned<'s>> {
        for wanted in entry.include.iter().chain(&entry.exclude) {
            if !cases.iter().any(|c| c.name() == wanted) {
                self.warnings.push(format!(
                    "suite {}: include_tests/exclude_tests names `{wanted}`, which is not one of its cases",
                    entry.name
                ));
            }
        }
        cases
            .into_iter()
            .filter(|c| entry.include.is_empty() || entry.include.iter().any(|n| n == c.name()))
            .filter(|c| !entry.exclude.iter().any(|n| n == c.name()))
            .collect()
    }

    fn run_case(
        &mut self,
        suite: &FetchedSuite,
        planned: &Planned<'_>,
        case: &CaseRef<'_>,
    ) -> Result<()> {
        let dir = suite.dir.join(planned.name());
        if let Err(e) = std::fs::create_dir_all(&dir) {
            crate::warn!(
                "cannot make {}: {}",
                dir.display(),
                crate::sys::io_reason(&e)
            );
        }
        self.observer.case_started(case, &dir)?;
        let (verdict, comment) = match planned {
            Planned::Auto { command, .. } => {
                let limit = self
                    .runlist_timeout
                    .or(suite.defs.control.timeout)
                    .unwrap_or(0);
                let at = Place {
                    suite: case.suite,
                    case: Some(case),
                    dir: &dir,
                };
                match self.step(CmdType::CaseTest, &at, command, limit, None)? {
                    Some(outcome) if outcome.interrupted => {
                        (Verdict::Killed, test_comment(&outcome))
                    }
                    Some(outcome) if outcome.ok() => (Verdict::Pass, String::new()),
                    Some(outcome) => (Verdict::Fail, test_comment(&outcome)),
                    None => (Verdict::Killed, "utah was interrupted".to_string()),
                }
            }
            Planned::Listed(def) => self.run_listed(def, case, &dir)?,
        };
        self.observer.case_ended(case, verdict, &comment)
    }

    fn run_listed(
        &mut self,
        def: &Case,
        case: &CaseRef<'_>,
        dir: &Path,
    ) -> Result<(Verdict, String)> {
        let at = Place {
            suite: case.suite,
            case: Some(case),
            dir,
        };
        let mut verdict = Verdict::Pass;
        let mut comment = String::new();
        for (cmd_type, key, command) in [
            (CmdType::CaseBuild, "build_cmd", &def.build_cmd),
            (CmdType::CaseSetup, "tc_setup", &def.setup),
        ] {
            if verdict != Verdict::Pass {
                break;
            }
            if let Some(command) = command {
                let Some(outcome) = self.step(cmd_type, &at, command, def.timeout, None)? else {
                    return Ok((Verdict::Killed, "utah was interrupted".to_string()));
                };
                if !outcome.ok() {
                    verdict = Verdict::Error;
                    comment = format!("UTAH ERROR: {key} failed (exit {})", outcome.returncode);
                }
            }
        }
        if verdict == Verdict::Pass {
            let user = def.run_as.as_deref();
            let Some(outcome) =
                self.step(CmdType::CaseTest, &at, &def.command, def.timeout, user)?
            else {
                return Ok((Verdict::Killed, "utah was interrupted".to_string()));
            };
            if !outcome.ok() {
                verdict = Verdict::Fail;
            }
            comment = test_comment(&outcome);
        }
        if let Some(command) = &def.cleanup {
            let Some(outcome) = self.step(CmdType::CaseCleanup, &at, command, def.timeout, None)?
            else {
                return Ok((Verdict::Killed, "utah was interrupted".to_string()));
            };
            if !outcome.ok() && verdict == Verdict::Pass {
                verdict = Verdict::Error;
                comment = format!(
                    "UTAH ERROR: tc_cleanup failed (exit {})",
                    outcome.returncode
                );
            }
        }
        if self.halted {
            return Ok((Verdict::Killed, "utah was interrupted".to_string()));
        }
        let reboot = match def.reboot {
            Reboot::Always => true,
            Reboot::Pass => verdict == Verdict::Pass,
            Reboot::Never => false,
        };
        if reboot {
            if !comment.is_empty() {
                comment.push_str("; ");
            }
            if self.reboots {
                self.reboot_asked = true;
                comment.push_str("rebooted after this test");
            } else {
                self.warnings.push(format!(
                    "reboot requested by {}/{}: not performed (no reboot command is configured); the run goes on",
                    case.suite, case.case
                ));
                comment.push_str("reboot requested, not performed");
            }
        }
        Ok((verdict, comment))
    }

    /// Runs a command and records it; none when utah was interrupted before it (then, and
    /// when the command itself was stopped by the interrupt, the engine halts).
    fn step(
        &mut self,
        cmd_type: CmdType,
        at: &Place<'_>,
        command: &str,
        limit: u64,
        run_as: Option<&str>,
    ) -> Result<Option<Outcome>> {
        if self.halted || crate::sys::interrupts() > self.interrupts_before {
            self.halted = true;
            return Ok(None);
        }
        let outcome = run(command, at.dir, limit, run_as);
        self.record(cmd_type, at, command, &outcome, run_as)?;
        self.halted |= outcome.interrupted;
        Ok(Some(outcome))
    }

    /// Makes the entry of a command and tells the observer.
    fn record(
        &mut self,
        cmd_type: CmdType,
        at: &Place<'_>,
        command: &str,
        outcome: &Outcome,
        run_as: Option<&str>,
    ) -> Result<()> {
        let entry = Entry {
            cmd_type,
            command: command.to_string(),
            returncode: i64::from(outcome.returncode),
            start_time: timestamp(outcome.started),
            time_delta: time_delta(outcome.duration),
            stdout: outcome.stdout.clone(),
            stderr: outcome.stderr.clone(),
            testsuite: at.suite.to_string(),
            testcase: at.case.map(|c| c.case.to_string()),
            user: run_as.unwrap_or(&self.user).to_string(),
        };
        self.observer.command_done(at.case, &entry, at.dir)?;
        if self.debug {
            crate::output::log::emit(format_args!(
                "utah: {} {}/{} exit {} in {}: {}",
                entry.cmd_type.as_str(),
                entry.testsuite,
                entry.testcase.as_deref().unwrap_or("-"),
                entry.returncode,
                entry.time_delta,
                entry.command
            ));
        }
        self.entries.push(entry);
        Ok(())
    }
}

/// Where a command runs, and for which suite and case.
struct Place<'p> {
    suite: &'p str,
    case: Option<&'p CaseRef<'p>>,
    dir: &'p Path,
}

/// A case to run: from `tslist.run`, or discovered.
enum Planned<'s> {
    Listed(&'s Case),
    Auto { name: String, command: String },
}

impl Planned<'_> {
    fn name(&self) -> &str {
        match self {
            Planned::Listed(c) => &c.name,
            Planned::Auto { name, .. } => name,
        }
    }
}

fn test_comment(outcome: &Outcome) -> String {
    if outcome.timed_out {
        "timed out".to_string()
    } else if outcome.ok() {
        String::new()
    } else {
        format!("exit {}", outcome.returncode)
    }
}

/// `YYYY-MM-DD HH:MM:SS`, local time.
pub fn timestamp(at: std::time::SystemTime) -> String {
    let local: chrono::DateTime<chrono::Local> = at.into();
    local.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Python's `timedelta` text: `H:MM:SS.ffffff`.
pub fn time_delta(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    format!(
        "{}:{:02}:{:02}.{:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        d.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_delta_reads_as_pythons() {
        assert_eq!(
            time_delta(std::time::Duration::from_micros(3_723_004_132)),
            "1:02:03.004132"
        );
    }
}
