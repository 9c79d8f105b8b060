//! How the executor is started (spec §2.4, §9.1): directly in its own session, or through
//! `[jobtools] launcher`, or through the flexi-launcher's `[launchers]` and `[host-types]`.

use super::fork_helper::Request;
use super::fork_launcher::ForkLauncher;
use super::slurm::{self, SLURM};
use super::ssh_pool::{self, LOWEST_LOAD, SSH};
use crate::config::Config;
use crate::environ;
use crate::environ::env_file::sh_quote;
use crate::error::Location;
use crate::error::{Error, Result};
use crate::select::TestPatterns;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The launcher for one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launcher {
    /// Spawn the executor here, in its own session.
    Local,
    /// Prefix the executor command with these words (`bsub -q x`, `nbfake`, ...).
    Command(String),
    /// Submit the executor to Slurm with these `sbatch` options (see slurm.rs).
    Slurm(Vec<String>),
    /// Start the executor over ssh on the least loaded host of this pool (see ssh_pool.rs);
    /// the runner chooses the host, making it [`Launcher::SshHost`].
    Ssh(Vec<String>),
    /// Start the executor over ssh on this host, with this ssh command.
    SshHost {
        /// The host.
        host: String,
        /// The ssh command and its options.
        ssh: Vec<String>,
    },
}

impl Launcher {
    /// Whether the runner itself starts (and so sees the end of) the executor.
    pub fn is_local(&self) -> bool {
        matches!(self, Launcher::Local)
    }
}

/// The launcher a `[jobtools] launcher` or `[host-types]` value names; `at` is where it is
/// written, for errors.
fn from_words(config: &Config, text: Option<&str>, at: Option<Location>) -> Result<Launcher> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Launcher::Local);
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    match words[0] {
        SLURM => Ok(Launcher::Slurm(slurm::area_options(config, &words[1..]))),
        // A lone `ssh` is the pool; `ssh HOST` stays a command prefix, as in Megatest 1.65.
        SSH if words.len() == 1 => {
            let hosts = ssh_pool::configured_hosts(config);
            if hosts.is_empty() {
                let mut error = Error::new("the ssh launcher has no hosts")
                    .note("list them in megatest.config: [ssh] hosts HOST1 HOST2 ...");
                if let Some(at) = at {
                    error = error.at(at);
                }
                return Err(error);
            }
            Ok(Launcher::Ssh(hosts))
        }
        LOWEST_LOAD => {
            let hosts: Vec<String> = words[1..].iter().map(|w| w.to_string()).collect();
            if hosts.is_empty() {
                let mut error = Error::new(format!("{LOWEST_LOAD} names no host"));
                if let Some(at) = at {
                    error = error.at(at);
                }
                return Err(error.note("write the hosts after it: #MTLOWESTLOAD HOST1 HOST2 ..."));
            }
            Ok(Launcher::Ssh(hosts))
        }
        _ => Ok(Launcher::Command(text.to_string())),
    }
}

/// The launcher for `test`/`item` under the area's `[jobtools]`, `[launchers]` and
/// `[host-types]`.
pub fn choose_launcher(config: &Config, test: &str, item: &str) -> Result<Launcher> {
    let default = from_words(
        config,
        config.get("jobtools", "launcher"),
        config.entry("jobtools", "launcher").map(|e| e.location()),
    )?;
    let flexi = config
        .get("jobtools", "flexi-launcher")
        .is_some_and(|v| v.trim() != "no");
    if !flexi {
        return Ok(default);
    }
    let Some(launchers) = config.section("launchers") else {
        return Ok(default);
    };
    for entry in &launchers.entries {
        let Ok(pattern) = TestPatterns::parse(&entry.key) else {
            continue;
        };
        if !pattern.matches(test, item) {
            continue;
        }
        let host_type = entry.value.trim();
        let Some(host) = config.entry("host-types", host_type) else {
            crate::warn!(
                "[launchers] {} names the host type `{host_type}`, which [host-types] does not define",
                entry.key
            );
            continue;
        };
        return from_words(config, Some(&host.value), Some(host.location()));
    }
    Ok(default)
}

/// The process a launch started.
pub enum Process {
    /// Spawned here: the executor (local launch) or the launcher command.
    Spawned(Child),
    /// Forked by the fork helper; its start and end come as the helper's answers.
    Forked,
    /// Submitted to Slurm as this job.
    Submitted(String),
}

/// A started launch.
pub struct Started {
    /// What was started.
    pub process: Process,
}

/// Starts `exe args...` for a test whose run directory is `work`, appending the command line
/// and any output to `work/mt_launch.log`. A local launch goes through `fork` (the helper and
/// the token its answers carry) when one is given.
#[allow(clippy::too_many_arguments)]
pub fn start(
    launcher: &Launcher,
    use_shell: bool,
    exe: &Path,
    args: &[String],
    work: &Path,
    extra_env: &[(String, String)],
    fork: Option<(&mut ForkLauncher, u64)>,
) -> Result<Started> {
    let log_path = work.join("mt_launch.log");
    let open_log = || {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| Error::new(format!("cannot write `{}`: {e}", log_path.display())))
    };
    let executor_words: Vec<String> = std::iter::once(exe.display().to_string())
        .chain(args.iter().cloned())
        .collect();
    let quoted = executor_words
        .iter()
        .map(|w| sh_quote(w))
        .collect::<Vec<_>>()
        .join(" ");
    if let Launcher::Slurm(options) = launcher {
        return submit_to_slurm(options, &executor_words, work, extra_env, open_log()?);
    }
    // What ssh runs on the chosen host.
    let remote = matches!(launcher, Launcher::SshHost { .. })
        .then(|| ssh_pool::remote_command(work, &executor_words, extra_env))
        .unwrap_or_default();
    let mut cmd = match launcher {
        Launcher::Slurm(_) => unreachable!("submitted above"),
        Launcher::Ssh(hosts) => {
            return Err(Error::new(format!(
                "no host was chosen from the ssh pool {}",
                hosts.join(" ")
            )));
        }
        Launcher::SshHost { host, ssh } => {
            let mut c = Command::new(&ssh[0]);
            c.args(&ssh[1..]).arg(host).arg(&remote);
            c
        }
        Launcher::Local => {
            let mut c = Command::new(exe);
            c.args(args);
            c
        }
        Launcher::Command(prefix) if use_shell => {
            let mut c = Command::new("/bin/sh");
            c.arg("-c").arg(format!("{prefix} {quoted}"));
            c
        }
        Launcher::Command(prefix) => {
            let mut words = prefix.split_whitespace();
            let first = words.next().unwrap_or("");
            let mut c = Command::new(first);
            c.args(words).args(&executor_words);
            c
        }
    };
    let shown = match launcher {
        Launcher::Local | Launcher::Slurm(_) | Launcher::Ssh(_) => quoted.clone(),
        Launcher::Command(prefix) => format!("{prefix} {quoted}"),
        Launcher::SshHost { host, ssh } => {
            format!("{} {} {}", ssh.join(" "), host, sh_quote(&remote))
        }
    };
    let mut log = open_log()?;
    let _ = writeln!(log, "LAUNCHCMD: {shown}");
    if let (Launcher::Local, Some((forker, token))) = (launcher, fork) {
        let mut env = environ::overlay();
        env.extend(extra_env.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
        let request = Request {
            token,
            dir: work.to_path_buf(),
            log: log_path.clone(),
            words: args.to_vec(),
            env,
        };
        match forker.launch(&request) {
            Ok(()) => {
                return Ok(Started {
                    process: Process::Forked,
                });
            }
            // A helper that died: this executor and the next start as new processes.
            Err(e) => crate::warn!(
                "the fork helper did not take `{shown}` ({e}); starting it as a new process"
            ),
        }
    }
    let err_log = log
        .try_clone()
        .map_err(|e| Error::new(format!("cannot write `{}`: {e}", log_path.display())))?;
    cmd.current_dir(work)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(err_log));
    environ::apply(&mut cmd);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    // The executor moves itself into its own session (see `sys::leave_session`).
    let child = cmd.spawn().map_err(|e| {
        Error::new(format!("cannot start `{shown}`: {e}"))
            .note("check [jobtools] launcher and that the megatest executable is reachable")
    })?;
    Ok(Started {
        process: Process::Spawned(child),
    })
}

/// Submits the executor with `sbatch` (its options hold the job name), in the
/// environment a local launch would have, and notes the command and the job in
/// `mt_launch.log`.
fn submit_to_slurm(
    options: &[String],
    executor_words: &[String],
    work: &Path,
    extra_env: &[(String, String)],
    mut log: std::fs::File,
) -> Result<Started> {
    let args = slurm::sbatch_args(options, work, executor_words);
    let shown = std::iter::once("sbatch".to_string())
        .chain(args.iter().map(|a| sh_quote(a)))
        .collect::<Vec<_>>()
        .join(" ");
    let _ = writeln!(log, "LAUNCHCMD: {shown}");
    let mut cmd = Command::new("sbatch");
    cmd.args(&args).current_dir(work);
    environ::apply(&mut cmd);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    match slurm::submit(cmd) {
        Ok(job) => {
            let _ = writeln!(log, "Slurm job {job}: output in slurm-{job}.out");
            Ok(Started {
                process: Process::Submitted(job),
            })
        }
        Err(e) => {
            let _ = writeln!(log, "{}", e.message);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ReadOptions, read_str};

    fn config(text: &str) -> Config {
        read_str(
            Path::new("megatest.config"),
            text,
            &ReadOptions::new(Path::new("/tmp")),
        )
        .unwrap()
    }

    #[test]
    fn flexi_launcher() {
        let c = config(
            "[jobtools]\nlauncher nbfake\nflexi-launcher yes\n[host-types]\nbig bsub -q big\n[launchers]\nx% nosuch\nxbig% big\n",
        );
        assert_eq!(
            choose_launcher(&c, "xbig1", "").unwrap(),
            Launcher::Command("bsub -q big".into())
        );
        assert_eq!(
            choose_launcher(&c, "other", "").unwrap(),
            Launcher::Command("nbfake".into())
        );
        let plain = config("[setup]\nx 1\n");
        assert_eq!(choose_launcher(&plain, "t", "").unwrap(), Launcher::Local);
        let lowest = config(
            "[jobtools]\nflexi-launcher yes\n[host-types]\nany #MTLOWESTLOAD h1 h2\n[launchers]\n% any\n",
        );
        assert_eq!(
            choose_launcher(&lowest, "t", "").unwrap(),
            Launcher::Ssh(vec!["h1".into(), "h2".into()])
        );
        let pool = config("[jobtools]\nlauncher ssh\n[ssh]\nhosts a b\n");
        assert_eq!(
            choose_launcher(&pool, "t", "").unwrap(),
            Launcher::Ssh(vec!["a".into(), "b".into()])
        );
        let prefix = config("[jobtools]\nlauncher ssh farm1\n");
        assert_eq!(
            choose_launcher(&prefix, "t", "").unwrap(),
            Launcher::Command("ssh farm1".into())
        );
        let empty = config("[jobtools]\nlauncher ssh\n");
        assert!(choose_launcher(&empty, "t", "").is_err());
    }
}
