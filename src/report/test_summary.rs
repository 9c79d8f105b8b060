//! `test-summary.html`, written into a test's run directory when it ends (spec §9.9): the
//! record (ids, name, item, state, status linked to the final log, start, duration) and its
//! steps.

use crate::db::{Field, Store};
use crate::error::{Error, Result};
use crate::logpro::escape_html;
use crate::model::TestId;
use std::fmt::Write;
use std::path::Path;

fn local_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

fn field_text(field: Option<&Field>) -> String {
    let mut out = String::new();
    if let Some(f) = field {
        f.push_to(&mut out);
    }
    out
}

/// A log name as a link target: a path, or an `http`, `https` or `file` URL. Anything else
/// that reads as a URL scheme (`javascript:...`, from `-setlog`) is made a relative path, so
/// following the link opens a file at most.
fn link_target(log: &str) -> String {
    let scheme = log
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.is_empty() && !s.contains('/'));
    match scheme {
        Some(s) if !["http", "https", "file"].contains(&s.to_ascii_lowercase().as_str()) => {
            format!("./{log}")
        }
        // `//host/x` would leave for another host, like a URL.
        None if log.starts_with("//") || log.starts_with("\\\\") => format!(".{log}"),
        _ => log.to_string(),
    }
}

/// Writes `dir/test-summary.html` for the test `test_id`.
pub fn write_test_summary(store: &Store, test_id: TestId, dir: &Path) -> Result<()> {
    match test_summary_page(store, test_id)? {
        Some(page) => write_summary_page(&page, dir),
        None => Ok(()),
    }
}

/// Writes a page made by [`test_summary_page`] into `dir`.
pub fn write_summary_page(page: &str, dir: &Path) -> Result<()> {
    let path = dir.join("test-summary.html");
    std::fs::write(&path, page)
        .map_err(|err| Error::new(format!("cannot write `{}`: {err}", path.display())))
}

/// The text of `test-summary.html` for the test `test_id`; `None` without such a record.
pub fn test_summary_page(store: &Store, test_id: TestId) -> Result<Option<String>> {
    let Some(test) = store.test(test_id)? else {
        return Ok(None);
    };
    let start: i64 = field_text(test.field("event_time")).parse().unwrap_or(0);
    let duration = field_text(test.field("run_duration"));
    let log = field_text(test.field("final_logf"));
    let e = |s: &str| escape_html(s);
    let mut page = String::new();
    let _ = write!(
        page,
        "<html><head><title>{name} {item}</title></head><body>\n<table border=\"1\">\n<tr><th>Run id</th><th>Test id</th><th>Test</th><th>Item</th><th>State</th><th>Status</th><th>Started</th><th>Duration (s)</th><th>Final log</th></tr>\n<tr><td>{run}</td><td>{id}</td><td>{name}</td><td>{item}</td><td>{state}</td><td><a href=\"{log}\">{status}</a></td><td>{start}</td><td>{duration}</td><td><a href=\"{log}\">{log}</a></td></tr>\n</table>\n",
        run = test.run_id(),
        id = test_id,
        name = e(&test.testname()),
        item = e(&test.item_path()),
        state = e(test.state().as_str()),
        status = e(test.status().as_str()),
        start = local_time(start),
        duration = e(&duration),
        log = e(&link_target(&log)),
    );
    page.push_str("<h2>Steps</h2>\n<table border=\"1\">\n<tr><th>Step</th><th>State</th><th>Status</th><th>Time</th><th>Log</th><th>Comment</th></tr>\n");
    for step in store.steps(test_id)? {
        let time: i64 = field_text(Some(&step.event_time)).parse().unwrap_or(0);
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"{log}\">{log}</a></td><td>{}</td></tr>",
            e(&step.stepname),
            e(&step.state),
            e(&step.status),
            local_time(time),
            e(&step.comment),
            log = e(&link_target(&step.logfile)),
        );
    }
    page.push_str("</table>\n</body></html>\n");
    Ok(Some(page))
}

#[cfg(test)]
mod tests {
    use super::link_target;

    #[test]
    fn only_paths_and_web_or_file_urls_are_linked_as_given() {
        assert_eq!(link_target("s1.html"), "s1.html");
        assert_eq!(link_target("/abs/a:b.log"), "/abs/a:b.log");
        assert_eq!(link_target("https://x/y"), "https://x/y");
        assert_eq!(link_target("javascript:alert(1)"), "./javascript:alert(1)");
        assert_eq!(link_target(" JavaScript:x"), "./ JavaScript:x");
        assert_eq!(link_target("data:text/html,x"), "./data:text/html,x");
        assert_eq!(link_target("//evil.host/x"), ".//evil.host/x");
    }
}
