//! A one-line progress bar on stderr, drawn only when stderr is a terminal, and cleared
//! before anything else is printed.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How often the bar is redrawn at most.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// `[#####.....] done/total what`, redrawn in place.
pub struct ProgressBar {
    enabled: bool,
    shown: bool,
    drawn_at: Option<Instant>,
}

impl ProgressBar {
    /// A bar on stderr, drawn only if stderr is a terminal.
    pub fn on_stderr() -> ProgressBar {
        ProgressBar {
            enabled: std::io::stderr().is_terminal(),
            shown: false,
            drawn_at: None,
        }
    }

    /// Draws the bar (when the last drawing is old enough, or at the end).
    pub fn draw(&mut self, done: usize, total: usize, what: &str) {
        if !self.enabled || total == 0 {
            return;
        }
        let now = Instant::now();
        let fresh = self
            .drawn_at
            .is_some_and(|at| now.duration_since(at) < REDRAW_EVERY);
        // Lines printed between drawings clear it: it is drawn again at the next chance.
        if fresh && done < total {
            return;
        }
        const WIDTH: usize = 30;
        let filled = (done * WIDTH / total).min(WIDTH);
        eprint!(
            "\r\x1b[K[{}{}] {done}/{total} {what}",
            "#".repeat(filled),
            ".".repeat(WIDTH - filled)
        );
        self.shown = true;
        self.drawn_at = Some(now);
    }

    /// Removes the bar, before other output or at the end.
    pub fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}
