//! `settle statements --period P [--partner ID] --out DIR`: one printable
//! HTML statement (对账单) per partner of a published period.

use std::path::PathBuf;

use crate::answer;
use crate::columns::PARTNER_ID;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::period::Period;

/// Arguments of `settle statements`.
#[derive(Debug, clap::Args)]
pub struct StatementsArgs {
    /// The published period, YYYY-MM.
    #[arg(long)]
    pub period: Period,
    /// Only this partner (default: every partner of the registry).
    #[arg(long)]
    pub partner: Option<String>,
    /// The folder to write `<partner_id>.html` into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

/// A partner id as a file name: characters a file system may refuse (or
/// that climb out of the folder) become `_`.
fn file_name(partner_id: &str) -> String {
    let safe: String = partner_id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    format!("{}.html", if safe.is_empty() { "_" } else { safe })
}

/// Runs `settle statements`.
pub fn run(config: &Config, args: &StatementsArgs) -> Result<()> {
    let r = answer::recompute(config, args.period)?;
    let adjustments = answer::adjustments(config, &r)?;
    let partners: Vec<String> = match &args.partner {
        Some(p) => vec![p.clone()],
        None => r
            .settlement
            .scores
            .column(PARTNER_ID)
            .and_then(|c| c.str().cloned())
            .map_err(Error::polars("statements"))?
            .iter()
            .flatten()
            .map(str::to_string)
            .collect(),
    };
    std::fs::create_dir_all(&args.out).map_err(Error::io("create", &args.out))?;
    for partner in &partners {
        let e = answer::explain::explain(&r, partner)?;
        let mine = answer::explain::rows_of(&adjustments, partner)?;
        let page = answer::statement::render(&e, &mine)?;
        let path = args.out.join(file_name(partner));
        std::fs::write(&path, page).map_err(Error::io("write", &path))?;
    }
    println!(
        "{} statement(s) for {} in {}",
        partners.len(),
        args.period,
        args.out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn partner_ids_become_safe_file_names() {
        assert_eq!(file_name("SA-001"), "SA-001.html");
        assert_eq!(file_name("../etc/passwd"), "_etc_passwd.html");
        assert_eq!(file_name("A/B C"), "A_B_C.html");
        assert_eq!(file_name("华南01"), "华南01.html");
    }
}
