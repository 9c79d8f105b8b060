//! The area settings the runner obeys (spec §2.3–§2.5): job limits, job groups, dead time,
//! launch pacing, disks, the link tree, the executable, re-run policy.

use crate::area::Area;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// `[setup]`, `[jobtools]` and `[jobgroups]`, read once per run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `max_concurrent_jobs`, counted over the whole area (default 50, as Megatest 1.65's
    /// runs.scm).
    pub max_jobs: i64,
    /// `[jobgroups] GROUP N`.
    pub jobgroups: HashMap<String, i64>,
    /// `deadtime` in seconds.
    pub deadtime: i64,
    /// `launch-delay`.
    pub launch_delay: Duration,
    /// `[jobtools] maxload` (per CPU).
    pub maxload: Option<f64>,
    /// `[jobtools] waitdelay`.
    pub waitdelay: Duration,
    /// Whether the automatic extra pass runs (`reruns` is not 0).
    pub extra_pass: bool,
    /// `run-wait yes`.
    pub run_wait: bool,
    /// `[setup] runtimelim`.
    pub runtimelim: Option<String>,
    /// `testcopycmd`.
    pub testcopycmd: Option<String>,
    /// `minspace` (KiB).
    pub minspace: u64,
    /// `free-space-script`.
    pub free_space_script: Option<String>,
    /// The megatest the tests call back (`executable`, else this program).
    pub executable: PathBuf,
    /// The link tree root.
    pub linktree: PathBuf,
    /// The disk used when `[disks]` is empty.
    pub default_disk: PathBuf,
    /// `[jobtools] useshell`.
    pub use_shell: bool,
    /// `allow-auto-rerun` entries (state, optional status).
    pub auto_rerun: Vec<(String, Option<String>)>,
    /// `[validvalues] cleanrerun-states`.
    pub cleanrerun_states: Vec<String>,
    /// `[validvalues] cleanrerun-statuses`.
    pub cleanrerun_statuses: Vec<String>,
    /// The area name (`MT_TESTSUITENAME`).
    pub area_name: String,
    /// Local launches fork executors from a helper (`[setup] fork-launch`, default yes, and
    /// only when the tests' megatest is this very program).
    pub fork_launch: bool,
    /// Executors hand their database writes to the runner (`[setup] record-via-runner`,
    /// default yes).
    pub record_via_runner: bool,
    /// `[server]`: how executors on other hosts reach the runner.
    pub server: super::ServerSettings,
}

/// Whether `exe` is the running program (a forked executor runs this program's code).
fn is_this_program(exe: &std::path::Path) -> bool {
    let real = |p: &std::path::Path| std::fs::canonicalize(p).ok();
    let me = std::env::current_exe().ok().and_then(|p| real(&p));
    me.is_some() && me == real(exe)
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Settings {
    /// Reads the settings of `area`.
    pub fn read(area: &Area) -> Settings {
        let c = &area.config;
        let setup = |k: &str| c.get("setup", k).map(str::trim).filter(|v| !v.is_empty());
        let number = |k: &str| setup(k).and_then(|v| v.parse::<f64>().ok());
        let jobgroups = c
            .section("jobgroups")
            .map(|s| {
                s.entries
                    .iter()
                    .filter_map(|e| e.value.trim().parse().ok().map(|n| (e.key.clone(), n)))
                    .collect()
            })
            .unwrap_or_default();
        let linktree = crate::environ::var("MT_LINKTREE")
            .filter(|l| !l.is_empty())
            .map(PathBuf::from)
            .or_else(|| setup("linktree").map(PathBuf::from))
            .map(|l| if l.is_relative() { area.top.join(l) } else { l })
            .unwrap_or_else(|| area.top.join("lt"));
        let executable = setup("executable")
            .map(PathBuf::from)
            .or_else(|| std::env::current_exe().ok())
            .unwrap_or_else(|| PathBuf::from("megatest"));
        let fork_launch =
            setup("fork-launch").map(str::trim) != Some("no") && is_this_program(&executable);
        let auto_rerun = setup("allow-auto-rerun")
            .map(|v| {
                v.split_whitespace()
                    .map(|w| match w.split_once('/') {
                        Some((state, status)) => (state.to_string(), Some(status.to_string())),
                        None => (w.to_string(), None),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Settings {
            max_jobs: number("max_concurrent_jobs")
                .map_or(50, |n| n as i64)
                .max(1),
            jobgroups,
            deadtime: number("deadtime").map_or(7200, |n| n as i64),
            launch_delay: Duration::from_secs_f64(number("launch-delay").unwrap_or(0.0).max(0.0)),
            maxload: c
                .get("jobtools", "maxload")
                .and_then(|v| v.trim().parse().ok()),
            waitdelay: Duration::from_secs(
                c.get("jobtools", "waitdelay")
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(60),
            ),
            extra_pass: setup("reruns") != Some("0"),
            run_wait: setup("run-wait") == Some("yes"),
            runtimelim: setup("runtimelim").map(str::to_string),
            testcopycmd: setup("testcopycmd").map(str::to_string),
            minspace: number("minspace").map_or(10000, |n| n as u64),
            free_space_script: setup("free-space-script").map(str::to_string),
            executable,
            linktree,
            default_disk: area.top.join("runs"),
            use_shell: c.get("jobtools", "useshell").map(str::trim) != Some("no"),
            auto_rerun,
            cleanrerun_states: list(
                c.get("validvalues", "cleanrerun-states")
                    .unwrap_or("KILLREQ,KILLED,UNKNOWN,INCOMPLETE,STUCK,NOT_STARTED"),
            ),
            cleanrerun_statuses: list(
                c.get("validvalues", "cleanrerun-statuses")
                    .unwrap_or("FAIL,INCOMPLETE,ABORT,CHECK"),
            ),
            fork_launch,
            record_via_runner: setup("record-via-runner").map(str::trim) != Some("no"),
            server: super::ServerSettings::read(area),
            area_name: area_name(area),
        }
    }

    /// The run-time limit text of a test's `[requirements] runtimelim`, else the area's.
    pub fn default_runtimelim(&self) -> Option<&str> {
        self.runtimelim.as_deref()
    }
}

/// The area's name (`MT_TESTSUITENAME`): `[setup] area-name`, else `testsuite`, else
/// `$MT_TESTSUITE_NAME`, else the name of the area's directory.
pub fn area_name(area: &Area) -> String {
    let setup = |k: &str| {
        area.config
            .get("setup", k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    setup("area-name")
        .or_else(|| setup("testsuite"))
        .map(str::to_string)
        .or_else(|| crate::environ::var("MT_TESTSUITE_NAME"))
        .unwrap_or_else(|| {
            area.top
                .file_name()
                .map_or_else(|| "megatest".into(), |n| n.to_string_lossy().into_owned())
        })
}
