//! The `logpro` command: `logpro RULES [HTML [WAIVERS]] < log > annotated`.

use clap::{Arg, ArgAction, Command};
use std::io::{self, Write};
use std::path::PathBuf;

const USAGE: &str = "Usage: logpro RULES [HTML [WAIVERS]] < inputfile > annotated
  exit codes: 0 success, 1 errors, 2 warnings, 3 check, 4 waivers, 5 abort, 6 skip
";

/// Stdout that a closed pipe does not turn into an error.
struct Stdout(io::Stdout);

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.0.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(buf.len()),
            other => other,
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self.0.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

fn command() -> Command {
    Command::new("logpro")
        .version(concat!(
            "1.19 (megatest-rs ",
            env!("CARGO_PKG_VERSION"),
            ")"
        ))
        .about("Checks a log against logpro rules; the exit code is the verdict.")
        .override_usage("logpro RULES [HTML [WAIVERS]] < inputfile > annotated")
        .arg(
            Arg::new("rules")
                .value_name("RULES")
                .allow_hyphen_values(true)
                .help("the rule file"),
        )
        .arg(
            Arg::new("html")
                .value_name("HTML")
                .allow_hyphen_values(true)
                .help("the HTML report to write (its .dat beside it)"),
        )
        .arg(
            Arg::new("waivers")
                .value_name("WAIVERS")
                .allow_hyphen_values(true)
                .help("rules loaded first, when the file exists"),
        )
        .arg(
            Arg::new("extra")
                .num_args(0..)
                .action(ArgAction::Append)
                .hide(true)
                .allow_hyphen_values(true),
        )
        .after_help("Exit codes: 0 PASS, 1 FAIL, 2 WARN, 3 CHECK, 4 WAIVED, 5 ABORT, 6 SKIP.")
}

fn main() {
    megatest::cli::entry::prepare_process();
    if let Some(level) = std::env::var("LOGPRO_DEBUG").ok().filter(|l| !l.is_empty())
        && let Err(e) = megatest::output::log::set_debug(&level)
    {
        eprintln!("warning: LOGPRO_DEBUG: {e}");
    }
    let code = megatest::cli::entry::run_on_large_stack(|| {
        // As in megatest, the engine has the rmt procedures.
        megatest::scheme::add_extension(megatest::api::scheme_extension());
        let matches = match command().try_get_matches() {
            Ok(m) => m,
            Err(e)
                if matches!(
                    e.kind(),
                    clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
                ) =>
            {
                let _ = e.print();
                return 0;
            }
            Err(e) => {
                let _ = e.print();
                return 1;
            }
        };
        let Some(rules) = matches.get_one::<String>("rules") else {
            print!("{USAGE}");
            return 1;
        };
        let invocation = megatest::logpro::Invocation {
            rules: PathBuf::from(rules),
            html: matches.get_one::<String>("html").map(PathBuf::from),
            waivers: matches.get_one::<String>("waivers").map(PathBuf::from),
        };
        let mut stdin = io::stdin().lock();
        match megatest::logpro::run(&invocation, &mut stdin, Box::new(Stdout(io::stdout()))) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: logpro: {e}");
                1
            }
        }
    });
    std::process::exit(code);
}
