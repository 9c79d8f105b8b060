//! `-create-megatest-area` and `-create-test NAME`: the manual's getting-started path. Each
//! asks its questions in Megatest 1.65's order (so answers piped on stdin work for scripts)
//! and writes a skeleton area or test to edit. End of input answers every remaining question
//! with its default.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::error::{Error, ErrorKind, Result};
use crate::output::stdout;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Questions on stdout, answers from stdin.
struct Prompter<R> {
    input: R,
}

impl<R: BufRead> Prompter<R> {
    /// Asks `question`; the answer trimmed, `None` at the end of input.
    fn ask(&mut self, question: &str) -> Option<String> {
        stdout::print(question);
        let mut line = String::new();
        match self.input.read_line(&mut line) {
            Ok(0) | Err(_) => {
                stdout::print("\n");
                None
            }
            Ok(_) => Some(line.trim().to_string()),
        }
    }

    /// Asks a yes/no question; only `y` is yes.
    fn confirm(&mut self, question: &str) -> bool {
        self.ask(&format!("{question} Enter y/n: ")).as_deref() == Some("y")
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| crate::sys::io_error("write", path, &e))
}

fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path)
        .map_err(|e| crate::sys::io_error("create the directory", path, &e))
}

/// The directory for an answer (relative to where megatest runs), created when missing.
fn directory(answer: &str) -> Result<PathBuf> {
    let path = PathBuf::from(answer);
    if !path.is_dir() {
        stdout::print(&format!(
            "{} does not exist yet: creating it.\n",
            path.display()
        ));
        create_dir(&path)?;
    }
    Ok(std::fs::canonicalize(&path).unwrap_or(path))
}

/// `-create-megatest-area`.
pub(crate) fn create_area(session: &mut Session) -> Result<Flow> {
    let stdin = std::io::stdin();
    let mut ask = Prompter {
        input: stdin.lock(),
    };
    stdout::print(
        "Creating a Megatest area: four questions. Everything written can be edited later.\n\n",
    );
    let area = ask
        .ask("Directory of the new area: ")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| Error::usage("-create-megatest-area needs a directory for the area"))?;
    let area = PathBuf::from(area);
    if !area.is_dir() {
        create_dir(&area)?;
    } else if std::fs::read_dir(&area).is_ok_and(|mut d| d.next().is_some())
        && !ask.confirm(&format!(
            "{} is not empty; write the area's files there anyway?",
            area.display()
        ))
    {
        stdout::print(&format!("Nothing written in {}.\n", area.display()));
        // 1.65 exits 1 when the user declines.
        session.exit_code = 1;
        return Ok(Flow::Stop);
    }
    stdout::print(
        "\nKeys name the runs: a run's target gives one value per key (e.g. RELEASE/PLATFORM\n\
         and the target v1.2/linux). Tests see them as environment variables.\n",
    );
    let keys = loop {
        let Some(answer) = ask.ask("Keys, separated by spaces or slashes (q to quit): ") else {
            return Err(Error::usage("-create-megatest-area needs at least one key"));
        };
        if answer == "q" {
            stdout::print("Nothing written.\n");
            return Ok(Flow::Stop);
        }
        let keys: Vec<String> = answer
            .split(|c: char| c == '/' || c.is_whitespace())
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect();
        if !keys.is_empty() {
            break keys;
        }
    };
    stdout::print(&format!("Keys: {}\n\n", keys.join(", ")));
    let default_runs = area.join("runs");
    let runs = ask
        .ask(&format!(
            "Directory where tests run (a disk) [{}]: ",
            default_runs.display()
        ))
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| default_runs.display().to_string());
    let runs = directory(&runs)?;
    let default_links = area.join("links");
    let links = ask
        .ask(&format!(
            "Directory of the link tree (one link per test run) [{}]: ",
            default_links.display()
        ))
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| default_links.display().to_string());
    let links = directory(&links)?;
    write(
        &area.join("megatest.config"),
        &megatest_config(&keys, &runs, &links),
    )?;
    write(&area.join("runconfigs.config"), &runconfigs_config(&keys))?;
    let user = crate::environ::user_name();
    create_dir(&area.join("configs"))?;
    write(
        &area.join("configs").join(format!("{user}.config")),
        &format!("# Settings of {user}'s runs, read by ../runconfigs.config.\n"),
    )?;
    stdout::print(&format!(
        "\nWrote megatest.config, runconfigs.config and configs/{user}.config in {}.\n\
         Next: cd there and add a test with `megatest -create-test NAME`.\n",
        area.display()
    ));
    Ok(Flow::Continue)
}

fn megatest_config(keys: &[String], runs: &Path, links: &Path) -> String {
    let mut text = String::from("# A Megatest area.\n\n[fields]\n");
    for key in keys {
        text.push_str(&format!("{key} TEXT\n"));
    }
    text.push_str(&format!(
        "\n[setup]\n# How many tests may run at once, over the whole area.\nmax_concurrent_jobs 50\n\
         # Where the link tree goes; moving it later loses the links of earlier runs.\nlinktree {}\n\n\
         [jobtools]\n# Tests run on this host; a batch system takes its submit command here.\n\
         # launcher nbfake\n\n\
         [env-override]\n# Variables every test sees.\nEXAMPLE_VAR example value\n\n\
         [disks]\n# Where tests run; add more disks with names of your choosing.\ndisk0 {}\n",
        links.display(),
        runs.display()
    ));
    text
}

fn runconfigs_config(keys: &[String]) -> String {
    let target: Vec<String> = keys.iter().map(|k| format!("{k}_val")).collect();
    let target = target.join("/");
    format!(
        "# [default] holds what every run sees; a section named after a target adds to it.\n\
         [default]\nALLTESTS see this variable\n\n\
         # A target is one value per key: {}\n[{target}]\nANOTHERVAR only defined if the target is {target}\n\n\
         # Each user may keep settings of their own.\n[include configs/#{{getenv USER}}.config]\n",
        keys.join("/")
    )
}

/// Where megatest.config is: here or up to three directories up, as 1.65 looks.
fn area_top() -> Option<PathBuf> {
    ["./", "../", "../../", "../../../"]
        .iter()
        .map(PathBuf::from)
        .find(|dir| dir.join("megatest.config").is_file())
}

/// `-create-test NAME`.
pub(crate) fn create_test(session: &mut Session) -> Result<Flow> {
    let name = session
        .args
        .value("-create-test")
        .unwrap_or_default()
        .to_string();
    crate::model::check_component(&name).map_err(|problem| {
        Error::usage(format!(
            "`{name}` cannot name a test: a test name that {problem}"
        ))
    })?;
    let Some(top) = area_top() else {
        return Err(Error::of(
            ErrorKind::NoArea,
            "-create-test works in a Megatest area: no megatest.config here or up to three directories up",
        )
        .note("create one with -create-megatest-area, or cd into the area"));
    };
    let dir = top.join("tests").join(&name);
    let stdin = std::io::stdin();
    let mut ask = Prompter {
        input: stdin.lock(),
    };
    if dir.join("testconfig").is_file()
        && !ask.confirm(&format!(
            "{} already has a testconfig; overwrite its files?",
            dir.display()
        ))
    {
        stdout::print(&format!("Test {name} left as it was.\n"));
        session.exit_code = 1;
        return Ok(Flow::Stop);
    }
    stdout::print(&format!(
        "Creating test {name}: the files can be edited afterwards.\n\n"
    ));
    let description = ask
        .ask("One line describing the test: ")
        .unwrap_or_default();
    let waiton = ask
        .ask(&format!(
            "Tests {name} waits for, separated by spaces (none by default): "
        ))
        .unwrap_or_default();
    let priority = ask
        .ask("Priority, 0 (the default) or higher to run it earlier: ")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "0".to_string());
    stdout::print("\nThe steps, in order (a command ending in .sh gets a script to fill in).\n");
    let mut steps: Vec<(String, String)> = Vec::new();
    while let Some(step) = ask
        .ask("Step name (empty to end the steps): ")
        .filter(|s| !s.is_empty())
    {
        let command = ask.ask("Its command: ").unwrap_or_default();
        stdout::print(&format!("Step {step} added.\n"));
        steps.push((step, command));
    }
    stdout::print("\nItems: variables and the values the test runs for (none by default).\n");
    let mut items: Vec<(String, String)> = Vec::new();
    while let Some(var) = ask
        .ask("Variable name (empty to end the items): ")
        .filter(|s| !s.is_empty())
    {
        let values = ask
            .ask(&format!("Values of {var}, separated by spaces: "))
            .unwrap_or_default();
        items.push((var, values));
    }
    create_dir(&dir)?;
    write(
        &dir.join("testconfig"),
        &testconfig(&description, &waiton, &priority, &steps, &items),
    )?;
    for (_, command) in &steps {
        let script = command.split_whitespace().next().unwrap_or_default();
        if script.ends_with(".sh") && !script.contains('/') && !dir.join(script).exists() {
            let path = dir.join(script);
            write(
                &path,
                "#!/usr/bin/env bash\n\n# The step's work goes here.\n",
            )?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| crate::sys::io_error("make executable", &path, &e))?;
        }
    }
    stdout::print(&format!("\nWrote {}.\n", dir.join("testconfig").display()));
    Ok(Flow::Continue)
}

fn testconfig(
    description: &str,
    waiton: &str,
    priority: &str,
    steps: &[(String, String)],
    items: &[(String, String)],
) -> String {
    let user = crate::environ::user_name();
    let mut text = String::from("# The steps, in order: STEPNAME COMMAND\n[ezsteps]\n");
    for (step, command) in steps {
        text.push_str(&format!("{step} {command}\n"));
    }
    text.push_str("\n[requirements]\n");
    if waiton.is_empty() {
        text.push_str("# waiton OTHERTEST\n");
    } else {
        text.push_str(&format!("waiton {waiton}\n"));
    }
    text.push_str(&format!("priority {priority}\n\n"));
    text.push_str("# The test runs once per item: each combination of these values.\n[items]\n");
    for (var, values) in items {
        text.push_str(&format!("{var} {values}\n"));
    }
    text.push_str(
        "\n# Or values that go together, row by row ([itemstable] gives items a/d, b/e):\n\
         # [itemstable]\n# V1 a b\n# V2 d e\n\n\
         # How each step's log is judged (logpro rules; the ;; and the indentation matter).\n[logpro]\n",
    );
    for (step, _) in steps {
        text.push_str(&format!(
            "{step} ;; rules for step {step}\n  \
             ;; (expect:required in \"LogFileBody\" > 0 \"What a good run prints\" #/put a pattern here/)\n  \
             (expect:warning in \"LogFileBody\" = 0 \"No warnings\" #/warn/)\n  \
             (expect:error in \"LogFileBody\" = 0 \"No errors\" (list #/ERROR/ #/error/))\n\n"
        ));
    }
    text.push_str(&format!(
        "[test_meta]\nauthor {user}\nowner {user}\ndescription {description}\ntags\nreviewed never\n"
    ));
    text
}
