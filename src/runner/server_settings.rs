//! `[server]` (spec §2.8): the database's host, and how the runner's recorder and a
//! long-lived `megatest -server` listen for processes on other hosts.

use crate::area::Area;
use std::time::Duration;

/// `[server]` (spec §2.8, as this runner reads it).
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// The database's host: `[server] homehost`, else the first line of `<area>/.homehost`,
    /// else this host. An executor elsewhere never opens the database.
    pub homehost: String,
    /// Whether the runner listens on TCP: when the area's launcher may place tests on other
    /// hosts (`[jobtools] launcher` or `flexi-launcher` set), unless `[server] listen no`;
    /// or with `[server] listen yes`.
    pub listen: bool,
    /// The address to listen on: `[server] hostname` (`-` or none: every interface) and
    /// `[server] port` (or 1.65's `lowport`; none: a free port), the first port tried.
    pub bind: String,
    /// The host name executors are given: `[server] hostname`, else this host's name.
    pub advertise: String,
    /// `[server] connect-wait`: seconds an executor elsewhere keeps trying to reach the
    /// server before its test fails (default 60).
    pub wait: u64,
    /// `[server] timeout`: how long a long-lived server (`megatest -server`) waits without
    /// clients before it exits. 1.65 reads a number of hours; `30m`-style times are taken
    /// too. None by default: while runners serve their own tests a long-lived server sees
    /// no clients, and it is there for when they are gone (1.65's servers, started on
    /// demand by their clients, used a minute).
    pub idle_timeout: Option<Duration>,
}

impl ServerSettings {
    /// Reads `[server]` of `area`.
    pub fn read(area: &Area) -> ServerSettings {
        let c = &area.config;
        let get = |k: &str| c.get("server", k).map(str::trim).filter(|v| !v.is_empty());
        let here = crate::sys::host_name();
        let homehost = get("homehost")
            .map(str::to_string)
            .or_else(|| {
                std::fs::read_to_string(area.top.join(".homehost"))
                    .ok()
                    .and_then(|t| t.lines().next().map(|l| l.trim().to_string()))
                    .filter(|l| !l.is_empty())
            })
            .unwrap_or_else(|| here.clone());
        let remote_launcher = c
            .get("jobtools", "launcher")
            .is_some_and(|l| !l.trim().is_empty())
            || c.get("jobtools", "flexi-launcher")
                .is_some_and(|v| v.trim() != "no");
        let listen = match get("listen") {
            Some("yes") => true,
            Some("no") => false,
            _ => remote_launcher,
        };
        let host = get("hostname").filter(|h| *h != "-");
        // 1.65's `lowport` is the first port tried, as `port` is here.
        let port = get("port")
            .or_else(|| get("lowport"))
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(0);
        ServerSettings {
            homehost,
            listen,
            bind: format!("{}:{port}", host.unwrap_or("0.0.0.0")),
            advertise: host.map_or(here, str::to_string),
            wait: get("connect-wait")
                .and_then(|w| w.parse().ok())
                .unwrap_or(60),
            idle_timeout: get("timeout").and_then(idle_timeout),
        }
    }
}

/// `[server] timeout`: hours (1.65), or a time with units.
fn idle_timeout(text: &str) -> Option<Duration> {
    match text.parse::<f64>() {
        Ok(hours) if hours.is_finite() && hours >= 0.0 => Some(Duration::from_secs_f64(
            (hours * 3600.0).min(365.0 * 86400.0),
        )),
        Ok(_) => None,
        Err(_) => {
            crate::testdef::hms_seconds(text).map(|s| Duration::from_secs(s.min(365 * 86400)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(idle_timeout("2"), Some(Duration::from_secs(7200)));
        assert_eq!(idle_timeout("0.5"), Some(Duration::from_secs(1800)));
        assert_eq!(idle_timeout("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(idle_timeout("-1"), None);
        assert_eq!(idle_timeout("soon"), None);
    }
}
