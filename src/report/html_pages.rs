//! `-generate-html`: static pages of the runs for people without megatest, as 1.65 lays
//! them out: `page0.html`, `page1.html`, ... in the link tree, ten runs per page (newest
//! first), a row per key and the run name, then a row per `test:itempath` with each run's
//! status linking to that test's `test-summary.html`; prev/next links, and a filter that
//! runs in the page itself (no network). Every value is escaped.

use crate::db::{RunRecord, TestRecord};
use crate::logpro::escape_html;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

/// Runs per page (1.65's).
pub const RUNS_PER_PAGE: usize = 10;

/// The pages: (file name, HTML), in order.
pub fn runs_pages(
    area_name: &str,
    keys: &[String],
    runs: &[(RunRecord, Vec<TestRecord>)],
    linktree: &Path,
) -> Vec<(String, String)> {
    let chunks: Vec<&[(RunRecord, Vec<TestRecord>)]> = if runs.is_empty() {
        vec![&[]]
    } else {
        runs.chunks(RUNS_PER_PAGE).collect()
    };
    let last = chunks.len() - 1;
    chunks
        .iter()
        .enumerate()
        .map(|(n, chunk)| {
            let page = page(area_name, keys, chunk, linktree, n, last);
            (format!("page{n}.html"), page)
        })
        .collect()
}

fn page(
    area_name: &str,
    keys: &[String],
    runs: &[(RunRecord, Vec<TestRecord>)],
    linktree: &Path,
    n: usize,
    last: usize,
) -> String {
    let title = escape_html(&format!("Summary for {area_name}"));
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\n<style>{CSS}</style>\n<script>{SCRIPT}</script></head>\n<body>\n<nav>"
    );
    if n > 0 {
        let _ = write!(html, "<a href=\"page{}.html\">&lt;&lt;prev</a> ", n - 1);
    }
    if n < last {
        let _ = write!(html, "<a href=\"page{}.html\">next&gt;&gt;</a>", n + 1);
    }
    let _ = write!(
        html,
        "</nav>\n<h1>{title}</h1>\n<h3>Filter</h3>\n<input type=\"text\" id=\"filter\" size=\"30\" oninput=\"filterRows(this.value)\">\n<table id=\"runs\">\n"
    );
    for (i, key) in keys.iter().enumerate() {
        let _ = write!(html, "<tr class=\"key\"><th>{}</th>", escape_html(key));
        for (run, _) in runs {
            let value = run.target().split('/').nth(i).unwrap_or("").to_string();
            let _ = write!(html, "<th>{}</th>", escape_html(&value));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("<tr class=\"key\"><th>Run Name</th>");
    for (run, _) in runs {
        let _ = write!(html, "<th>{}</th>", escape_html(&run.runname()));
    }
    html.push_str("</tr>\n");
    // test:itempath → the record of each run that has it.
    let mut rows: BTreeMap<(String, String), BTreeSet<usize>> = BTreeMap::new();
    for (column, (_, tests)) in runs.iter().enumerate() {
        for test in tests {
            rows.entry((test.testname(), test.item_path()))
                .or_default()
                .insert(column);
        }
    }
    // Each run's records by test and item, looked up once per cell.
    let by_name: Vec<std::collections::HashMap<(String, String), &TestRecord>> = runs
        .iter()
        .map(|(_, tests)| {
            tests
                .iter()
                .map(|t| ((t.testname(), t.item_path()), t))
                .collect()
        })
        .collect();
    for (test, item) in rows.keys() {
        let label = format!("{test}:{item}");
        let _ = write!(
            html,
            "<tr class=\"test\"><td class=\"name\">{}</td>",
            escape_html(&label)
        );
        for records in &by_name {
            match records.get(&(test.clone(), item.clone())).copied() {
                Some(record) => {
                    let status = record.status().as_str().to_string();
                    let _ = write!(
                        html,
                        "<td class=\"s-{}\"><a href=\"{}\">{}</a></td>",
                        class_of(&status),
                        escape_html(&link_to(record, linktree)),
                        escape_html(&status)
                    );
                }
                None => html.push_str("<td>n/a</td>"),
            }
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n</body></html>\n");
    html
}

/// Where a test's page is, relative to the link tree when it is under it.
fn link_to(record: &TestRecord, linktree: &Path) -> String {
    let dir = Path::new(&record.rundir()).to_path_buf();
    let summary = dir.join("test-summary.html");
    let target = match summary.is_file() {
        true => summary,
        false => match record
            .field("final_logf")
            .map(|f| f.to_string())
            .filter(|f| !f.is_empty())
        {
            Some(log) => dir.join(log),
            None => summary,
        },
    };
    // Each segment percent-encoded: a key value such as `javascript:x` or `a#b` stays a
    // path, not a scheme or a fragment.
    match target.strip_prefix(linktree) {
        Ok(relative) => format!("./{}", encode_path(relative)),
        Err(_) => format!("file://{}", encode_path(&target)),
    }
}

/// A path with every byte but the unreserved ones and `/` percent-encoded.
fn encode_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for &b in path.as_os_str().as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A status as a CSS class name (letters only).
fn class_of(status: &str) -> String {
    status
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() {
            true => c.to_ascii_lowercase(),
            false => '_',
        })
        .collect()
}

const CSS: &str = "table{border-collapse:collapse}td,th{border:1px solid #888;padding:2px 6px}td.name{font-family:monospace}.s-pass{background:#88ff88}.s-warn{background:#ffff88}.s-fail{background:#ff8888}.s-abort{background:#ff0000}.s-skip{background:#ffff00}.s-preq_fail,.s-dead,.s-killed{background:#ff99ff}nav a{margin-right:1em}";

/// Hides the test rows whose name does not contain the filter's text.
const SCRIPT: &str = "function filterRows(text){var t=text.toLowerCase();var rows=document.querySelectorAll('tr.test');for(var i=0;i<rows.length;i++){var name=rows[i].cells[0].textContent.toLowerCase();rows[i].style.display=name.indexOf(t)>=0?'':'none';}}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_paths_whatever_the_names() {
        assert_eq!(
            encode_path(Path::new("javascript:alert(1)/r1/a#b?c%/x.html")),
            "javascript%3Aalert%281%29/r1/a%23b%3Fc%25/x.html"
        );
    }

    #[test]
    fn status_classes_are_plain_words() {
        assert_eq!(class_of("PASS"), "pass");
        assert_eq!(class_of("STUCK/DEAD"), "stuck_dead");
        assert_eq!(class_of("FAILED TO KILL"), "failed_to_kill");
        assert_eq!(class_of("\"><script>"), "___script_");
    }
}
