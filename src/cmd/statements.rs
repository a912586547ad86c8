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

/// A partner id as a file name, one to one: letters, digits, `-` and `_`
/// stay, every other byte (a `.`, `/`, space or `%` included) becomes `%XX`,
/// so two ids never share a file and none climbs out of the folder.
fn file_name(partner_id: &str) -> String {
    let mut name = String::new();
    for c in partner_id.chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            name.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                name.push_str(&format!("%{b:02X}"));
            }
        }
    }
    format!("{name}.html")
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
    // Ids that differ only in case would share a file where names ignore
    // case (Windows, macOS): refuse rather than overwrite one with another.
    let mut seen = std::collections::BTreeMap::new();
    for partner in &partners {
        let name = file_name(partner);
        if let Some(other) = seen.insert(name.to_lowercase(), partner.clone()) {
            return Err(Error::Usage(format!(
                "partners {other} and {partner} would share the statement file {name} on a file system that ignores case; write them one at a time with --partner into separate folders"
            )));
        }
    }
    std::fs::create_dir_all(&args.out).map_err(|e| {
        Error::Usage(format!(
            "cannot write statements into {}: {e}",
            args.out.display()
        ))
    })?;
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
    fn partner_ids_become_safe_file_names_one_to_one() {
        assert_eq!(file_name("SA-001"), "SA-001.html");
        assert_eq!(file_name("../etc/passwd"), "%2E%2E%2Fetc%2Fpasswd.html");
        assert_eq!(file_name("A/B C"), "A%2FB%20C.html");
        assert_eq!(file_name("A_B"), "A_B.html");
        assert_eq!(file_name("A B"), "A%20B.html");
        assert_eq!(file_name("100%"), "100%25.html");
        assert_eq!(file_name("华南01"), "华南01.html");
    }
}
