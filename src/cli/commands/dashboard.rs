//! `-dashboard`: serves this area's web dashboard until Ctrl-C, printing its address (with
//! the token that actions need). `-port N` and `-bind ADDR` choose the listener (a free
//! loopback port by default); `-rows N` (or Megatest's `-cols N`, or `$DASHBOARDROWS`) the
//! runs per page.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::dashboard::{DashboardOptions, serve};
use crate::error::{Error, Result};

/// Runs per page when nothing says.
const DEFAULT_PER_PAGE: usize = 10;

/// Serves the dashboard.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let number = |option: &str| -> Result<Option<u64>> {
        session
            .args
            .value(option)
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| Error::usage(format!("{option} needs a number, got `{v}`")))
            })
            .transpose()
    };
    let per_page = number("-rows")?
        .or(number("-cols")?)
        .or_else(|| crate::environ::var("DASHBOARDROWS").and_then(|v| v.trim().parse().ok()))
        .map_or(DEFAULT_PER_PAGE, |n| n.max(1) as usize);
    let port = match number("-port")? {
        Some(p) if p <= u64::from(u16::MAX) => p as u16,
        Some(p) => return Err(Error::usage(format!("-port {p} is not a port"))),
        None => 0,
    };
    let bind = match session.args.value("-bind") {
        Some(addr) => addr
            .trim()
            .parse()
            .map_err(|_| Error::usage(format!("-bind needs an IP address, got `{addr}`")))?,
        None => std::net::IpAddr::from([127, 0, 0, 1]),
    };
    let area = session.area()?.clone();
    serve(
        area,
        DashboardOptions {
            per_page,
            port,
            bind,
        },
    )?;
    Ok(Flow::Stop)
}
