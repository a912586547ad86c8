//! Progress of long runs: a bar per input table on a terminal, nothing extra
//! otherwise (cron gets the plain `info` log lines instead, see `cli`).

use std::sync::OnceLock;

static BARS: OnceLock<indicatif::MultiProgress> = OnceLock::new();

/// Turns progress bars on (call once, when stderr is a terminal).
pub fn enable() {
    let _ = BARS.set(indicatif::MultiProgress::new());
}

/// A bar counting the rows read of one input table; a no-op when disabled.
pub struct TableProgress(Option<indicatif::ProgressBar>);

impl TableProgress {
    /// Starts counting for `table`.
    pub fn start(table: &str) -> TableProgress {
        TableProgress(BARS.get().map(|bars| {
            let bar = bars.add(indicatif::ProgressBar::no_length());
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg:>10} {human_pos} rows read [{elapsed}]",
                )
                .expect("static template"),
            );
            bar.set_message(table.to_string());
            bar
        }))
    }

    /// Adds rows read.
    pub fn add(&self, rows: usize) {
        if let Some(bar) = &self.0 {
            bar.inc(rows as u64);
        }
    }
}

impl Drop for TableProgress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
