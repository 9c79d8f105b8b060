//! `-diff-rep -src-target T1 -src-runname R1 -target T2 -runname R2 [-diff-html FILE]
//! [-diff-email ADDRS]`: the differences between two runs (report::run_diff), written as
//! HTML and/or mailed through the local `sendmail`.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::{RunRecord, Store, TestFilter};
use crate::error::{Error, ErrorKind, Result};
use crate::report::{DiffKind, diff_page, diff_runs, diff_subject};
use crate::select::RunSelector;
use std::io::Write;
use std::path::PathBuf;

/// Where `sendmail` is looked for after `PATH`.
const SENDMAIL_PLACES: [&str; 2] = ["/usr/sbin/sendmail", "/usr/lib/sendmail"];

/// Writes and/or mails the report.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let html = session.args.value("-diff-html").map(PathBuf::from);
    let mail = session
        .args
        .value("-diff-email")
        .map(addresses)
        .transpose()?;
    if html.is_none() && mail.is_none() {
        return Err(Error::new(
            "-diff-rep needs -diff-html FILE or -diff-email ADDRS",
        ));
    }
    let selector = |value: Option<String>, option: &str| {
        value.ok_or_else(|| {
            Error::of(
                ErrorKind::MissingSelector,
                format!("-diff-rep needs {option}"),
            )
            .note("-diff-rep -src-target T1 -src-runname R1 -target T2 -runname R2 -diff-html FILE")
        })
    };
    let src_target = selector(
        session.args.value("-src-target").map(str::to_string),
        "-src-target",
    )?;
    let src_runname = selector(
        session.args.value("-src-runname").map(str::to_string),
        "-src-runname",
    )?;
    let dest_target = selector(session.target_text().map(|(t, _)| t), "-target")?;
    let dest_runname = selector(session.runname(), "-runname")?;
    let top = session.area()?.top.display().to_string();
    let store = session.store()?;
    let src = find_run(store, &src_target, &src_runname, "source")?;
    let dest = find_run(store, &dest_target, &dest_runname, "destination")?;
    let rows = diff_runs(
        &store.tests_for_run(src.id(), &TestFilter::default())?,
        &store.tests_for_run(dest.id(), &TestFilter::default())?,
    );
    let page = diff_page(&top, &src, &dest, &rows, crate::db::now());
    let changed = rows.iter().filter(|r| r.kind != DiffKind::Clean).count();
    if let Some(file) = &html {
        std::fs::write(file, &page)
            .map_err(|e| Error::new(format!("cannot write `{}`: {e}", file.display())))?;
    }
    crate::output::stdout::println(&format!(
        "diff report: {} tests, {changed} not clean{}",
        rows.len(),
        html.as_ref()
            .map(|f| format!("; written to {}", f.display()))
            .unwrap_or_default()
    ));
    if let Some(to) = mail {
        send(&to, &diff_subject(&src, &dest), &page)?;
    }
    Ok(Flow::Continue)
}

/// The first run of `target` named `runname`.
fn find_run(store: &Store, target: &str, runname: &str, which: &str) -> Result<RunRecord> {
    store
        .runs(&RunSelector::new(Some(target), Some(runname)))?
        .into_iter()
        .next()
        .ok_or_else(|| {
            Error::new(format!(
                "no {which} run matches target `{target}` and run name `{runname}`"
            ))
        })
}

/// `-diff-email`: addresses separated by `,` or `:` (as 1.65 splits them).
fn addresses(text: &str) -> Result<Vec<String>> {
    let list: Vec<String> = text
        .split([',', ':'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect();
    if list.is_empty() {
        return Err(Error::usage("-diff-email needs at least one address"));
    }
    // A mail header must not be split by what an address holds.
    if let Some(bad) = list
        .iter()
        .find(|a| a.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(Error::usage(format!(
            "-diff-email: `{bad}` is not an address"
        )));
    }
    Ok(list)
}

/// Mails `page` as HTML through the local sendmail.
fn send(to: &[String], subject: &str, page: &str) -> Result<()> {
    let sendmail = which::which("sendmail")
        .ok()
        .or_else(|| {
            SENDMAIL_PLACES
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
        })
        .ok_or_else(|| {
            Error::new("cannot mail the diff report: there is no sendmail on this host (PATH, /usr/sbin, /usr/lib)")
                .note("write it to a file with -diff-html FILE, or install a mail transfer agent")
        })?;
    // A run's name must not add a header (sendmail -t takes recipients from them).
    let subject: String = subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let message = format!(
        "To: {}\nSubject: {subject}\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{page}",
        to.join(", ")
    );
    let mut child = std::process::Command::new(&sendmail)
        .args(["-t", "-oi"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::new(format!("cannot run `{}`: {e}", sendmail.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(message.as_bytes())
            .map_err(|e| Error::new(format!("cannot write to `{}`: {e}", sendmail.display())))?;
    }
    let status = child
        .wait()
        .map_err(|e| Error::new(format!("`{}` did not end: {e}", sendmail.display())))?;
    if !status.success() {
        return Err(Error::new(format!(
            "`{}` failed ({status}); the report was not mailed",
            sendmail.display()
        )));
    }
    Ok(())
}
