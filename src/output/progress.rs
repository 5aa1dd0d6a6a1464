//! A progress bar on stderr for history walks that take over a second,
//! only when stderr is a terminal.

use crate::history::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Shows nothing for the first second, then a bar (or a spinner while the
/// total is unknown).
pub struct WalkProgress {
    started: Instant,
    enabled: bool,
    bar: Option<ProgressBar>,
}

impl WalkProgress {
    /// A bar that shows only on a terminal, and never when `quiet`.
    pub fn new(quiet: bool) -> Self {
        WalkProgress {
            started: Instant::now(),
            enabled: !quiet && std::io::stderr().is_terminal(),
            bar: None,
        }
    }

    pub fn update(&mut self, progress: Progress) {
        if !self.enabled || self.started.elapsed() < Duration::from_secs(1) {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        match progress {
            Progress::Walking(n) => bar.set_message(format!("reading history: {n} commits")),
            Progress::Reading(done, total) => {
                if bar.length() != Some(total as u64) {
                    bar.set_length(total as u64);
                    bar.set_style(
                        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
                            .unwrap_or_else(|_| ProgressStyle::default_bar())
                            .progress_chars("=> "),
                    );
                    bar.set_message("reading prompt versions");
                }
                bar.set_position(done as u64);
            }
        }
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Default for WalkProgress {
    fn default() -> Self {
        Self::new(false)
    }
}
