//! `-runstep NAME [-logpro RULES] [-m COMMENT] CMD ARGS...`: runs a command as a step of the
//! running test, its output in `NAME.log` (stdout and stderr), optionally judged by logpro;
//! the step's exit code becomes megatest's (1 and 2 as they are, other failures 3).

use super::in_test;
use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::{Error, ErrorKind, Result};

/// Runs a step.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let name = session
        .args
        .value("-runstep")
        .unwrap_or_default()
        .to_string();
    if session.args.leftovers.is_empty() {
        return Err(
            Error::of(ErrorKind::MissingStateStatus, "-runstep: nothing to run")
                .note("write the command after the options: megatest -runstep NAME CMD ARGS..."),
        );
    }
    let command = session.args.leftovers.join(" ");
    let rules = session.args.value("-logpro").map(str::to_string);
    let comment = session.args.value("-m").unwrap_or_default().to_string();
    let (job, records) = in_test::open(session, "-runstep")?;
    let logfile = format!("{name}.log");
    records.set_step(job.test_id, &name, "start", "n/a", &comment, &logfile)?;
    let cwd =
        std::env::current_dir().map_err(|e| Error::new(format!("no current directory: {e}")))?;
    let mut code = crate::sys::shell::run_to_stderr(&format!("({command}) > {logfile} 2>&1"), &cwd)
        .map_err(|e| Error::new(format!("cannot run `{command}`: {e}")))?;
    if let Some(rules) = rules {
        let html = format!("{name}.html");
        let invocation = crate::logpro::Invocation {
            rules: rules.into(),
            html: Some(html.clone().into()),
            waivers: None,
        };
        let mut input = std::fs::File::open(&logfile)
            .map_err(|e| Error::new(format!("cannot read {logfile}: {e}")))?;
        let out = std::fs::File::create(format!("{name}_logpro.log"))
            .map_err(|e| Error::new(format!("cannot write {name}_logpro.log: {e}")))?;
        code = crate::logpro::run(&invocation, &mut input, Box::new(out))
            .map_err(|e| Error::new(format!("logpro on {logfile}: {e}")))?;
        records.set_test_log(job.test_id, &html)?;
    }
    records.set_step(
        job.test_id,
        &name,
        "end",
        &code.to_string(),
        &comment,
        &logfile,
    )?;
    session.exit_code = match code {
        0..=2 => code,
        _ => 3,
    };
    Ok(Flow::Continue)
}
