//! `-diff-rep`: how the tests of one run (the source) compare with those of another (the
//! destination), as Megatest 1.65 classifies them, and the HTML page that reports it.

use crate::db::{RunRecord, TestRecord};
use crate::logpro::escape_html;
use crate::model::{State, Status};
use std::collections::BTreeMap;
use std::fmt::Write;

/// How a test compares between the two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DiffKind {
    /// Same state and status, and a good one.
    Clean,
    /// The destination's status ranks higher.
    Better,
    /// The destination's status ranks lower.
    Worse,
    /// Failing in both (the same bad status, or ended in neither).
    BothBad,
    /// Ended in the source only (missing or unfinished in the destination).
    NotInDest,
    /// Ended in the destination only.
    NotInSrc,
}

impl DiffKind {
    /// The words 1.65 reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DiffKind::Clean => "CLEAN",
            DiffKind::Better => "BETTER",
            DiffKind::Worse => "WORSE",
            DiffKind::BothBad => "BOTH-BAD",
            DiffKind::NotInDest => "NOT-IN-DEST",
            DiffKind::NotInSrc => "NOT-IN-SRC",
        }
    }

    /// Every kind, in the summary's order.
    pub const ALL: [DiffKind; 6] = [
        DiffKind::Clean,
        DiffKind::Better,
        DiffKind::Worse,
        DiffKind::BothBad,
        DiffKind::NotInDest,
        DiffKind::NotInSrc,
    ];
}

/// One test (or item) of either run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffRow {
    /// The test.
    pub test: String,
    /// Its item path.
    pub item: String,
    /// Its state and status in the source run (`None`: not there).
    pub src: Option<(State, Status)>,
    /// Its state and status in the destination run.
    pub dest: Option<(State, Status)>,
    /// How they compare.
    pub kind: DiffKind,
    /// What changed (`PASS->FAIL`, `CLEAN-PASS`, `DEST-INCOMPLETE`, ...).
    pub detail: String,
}

/// Statuses from best to worst; any other ranks below them all.
const RANKING: [Status; 6] = [
    Status::Pass,
    Status::Warn,
    Status::Waived,
    Status::Skip,
    Status::Fail,
    Status::Abort,
];

/// Statuses that count as good when both runs have them.
const GOOD: [Status; 4] = [Status::Pass, Status::Skip, Status::Waived, Status::Warn];

fn rank(status: &str) -> usize {
    RANKING
        .iter()
        .position(|s| s.as_str() == status)
        .unwrap_or(RANKING.len())
}

/// Whether a record ended with a verdict of its own (1.65 also names the words of a
/// deleted or incomplete state as statuses that do not count).
fn ended(record: Option<&(State, Status)>) -> bool {
    record.is_some_and(|(state, status)| {
        *state == State::Completed
            && !matches!(status, Status::StuckDead | Status::NotApplicable)
            && status.as_str() != State::Deleted.as_str()
            && status.as_str() != State::Incomplete.as_str()
    })
}

/// Compares the tests of two runs, ordered by test name and item path.
pub fn diff_runs(src: &[TestRecord], dest: &[TestRecord]) -> Vec<DiffRow> {
    type Pair = (Option<(State, Status)>, Option<(State, Status)>);
    let mut all: BTreeMap<(String, String), Pair> = BTreeMap::new();
    let record = |t: &TestRecord| (t.state(), t.status());
    for t in src {
        all.entry((t.testname(), t.item_path())).or_default().0 = Some(record(t));
    }
    for t in dest {
        all.entry((t.testname(), t.item_path())).or_default().1 = Some(record(t));
    }
    all.into_iter()
        .map(|((test, item), (src, dest))| {
            let (kind, detail) = classify(src.as_ref(), dest.as_ref());
            DiffRow {
                test,
                item,
                src,
                dest,
                kind,
                detail,
            }
        })
        .collect()
}

fn classify(src: Option<&(State, Status)>, dest: Option<&(State, Status)>) -> (DiffKind, String) {
    let (src_ended, dest_ended) = (ended(src), ended(dest));
    let status =
        |r: Option<&(State, Status)>| r.map(|(_, s)| s.as_str().to_string()).unwrap_or_default();
    let (from, to) = (status(src), status(dest));
    match (src_ended, dest_ended) {
        (false, false) => (DiffKind::BothBad, "BOTH-INCOMPLETE".into()),
        (true, false) => (DiffKind::NotInDest, "DEST-INCOMPLETE".into()),
        (false, true) => (DiffKind::NotInSrc, "SRC-INCOMPLETE".into()),
        (true, true) if src == dest => match GOOD.iter().any(|g| g.as_str() == to) {
            true => (DiffKind::Clean, format!("CLEAN-{to}")),
            false => (DiffKind::BothBad, format!("CLEAN-{to}")),
        },
        (true, true) if rank(&from) < rank(&to) => (DiffKind::Worse, format!("{from}->{to}")),
        (true, true) => (DiffKind::Better, format!("{from}->{to}")),
    }
}

/// The report page: when and where, a summary per kind, both runs, and every test that is
/// not clean.
pub fn diff_page(
    area: &str,
    src: &RunRecord,
    dest: &RunRecord,
    rows: &[DiffRow],
    now: i64,
) -> String {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title>\n<style>{CSS}</style></head><body>\n<h1>Megatest diff</h1>\n<h2>Summary</h2>\n<table class=\"plain\"><tr><td>Diff calculated at</td><td>{}</td></tr>\n<tr><td>MT_RUN_AREA_HOME</td><td>{}</td></tr></table>\n",
        escape_html(&subject(src, dest)),
        escape_html(&local_time(now)),
        escape_html(area)
    );
    page.push_str("<table><tr><th>Diff type</th><th>% share</th><th>Count</th></tr>\n");
    for kind in DiffKind::ALL {
        let count = rows.iter().filter(|r| r.kind == kind).count();
        let share = match rows.len() {
            0 => 0.0,
            n => 100.0 * count as f64 / n as f64,
        };
        let _ = writeln!(
            page,
            "<tr><td class=\"{}\">{}</td><td class=\"num\">{share:.2}</td><td class=\"num\">{count}</td></tr>",
            kind_class(kind),
            kind.as_str()
        );
    }
    page.push_str(
        "</table>\n<table><tr><th></th><th>SOURCE RUN</th><th>DESTINATION RUN</th></tr>\n",
    );
    for (label, a, b) in [
        (
            "Started",
            local_time(src.event_time()),
            local_time(dest.event_time()),
        ),
        ("TARGET", src.target(), dest.target()),
        ("RUN NAME", src.runname(), dest.runname()),
    ] {
        let _ = writeln!(
            page,
            "<tr><th>{label}</th><td>{}</td><td>{}</td></tr>",
            escape_html(&a),
            escape_html(&b)
        );
    }
    page.push_str("</table>\n<h2>Diffs + consistently failing tests</h2>\n<table><tr><th>Test name</th><th>Item Path</th><th>SOURCE</th><th>DEST</th><th>Diff</th></tr>\n");
    for row in rows.iter().filter(|r| r.kind != DiffKind::Clean) {
        let cell = |r: &Option<(State, Status)>| match r {
            Some((_, status)) => format!(
                "<td class=\"{}\">{}</td>",
                status_class(status),
                escape_html(status.as_str())
            ),
            None => "<td>NULL</td>".to_string(),
        };
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td>{}{}<td class=\"{}\">{}</td></tr>",
            escape_html(&row.test),
            escape_html(&row.item),
            cell(&row.src),
            cell(&row.dest),
            kind_class(row.kind),
            escape_html(row.kind.as_str())
        );
    }
    page.push_str("</table>\n</body></html>\n");
    page
}

/// The mail subject (and the page's title).
pub fn subject(src: &RunRecord, dest: &RunRecord) -> String {
    format!(
        "[MEGATEST DIFF] {}/{} vs. {}/{}",
        src.target(),
        src.runname(),
        dest.target(),
        dest.runname()
    )
}

const CSS: &str = "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #888;padding:2px 6px}table.plain td{border:none}.num{text-align:right}.good{background:#88ff88}.better{background:#33ff33}.bad{background:#ff3333}.warn{background:#ffff88}.fail{background:#ff8888}.abort{background:#ff0000}.skip{background:#ffff00}";

/// The colour class of a diff kind (1.65's colours).
fn kind_class(kind: DiffKind) -> &'static str {
    match kind {
        DiffKind::Clean => "good",
        DiffKind::Better => "better",
        DiffKind::Worse | DiffKind::BothBad => "bad",
        DiffKind::NotInDest | DiffKind::NotInSrc => "",
    }
}

/// The colour class of a status (1.65's colours).
fn status_class(status: &Status) -> &'static str {
    match status {
        Status::Pass => "good",
        Status::Warn => "warn",
        Status::Fail => "fail",
        Status::Abort => "abort",
        Status::Skip => "skip",
        _ => "",
    }
}

fn local_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%a %b %e %H:%M:%S %Y %Z")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Classifies (state, status) pairs; `None` for a test the run does not have.
    fn c(src: Option<(&str, &str)>, dest: Option<(&str, &str)>) -> (DiffKind, String) {
        let own = |r: Option<(&str, &str)>| r.map(|(a, b)| (State::from(a), Status::parse(b)));
        classify(own(src).as_ref(), own(dest).as_ref())
    }

    #[test]
    fn classification_follows_megatest() {
        let done = |status| Some(("COMPLETED", status));
        assert_eq!(
            c(done("PASS"), done("PASS")),
            (DiffKind::Clean, "CLEAN-PASS".into())
        );
        assert_eq!(
            c(done("FAIL"), done("FAIL")),
            (DiffKind::BothBad, "CLEAN-FAIL".into())
        );
        assert_eq!(
            c(done("PASS"), done("FAIL")),
            (DiffKind::Worse, "PASS->FAIL".into())
        );
        assert_eq!(
            c(done("FAIL"), done("WARN")),
            (DiffKind::Better, "FAIL->WARN".into())
        );
        assert_eq!(
            c(done("PASS"), None),
            (DiffKind::NotInDest, "DEST-INCOMPLETE".into())
        );
        assert_eq!(
            c(Some(("INCOMPLETE", "DEAD")), done("PASS")),
            (DiffKind::NotInSrc, "SRC-INCOMPLETE".into())
        );
        assert_eq!(c(Some(("NOT_STARTED", "n/a")), None).0, DiffKind::BothBad);
        // An unranked status ranks below ABORT.
        assert_eq!(c(done("ABORT"), done("CHECK")).0, DiffKind::Worse);
    }
}
