//! `-server -|HOST`: a long-lived server on the database's host for this area's processes on
//! other hosts, announced in `logs/` (see recorder/registry.rs); `-list-servers`,
//! `-kill-servers`, and `-ping HOST:PORT|N`.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::{Error, Result};
use crate::recorder::registry::{self, Announcement, ServerEntry};
use crate::recorder::{RecorderServer, RemoteServer, TcpOptions};
use crate::runner::{ServerSettings, hr_min_sec};
use std::time::{Duration, SystemTime};

/// How often the server looks at signals, stop requests and idleness.
const CHECK_EVERY: Duration = Duration::from_millis(200);

/// How long `-kill-servers` waits for a server to go.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// Serves until a signal, `-kill-servers`, or `[server] timeout` without clients.
pub(crate) fn server(session: &mut Session) -> Result<Flow> {
    let given = session
        .args
        .value("-server")
        .unwrap_or("-")
        .trim()
        .to_string();
    let area = session.area()?.clone();
    let settings = ServerSettings::read(&area);
    let here = crate::sys::host_name();
    if !crate::sys::same_host(&settings.homehost, &here) {
        return Err(Error::new(format!(
            "you must be on the homehost ({}) to run -server; this is {here}",
            settings.homehost
        ))
        .note("the homehost is [server] homehost, else the first line of .homehost in the area; moving it disrupts runs in progress"));
    }
    let port = settings.bind.rsplit_once(':').map_or("0", |(_, p)| p);
    let (bind, advertise) = match given.as_str() {
        "-" | "" => (settings.bind.clone(), settings.advertise.clone()),
        host => (format!("{host}:{port}"), host.to_string()),
    };
    let secret = crate::recorder::secret::area_secret(&area.top)?;
    // Made (or brought to the current schema) before anyone connects.
    drop(crate::db::Store::open(&area)?);
    let db = crate::db::db_path(&area);
    let options = TcpOptions {
        bind,
        advertise,
        secret,
        stoppable: true,
    };
    let server = RecorderServer::start(
        db,
        crate::db::typed_keys(&area),
        Box::new(|| {}),
        Some(options),
    )
    .map_err(|e| Error::new(format!("cannot start the server: {e}")))?;
    // Caught before the log says it serves, so that a stop always leaves its line; a
    // server outlives the terminal that started it.
    crate::sys::catch_interrupts();
    crate::sys::ignore_hangup();
    let address = server.address().unwrap_or_default().to_string();
    let announced = Announcement::announce(&area.top, &address)?;
    crate::output::log::emit(format_args!(
        "megatest server for {} listening on {address} (log {})",
        area.top.display(),
        announced.log().display()
    ));
    let reason = loop {
        std::thread::sleep(CHECK_EVERY);
        if crate::sys::interrupts() > 0 {
            break format!("signal {}", crate::sys::last_signal());
        }
        if server.stop_asked() {
            break "asked to stop (-kill-servers)".to_string();
        }
        let idle = server.idle_for();
        if settings.idle_timeout.is_some_and(|limit| idle >= limit) {
            break format!("no clients for {}", hr_min_sec(idle.as_secs() as i64));
        }
        if !server.serving() {
            break "its serving thread ended".to_string();
        }
    };
    announced.note(&format!("stopping: {reason}"));
    crate::output::log::emit(format_args!(
        "megatest server at {address}: stopping: {reason}"
    ));
    // Everything taken is written before the log says it stopped.
    drop(server);
    drop(announced);
    Ok(Flow::Continue)
}

/// The table 1.65 prints (pid, address, age, time since its log was touched, state).
pub(crate) fn list_servers(session: &mut Session) -> Result<Flow> {
    let top = session.area()?.top.clone();
    let servers = registry::servers(&top);
    print_table(&servers);
    if session.args.has("-kill-servers") {
        kill(session, &servers)?;
    }
    Ok(Flow::Continue)
}

/// `-kill-servers` alone (with `-list-servers` the listing does both).
pub(crate) fn kill_servers(session: &mut Session) -> Result<Flow> {
    if session.args.has("-list-servers") {
        return Ok(Flow::Continue);
    }
    list_servers(session)
}

fn print_table(servers: &[ServerEntry]) {
    let row = |a: &str, b: &str, c: &str, d: &str, e: &str| {
        crate::output::stdout::println(&format!("{a:<8}{b:<22}{c:<20}{d:<20}{e:<8}"));
    };
    row("pid", "Interface:port", "age (hms)", "Last mod", "State");
    row("===", "==============", "=========", "========", "=====");
    let now = SystemTime::now();
    let epoch = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    for s in servers {
        let modified = now.duration_since(s.modified).map_or(0, |d| d.as_secs());
        row(
            &s.pid.to_string(),
            &s.address,
            &hr_min_sec((epoch - s.started).max(0)),
            &hr_min_sec(modified as i64),
            if s.alive() { "alive" } else { "dead" },
        );
    }
}

/// Asks each live server to stop and waits for it to go.
fn kill(session: &mut Session, servers: &[ServerEntry]) -> Result<()> {
    if !servers.iter().any(ServerEntry::alive) {
        return Ok(());
    }
    let area = session.area()?;
    let top = area.top.clone();
    let db = crate::db::db_path(area);
    let secret = crate::recorder::secret::read_secret(&top)?;
    let mut failed = Vec::new();
    for entry in servers.iter().filter(|s| s.alive()) {
        crate::output::log::emit(format_args!(
            "Attempting to kill server with pid {} at {}",
            entry.pid, entry.address
        ));
        let remote = RemoteServer {
            address: entry.address.clone(),
            secret: secret.clone(),
            db: db.clone(),
            wait: Duration::ZERO,
            area: top.clone(),
            homehost: None,
        };
        if let Err(why) = remote.request_stop() {
            failed.push(format!("{} (pid {}): {why}", entry.address, entry.pid));
            continue;
        }
        let asked = std::time::Instant::now();
        while still_listed(&top, entry) && asked.elapsed() < STOP_WAIT {
            std::thread::sleep(Duration::from_millis(100));
        }
        if still_listed(&top, entry) {
            failed.push(format!(
                "{} (pid {}): agreed to stop but is still there after {} s",
                entry.address,
                entry.pid,
                STOP_WAIT.as_secs()
            ));
        }
    }
    match failed.is_empty() {
        true => Ok(()),
        false => Err(Error::new(format!(
            "could not stop {} server(s): {}",
            failed.len(),
            failed.join("; ")
        ))),
    }
}

/// Whether the server of `entry` has not written that it stopped.
fn still_listed(top: &std::path::Path, entry: &ServerEntry) -> bool {
    registry::servers(top)
        .iter()
        .any(|s| s.log == entry.log && !s.stopped)
}

/// `-ping HOST:PORT`: exit 0 when the server there takes this area's login; `-ping N` (1.65
/// took a run id, for its per-run servers): when any live server of the area does.
pub(crate) fn ping(session: &mut Session) -> Result<Flow> {
    let given = session
        .args
        .value("-ping")
        .unwrap_or_default()
        .trim()
        .to_string();
    let area = session.area()?;
    let top = area.top.clone();
    let db = crate::db::db_path(area);
    let addresses = if given.parse::<u64>().is_ok() {
        let live: Vec<String> = registry::servers(&top)
            .into_iter()
            .filter(ServerEntry::alive)
            .map(|s| s.address)
            .collect();
        if live.is_empty() {
            return Err(Error::new("no live megatest server in this area")
                .note("start one with `megatest -server -` on the database's host"));
        }
        live
    } else if given
        .rsplit_once(':')
        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
    {
        vec![given.clone()]
    } else {
        return Err(Error::usage(format!(
            "-ping needs HOST:PORT (or a number for any server of the area), got `{given}`"
        )));
    };
    let secret = crate::recorder::secret::read_secret(&top)?;
    let mut why = Vec::new();
    for address in addresses {
        let remote = RemoteServer {
            address: address.clone(),
            secret: secret.clone(),
            db: db.clone(),
            wait: Duration::ZERO,
            area: top.clone(),
            homehost: None,
        };
        match remote.login() {
            Ok(()) => {
                crate::output::stdout::println(&format!("LOGIN_OK {address}"));
                return Ok(Flow::Continue);
            }
            Err(reason) => why.push(format!("{address}: {reason}")),
        }
    }
    Err(Error::new(format!("LOGIN_FAILED {}", why.join("; "))))
}
