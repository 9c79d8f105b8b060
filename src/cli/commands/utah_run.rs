//! `-utah RUNLIST`: runs a UTAH runlist as `utah -r RUNLIST` does, in this area (made here
//! when there is none), with `-target`, `-runname` and `-o FILE` as given; the exit code is
//! UTAH's (0 PASS, 1 FAIL, 2 ERROR, 4 internal).

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::Result;
use crate::utah::client::{ClientOptions, run};
use crate::utah::report::Format;
use std::path::PathBuf;

/// Runs the runlist.
pub(crate) fn utah(session: &mut Session) -> Result<Flow> {
    let args = &session.args;
    let opts = ClientOptions {
        runlist: Some(PathBuf::from(args.value("-utah").unwrap_or_default())),
        resume: false,
        output: args.value("-o").map(PathBuf::from),
        format: Format::Yaml,
        append: false,
        debug: false,
        name: None,
        work_dir: None,
        start_dir: None,
        target: args.value("-target").map(str::to_string),
        runname: args.value("-runname").map(str::to_string),
    };
    session.exit_code = run(&opts);
    Ok(Flow::Stop)
}
