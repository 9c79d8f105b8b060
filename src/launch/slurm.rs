//! Slurm as a launcher (`[jobtools] launcher slurm`): the `sbatch` options of a test, from
//! megatest.config's `[slurm]` and the testconfig's `[requirements]`; submitting a test's
//! executor; reading the states of submitted jobs (`squeue`) and cancelling them (`scancel`).

use crate::config::Config;
use crate::environ::env_file::sh_quote;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};

/// The launcher word that selects Slurm, and the name its jobs are recorded under.
pub const SLURM: &str = "slurm";

/// The keys of `[slurm]` (megatest.config) and `[requirements]` (testconfig) that become
/// `sbatch` options, and those options.
const OPTION_KEYS: &[(&str, &str)] = &[
    ("partition", "--partition"),
    ("account", "--account"),
    ("qos", "--qos"),
    ("cpus", "--cpus-per-task"),
    ("memory", "--mem"),
    ("time", "--time"),
];

/// The `sbatch` options of `section` in `config`: the keys above, then the words of
/// `extra_key` as they are.
fn section_options(config: &Config, section: &str, extra_key: &str) -> Vec<String> {
    let mut options = Vec::new();
    for (key, option) in OPTION_KEYS {
        if let Some(value) = config
            .get(section, key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            options.push(format!("{option}={value}"));
        }
    }
    if let Some(extra) = config.get(section, extra_key) {
        options.extend(extra.split_whitespace().map(str::to_string));
    }
    options
}

/// The area's `sbatch` options: `[slurm]`, then the words after `slurm` on the launcher
/// line.
pub fn area_options(config: &Config, launcher_words: &[&str]) -> Vec<String> {
    let mut options = section_options(config, SLURM, "options");
    options.extend(launcher_words.iter().map(|w| w.to_string()));
    options
}

/// A test's own `sbatch` options, which come after the area's (the last of an option
/// wins): `[requirements]` keys, `sbatch-options`, and without a `time` of its own or the
/// area's, the run-time limit plus a minute, so that the executor's own limit ends the test.
pub fn test_options(
    testconfig: &Config,
    area_options: &[String],
    runtimelim: Option<u64>,
) -> Vec<String> {
    let mut options = section_options(testconfig, "requirements", "sbatch-options");
    let has_time = |o: &String| o.starts_with("--time") || o.starts_with("-t");
    if let Some(seconds) = runtimelim
        && !area_options.iter().any(has_time)
        && !options.iter().any(has_time)
    {
        let minutes = (seconds + 60).div_ceil(60);
        options.push(format!("--time={minutes}"));
    }
    options
}

/// The `sbatch` arguments that submit `executor` (its words) for the run directory `work`.
pub fn sbatch_args(options: &[String], work: &Path, executor: &[String]) -> Vec<String> {
    let command = executor
        .iter()
        .map(|w| sh_quote(w))
        .collect::<Vec<_>>()
        .join(" ");
    let mut args = vec![
        "--parsable".to_string(),
        format!("--chdir={}", work.display()),
        format!("--output={}", work.join("slurm-%j.out").display()),
        // A requeued job would run a test its runner already ended; an option of the area
        // or the test may still ask for it.
        "--no-requeue".to_string(),
    ];
    args.extend(options.iter().cloned());
    // `exec`: the executor is the job's process and gets Slurm's signals itself.
    args.push(format!("--wrap=exec {command}"));
    args
}

/// Submits with `sbatch args...` (the environment is exported to the job) and returns the
/// job id; a refused job is an error carrying sbatch's own message.
pub fn submit(command: Command) -> Result<String> {
    let mut command = command;
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::new(format!("cannot start sbatch: {e}")).note(NO_SLURM))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let said = one_line(&stderr);
        return Err(Error::new(format!(
            "sbatch refused the job: {}",
            if said.is_empty() {
                format!("it exited with {}", output.status)
            } else {
                said
            }
        )));
    }
    parse_job_id(&stdout).ok_or_else(|| {
        Error::new(format!(
            "sbatch gave no job id (it printed `{}`)",
            one_line(&stdout)
        ))
    })
}

const NO_SLURM: &str = "[jobtools] launcher slurm needs Slurm's sbatch, squeue and scancel on PATH";

/// `sbatch --parsable` prints `ID` or `ID;CLUSTER`.
pub fn parse_job_id(stdout: &str) -> Option<String> {
    let first = stdout.lines().find(|l| !l.trim().is_empty())?.trim();
    let id = first.split(';').next().unwrap_or("").trim();
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit() || c == '_')).then(|| id.to_string())
}

/// Several lines of a command's output as one, for a record's comment.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// What Slurm says of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobState {
    /// `PENDING`, `RUNNING`, `COMPLETED`, `CANCELLED`, `TIMEOUT`, ...
    pub state: String,
    /// Slurm's reason (`None` when it gives none).
    pub reason: String,
}

impl JobState {
    /// The state's word without a suffix (`CANCELLED by 0` is `CANCELLED`).
    fn base(&self) -> &str {
        self.state.split_whitespace().next().unwrap_or("")
    }

    /// Whether it waits to start.
    pub fn pending(&self) -> bool {
        self.base() == "PENDING"
    }

    /// Whether somebody cancelled it (`scancel`).
    pub fn cancelled(&self) -> bool {
        self.base() == "CANCELLED"
    }

    /// Whether its script ended by itself (well or not), rather than Slurm ending it.
    pub fn ended_by_itself(&self) -> bool {
        matches!(self.base(), "COMPLETED" | "FAILED")
    }

    /// Whether the job has ended: nothing of it runs or will run.
    pub fn ended(&self) -> bool {
        // Slurm's base states that end a job; a state with a suffix (`CANCELLED by 0`) counts.
        const ENDED: &[&str] = &[
            "BOOT_FAIL",
            "CANCELLED",
            "COMPLETED",
            "DEADLINE",
            "FAILED",
            "NODE_FAIL",
            "OUT_OF_MEMORY",
            "PREEMPTED",
            "REVOKED",
            "SPECIAL_EXIT",
            "TIMEOUT",
        ];
        ENDED.contains(&self.base())
    }
}

/// The states of these jobs as `squeue` knows them (finished jobs stay known for Slurm's
/// `MinJobAge`); a job it does not list is not in the map.
pub fn query(ids: &[String]) -> Result<HashMap<String, JobState>> {
    let mut states = HashMap::new();
    if ids.is_empty() {
        return Ok(states);
    }
    // squeue refuses a list longer than it likes less readily than a command line: chunks.
    for chunk in ids.chunks(500) {
        let output = Command::new("squeue")
            .args(["-h", "-t", "all", "-o", "%i|%T|%r", "-j", &chunk.join(",")])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::new(format!("cannot start squeue: {e}")).note(NO_SLURM))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            // Every job of the list unknown (purged, or another cluster's): none listed.
            if stderr.contains("Invalid job id") {
                continue;
            }
            return Err(Error::new(format!("squeue failed: {}", one_line(&stderr))));
        }
        states.extend(parse_squeue(&String::from_utf8_lossy(&output.stdout)));
    }
    Ok(states)
}

/// Lines of `squeue -o '%i|%T|%r'`.
pub fn parse_squeue(text: &str) -> HashMap<String, JobState> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.trim().splitn(3, '|');
            let id = fields.next()?.trim();
            let state = fields.next()?.trim();
            let reason = fields.next().unwrap_or("").trim();
            (!id.is_empty() && !state.is_empty()).then(|| {
                (
                    id.to_string(),
                    JobState {
                        state: state.to_string(),
                        reason: reason.to_string(),
                    },
                )
            })
        })
        .collect()
}

/// Cancels these jobs (`scancel`); a job that already ended is no error.
pub fn cancel(ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let output = Command::new("scancel")
        .args(ids)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::new(format!("cannot start scancel: {e}")).note(NO_SLURM))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let real_errors: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !l.contains("already completing or completed") && !l.contains("Invalid job id"))
        .collect();
    if output.status.success() || real_errors.is_empty() {
        Ok(())
    } else {
        Err(Error::new(format!(
            "scancel failed: {}",
            real_errors.join("; ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ReadOptions, read_str};

    fn config(text: &str) -> Config {
        read_str(
            Path::new("x.config"),
            text,
            &ReadOptions::new(Path::new("/tmp")),
        )
        .unwrap()
    }

    #[test]
    fn options_come_from_the_area_then_the_test() {
        let area = config("[slurm]\npartition debug\nmemory 1G\noptions --qos=low --exclusive\n");
        let area_opts = area_options(&area, &["--nice=5"]);
        assert_eq!(
            area_opts,
            [
                "--partition=debug",
                "--mem=1G",
                "--qos=low",
                "--exclusive",
                "--nice=5"
            ]
        );
        let test = config("[requirements]\npartition big\ncpus 4\nsbatch-options --gres=gpu:1\n");
        assert_eq!(
            test_options(&test, &area_opts, Some(90)),
            [
                "--partition=big",
                "--cpus-per-task=4",
                "--gres=gpu:1",
                "--time=3"
            ]
        );
        let timed = config("[requirements]\ntime 10:00\n");
        assert_eq!(test_options(&timed, &area_opts, Some(90)), ["--time=10:00"]);
        assert!(test_options(&config("[x]\n"), &area_opts, None).is_empty());
    }

    #[test]
    fn sbatch_runs_the_executor_in_the_run_directory() {
        let args = sbatch_args(
            &["--partition=debug".to_string()],
            Path::new("/runs/a b"),
            &[
                "/bin/megatest".into(),
                "-execute".into(),
                "/runs/a b/job".into(),
            ],
        );
        assert_eq!(
            args,
            [
                "--parsable",
                "--chdir=/runs/a b",
                "--output=/runs/a b/slurm-%j.out",
                "--no-requeue",
                "--partition=debug",
                "--wrap=exec /bin/megatest -execute '/runs/a b/job'",
            ]
        );
    }

    #[test]
    fn job_ids_and_states_are_read() {
        assert_eq!(parse_job_id("42\n"), Some("42".into()));
        assert_eq!(parse_job_id("42;cluster\n"), Some("42".into()));
        assert_eq!(parse_job_id("Submitted batch job 42\n"), None);
        let states = parse_squeue("7|RUNNING|None\n8|CANCELLED|None\n9|TIMEOUT|TimeLimit\n");
        assert!(!states["7"].ended());
        assert!(states["8"].ended());
        assert_eq!(states["9"].reason, "TimeLimit");
        assert!(
            JobState {
                state: "CANCELLED by 0".into(),
                reason: String::new()
            }
            .ended()
        );
    }
}
