//! What the runner prints (spec §7.7): a result line for each test or item whose state or
//! status changes to something worth reporting, under a header; on a terminal, a one-line
//! progress bar on stderr as well.

use crate::db::RecordState;
use crate::model::State;
use crate::output::ProgressBar;

/// The result printer.
pub(super) struct Progress {
    /// `lt/<target>/<runname>`.
    prefix: String,
    header_printed: bool,
    bar: ProgressBar,
}

/// `%Yww%V.%w %H:%M`, Megatest's work-week time.
fn work_week_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| {
            let local = t.with_timezone(&chrono::Local);
            local.format("%Yww%V.%w %H:%M").to_string()
        })
        .unwrap_or_default()
}

/// `1hr 2m 3s`, leaving out zero hours and minutes.
pub fn hr_min_sec(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}hr "));
    }
    if m > 0 {
        out.push_str(&format!("{m}m "));
    }
    out.push_str(&format!("{s}s"));
    out
}

/// Whether a state/status is reported: the states a test ends in, as 1.65 prints them.
fn reportable(record: &RecordState) -> bool {
    match record.state {
        State::Deleted => false,
        ref state if state.is_running() => false,
        // 1.65 prints no NOT_STARTED line: a toplevel's passing NOT_STARTED/CHECK while its
        // items run, and a blocked test's PREQ_FAIL, show in -list-runs instead.
        State::NotStarted => false,
        _ => true,
    }
}

impl Progress {
    /// A printer for the run `target`/`runname`.
    pub(super) fn new(target: &str, runname: &str) -> Progress {
        Progress {
            prefix: format!("lt/{target}/{runname}"),
            header_printed: false,
            bar: ProgressBar::on_stderr(),
        }
    }

    /// Prints the result line of a record that changed.
    pub(super) fn changed(&mut self, record: &RecordState) {
        if !reportable(record) {
            return;
        }
        self.bar.clear();
        let mut text = String::new();
        if !self.header_printed {
            text.push_str(&format!(
                "{:<12}{:<12}{:<20}{:<12}Test path\n",
                "State", "Status", "Start Time", "Duration"
            ));
            self.header_printed = true;
        }
        let path = if record.item_path.is_empty() {
            format!("{}/{}", self.prefix, record.testname)
        } else {
            format!("{}/{}/{}", self.prefix, record.testname, record.item_path)
        };
        text.push_str(&format!(
            "{}{}{}{}{path}\n",
            column(record.state.as_str(), 12),
            column(record.status.as_str(), 12),
            column(&work_week_time(record.event_time), 20),
            column(&hr_min_sec(record.run_duration), 12)
        ));
        // A failed write is remembered there and ends `-run` non-zero.
        crate::output::stdout::print(&text);
    }

    /// Redraws the progress bar (terminal only).
    pub(super) fn bar(&mut self, done: usize, total: usize, running: usize) {
        self.bar
            .draw(done, total, &format!("done, {running} running"));
    }

    /// Removes the bar before the runner prints something else or ends.
    pub(super) fn finish(&mut self) {
        self.bar.clear();
    }
}

/// `text` padded to `width`, and at least one space after it when it is longer.
fn column(text: &str, width: usize) -> String {
    let padding = width.saturating_sub(text.chars().count()).max(1);
    format!("{text}{}", " ".repeat(padding))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_keep_a_space_before_the_next_column() {
        assert_eq!(column("PASS", 12), "PASS        ");
        assert_eq!(column("PREQ_DISCARDED", 12), "PREQ_DISCARDED ");
    }

    #[test]
    fn durations() {
        assert_eq!(hr_min_sec(12), "12s");
        assert_eq!(hr_min_sec(3723), "1hr 2m 3s");
        assert_eq!(hr_min_sec(3600), "1hr 0s");
        assert_eq!(hr_min_sec(61), "1m 1s");
    }
}
