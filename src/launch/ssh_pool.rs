//! ssh as a launcher (`[jobtools] launcher ssh`, or a `[host-types]` entry
//! `#MTLOWESTLOAD h1 h2 ...`): a pool of hosts, the least loaded one chosen for each launch
//! (load read over ssh and kept for a while, each launch since counted as one more job
//! there), hosts over `[jobtools] maxload` or not answering skipped, and the executor
//! started there in a session of its own, so it outlives the ssh connection.

use crate::config::Config;
use crate::environ::env_file::sh_quote;
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The launcher word that selects the pool, and the name its launches are recorded under.
pub const SSH: &str = "ssh";
/// The `[host-types]` word that makes a pool of the hosts after it (Megatest 1.65's).
pub const LOWEST_LOAD: &str = "#MTLOWESTLOAD";

/// How ssh is run, from megatest.config's `[ssh]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SshSettings {
    /// The ssh command and its options (`[ssh] command`).
    pub command: Vec<String>,
    /// How long a host's load is trusted (`[ssh] load-cache`, seconds).
    pub load_cache: Duration,
    /// How long a host that did not answer is left out (`[ssh] retry-after`, seconds).
    pub retry_after: Duration,
    /// The most a load probe may take.
    pub probe_timeout: Duration,
    /// `[jobtools] maxload`: a host whose load per CPU is above it gets no test.
    pub maxload: Option<f64>,
}

impl SshSettings {
    /// The settings of `config`.
    pub fn read(config: &Config) -> SshSettings {
        let seconds = |key: &str, default: u64| {
            Duration::from_secs(
                config
                    .get(SSH, key)
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(default),
            )
        };
        let command = config
            .get(SSH, "command")
            .map(|c| c.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| {
                ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]
                    .map(str::to_string)
                    .to_vec()
            });
        SshSettings {
            command,
            load_cache: seconds("load-cache", 10),
            retry_after: seconds("retry-after", 60),
            probe_timeout: seconds("probe-timeout", 10),
            maxload: config
                .get("jobtools", "maxload")
                .and_then(|v| v.trim().parse().ok()),
        }
    }

    /// The ssh command that runs `remote` (a shell command line) on `host`.
    pub fn command_for(&self, host: &str, remote: &str) -> Command {
        let mut command = Command::new(&self.command[0]);
        command.args(&self.command[1..]).arg(host).arg(remote);
        command
    }
}

/// The pool named by `[ssh] hosts`.
pub fn configured_hosts(config: &Config) -> Vec<String> {
    config
        .get(SSH, "hosts")
        .map(|h| h.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The command line that starts the executor on the remote host: `sh -c` (whatever the
/// login shell is), in the run directory, in a new session, its output appended to
/// `mt_launch.log`, with the launch's extra variables. It returns at once; a run directory
/// or executable missing there makes ssh exit non-zero (97, 98), which ends the test.
pub fn remote_command(work: &Path, executor: &[String], extra_env: &[(String, String)]) -> String {
    let work = sh_quote(&work.display().to_string());
    let program = sh_quote(executor.first().map_or("", String::as_str));
    let mut words: Vec<String> = Vec::new();
    if !extra_env.is_empty() {
        words.push("env".to_string());
        words.extend(extra_env.iter().map(|(k, v)| sh_quote(&format!("{k}={v}"))));
    }
    words.extend(executor.iter().map(|w| sh_quote(w)));
    let script = format!(
        "cd {work} || exit 97; test -x {program} || {{ echo \"$(hostname): {program} is not executable\" >&2; exit 98; }}; setsid {} >>mt_launch.log 2>&1 </dev/null &",
        words.join(" ")
    );
    format!("sh -c {}", sh_quote(&script))
}

/// What a host's load probe found.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Load {
    /// The 1-minute load average.
    one_minute: f64,
    /// Its CPUs.
    cpus: u32,
}

/// `cat /proc/loadavg; getconf _NPROCESSORS_ONLN` output.
fn parse_load(text: &str) -> Option<Load> {
    let mut lines = text.lines();
    let one_minute = lines.next()?.split_whitespace().next()?.parse().ok()?;
    let cpus = lines.next()?.trim().parse().ok()?;
    Some(Load { one_minute, cpus })
}

/// What the pool knows of one host.
#[derive(Debug, Default)]
struct HostState {
    load: Option<Load>,
    probed: Option<Instant>,
    /// Launches there since the probe.
    since_probe: u32,
    /// Launches there in all.
    launches: u64,
    /// Left out until then (it did not answer).
    down_until: Option<Instant>,
}

/// The outcome of choosing a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Launch there.
    Host(String),
    /// Every answering host is over `maxload`: wait.
    Busy,
    /// No host of the pool answers.
    NoHost,
}

/// The hosts of the pools, as known to one runner.
#[derive(Debug, Default)]
pub struct HostPool {
    hosts: HashMap<String, HostState>,
}

impl HostPool {
    /// Chooses the host for the next launch among `pool`.
    pub fn choose(&mut self, pool: &[String], settings: &SshSettings) -> Choice {
        let now = Instant::now();
        let stale: Vec<String> = pool
            .iter()
            .filter(|h| {
                let state = self.hosts.entry(h.to_string()).or_default();
                state.down_until.is_none_or(|t| now >= t)
                    && state
                        .probed
                        .is_none_or(|t| now.duration_since(t) >= settings.load_cache)
            })
            .cloned()
            .collect();
        for (host, load) in probe_all(&stale, settings) {
            let state = self.hosts.entry(host.clone()).or_default();
            state.probed = Some(now);
            state.since_probe = 0;
            match load {
                Ok(load) => {
                    state.load = Some(load);
                    state.down_until = None;
                }
                Err(why) => {
                    state.load = None;
                    state.down_until = Some(now + settings.retry_after);
                    crate::warn!(
                        "ssh pool host {host} does not answer ({why}); it gets no test for {} s",
                        settings.retry_after.as_secs()
                    );
                }
            }
        }
        let mut best: Option<(f64, u64, &String)> = None;
        let mut any_up = false;
        for host in pool {
            let state = &self.hosts[host];
            let Some(load) = state.load.filter(|_| state.down_until.is_none()) else {
                continue;
            };
            any_up = true;
            let cpus = f64::from(load.cpus.max(1));
            let per_cpu = (load.one_minute + f64::from(state.since_probe)) / cpus;
            if settings.maxload.is_some_and(|max| per_cpu > max) {
                continue;
            }
            let better = best.is_none_or(|(l, n, _)| (per_cpu, state.launches) < (l, n));
            if better {
                best = Some((per_cpu, state.launches, host));
            }
        }
        match best {
            Some((_, _, host)) => {
                let host = host.clone();
                let state = self.hosts.get_mut(&host).expect("a pool host");
                state.since_probe += 1;
                state.launches += 1;
                Choice::Host(host)
            }
            None if any_up => Choice::Busy,
            None => Choice::NoHost,
        }
    }
}

/// Probes the hosts' loads at the same time.
fn probe_all(hosts: &[String], settings: &SshSettings) -> Vec<(String, Result<Load, String>)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = hosts
            .iter()
            .map(|host| (host, scope.spawn(|| probe(host, settings))))
            .collect();
        handles
            .into_iter()
            .map(|(host, h)| {
                let found = h.join().unwrap_or_else(|_| Err("the probe failed".into()));
                (host.clone(), found)
            })
            .collect()
    })
}

/// One host's load, read over ssh within the probe timeout.
fn probe(host: &str, settings: &SshSettings) -> Result<Load, String> {
    let mut child = settings
        .command_for(host, "cat /proc/loadavg; getconf _NPROCESSORS_ONLN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", settings.command[0]))?;
    let deadline = Instant::now() + settings.probe_timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "no answer within {} s",
                    settings.probe_timeout.as_secs()
                ));
            }
        }
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return Err(if said.is_empty() {
            format!("ssh exited with {}", output.status)
        } else {
            said
        });
    }
    parse_load(&String::from_utf8_lossy(&output.stdout))
        .ok_or_else(|| "its load could not be read".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_command_starts_the_executor_in_its_own_session() {
        let line = remote_command(
            Path::new("/runs/a b"),
            &[
                "/bin/megatest".into(),
                "-execute".into(),
                "/runs/a b/job".into(),
            ],
            &[("X".into(), "1 2".into())],
        );
        let expected = "cd '/runs/a b' || exit 97; test -x /bin/megatest || { echo \"$(hostname): /bin/megatest is not executable\" >&2; exit 98; }; setsid env 'X=1 2' /bin/megatest -execute '/runs/a b/job' >>mt_launch.log 2>&1 </dev/null &";
        assert_eq!(line, format!("sh -c {}", sh_quote(expected)));
    }

    #[test]
    fn loads_are_read() {
        assert_eq!(
            parse_load("0.50 0.40 0.30 1/100 42\n4\n"),
            Some(Load {
                one_minute: 0.5,
                cpus: 4
            })
        );
        assert_eq!(parse_load("garbage\n"), None);
    }

    fn settings(command: &[&str], maxload: Option<f64>) -> SshSettings {
        SshSettings {
            command: command.iter().map(|s| s.to_string()).collect(),
            load_cache: Duration::from_secs(60),
            retry_after: Duration::from_secs(60),
            probe_timeout: Duration::from_secs(5),
            maxload,
        }
    }

    /// A stand-in for ssh: `sh -c` ignores the host word (it becomes `$0`) and prints a
    /// load of 1.0 on 2 CPUs.
    const FAKE_SSH: &[&str] = &["sh", "-c", "printf '1.0 1.0 1.0 1/1 1\\n2\\n'"];

    #[test]
    fn launches_spread_over_equal_hosts_and_maxload_holds() {
        let pool = vec!["h1".to_string(), "h2".to_string()];
        let mut hosts = HostPool::default();
        let plain = settings(FAKE_SSH, None);
        let chosen: Vec<Choice> = (0..4).map(|_| hosts.choose(&pool, &plain)).collect();
        assert_eq!(
            chosen,
            ["h1", "h2", "h1", "h2"].map(|h| Choice::Host(h.into()))
        );
        // 1.0 on 2 CPUs is 0.5 per CPU; each launch adds one job (0.5 more).
        let mut hosts = HostPool::default();
        let limited = settings(FAKE_SSH, Some(0.9));
        let chosen: Vec<Choice> = (0..4).map(|_| hosts.choose(&pool, &limited)).collect();
        assert_eq!(
            chosen,
            [
                Choice::Host("h1".into()),
                Choice::Host("h2".into()),
                Choice::Busy,
                Choice::Busy
            ]
        );
    }

    #[test]
    fn hosts_that_do_not_answer_are_skipped() {
        let pool = vec!["h1".to_string()];
        let mut hosts = HostPool::default();
        assert_eq!(
            hosts.choose(&pool, &settings(&["false"], None)),
            Choice::NoHost
        );
    }
}
