//! The `utah` command line (spec §9): `-r RUNLIST`, `-o FILE`, `-f yaml|json|text`, `-a`,
//! `-d`, `-n NAME`, `-t DIR`, and this harness's `--start-dir`, `--target`, `--runname`.

use super::client::ClientOptions;
use super::report::Format;
use clap::{Arg, ArgAction, Command};
use std::path::PathBuf;

fn command() -> Command {
    Command::new("utah")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Runs a UTAH runlist as a Megatest run and writes the UTAH report.")
        .after_help(
            "Exit status: 0 PASS, 1 FAIL (a test failed), 2 ERROR (a setup, build, cleanup, \
             fetch or definition error, or a bad command line), 3 stopped for a reboot, 4 \
             internal error, 130 interrupted.\nReboots: a case with `reboot: always|pass` stops the run and \
             runs $UTAH_REBOOT_CMD (or megatest.config's [utah] reboot-cmd); without one the \
             reboot is noted and the run goes on.",
        )
        .arg(
            Arg::new("runlist")
                .short('r')
                .long("runlist")
                .value_name("RUNLIST")
                .required_unless_present("resume")
                .help("the runlist (master.run) to run"),
        )
        .arg(
            Arg::new("resume")
                .long("resume")
                .action(ArgAction::SetTrue)
                .help("go on with the run that stopped for a reboot (running the same command again does too)"),
        )
        .arg(
            Arg::new("output")
                .short('o')
                .long("output")
                .value_name("FILE")
                .help("write the report to FILE (default: standard output)"),
        )
        .arg(
            Arg::new("format")
                .short('f')
                .long("format")
                .value_parser(["yaml", "json", "text"])
                .default_value("yaml")
                .help("the report's format"),
        )
        .arg(
            Arg::new("append")
                .short('a')
                .long("append")
                .action(ArgAction::SetTrue)
                .help("merge this run's commands into the -o report"),
        )
        .arg(
            Arg::new("debug")
                .short('d')
                .long("debug")
                .action(ArgAction::SetTrue)
                .help("say each command on standard error as it ends"),
        )
        .arg(
            Arg::new("name")
                .short('n')
                .long("name")
                .value_name("NAME")
                .help("the report's name (default: the run name)"),
        )
        .arg(
            Arg::new("testdir")
                .short('t')
                .long("testdir")
                .value_name("DIR")
                .help("the work area suites are fetched into (default: the run's directory in the area's link tree)"),
        )
        .arg(
            Arg::new("start-dir")
                .long("start-dir")
                .value_name("DIR")
                .help("the Megatest area (default: the current directory or the nearest above with a megatest.config; made here when there is none)"),
        )
        .arg(
            Arg::new("target")
                .long("target")
                .value_name("TARGET")
                .help("the run's target (default in utah's own area: ARCH/RELEASE)"),
        )
        .arg(
            Arg::new("runname")
                .long("runname")
                .value_name("NAME")
                .help("the run's name (default: utah-YYYYMMDD-HHMMSS)"),
        )
}

/// Parses `args` (without the program name); clap's message and exit status when they are
/// not a command line (help and version exit 0, mistakes 2).
pub fn parse(args: Vec<String>) -> Result<ClientOptions, clap::Error> {
    let m = command().try_get_matches_from(std::iter::once("utah".to_string()).chain(args))?;
    let path = |id: &str| m.get_one::<String>(id).map(PathBuf::from);
    let text = |id: &str| m.get_one::<String>(id).cloned();
    Ok(ClientOptions {
        runlist: path("runlist"),
        resume: m.get_flag("resume"),
        output: path("output"),
        format: Format::parse(m.get_one::<String>("format").expect("has a default"))
            .expect("checked by clap"),
        append: m.get_flag("append"),
        debug: m.get_flag("debug"),
        name: text("name"),
        work_dir: path("testdir"),
        start_dir: path("start-dir"),
        target: text("target"),
        runname: text("runname"),
    })
}
