//! `settle weights [--period P]`: the KPI weights of the policy in force, and
//! for each type whose weights come from pairwise judgments (SPEC §14) the
//! judgments, the priority vector, λmax and the consistency ratio.

use std::io::Write;

use crate::ahp::Solution;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::period::Period;
use crate::policy::{self, Admission, Judgment, Weights};
use crate::vocab::{Leaf, PartnerType};

/// Arguments of `settle weights`.
#[derive(Debug, clap::Args)]
pub struct WeightsArgs {
    /// The period whose policy to show, YYYY-MM (default: the latest policy).
    #[arg(long)]
    pub period: Option<Period>,
}

const KPIS: [&str; 4] = ["revenue", "delivery", "complaints", "response"];

fn percents(w: &Weights) -> [i64; 4] {
    [
        w.revenue.get(),
        w.delivery.get(),
        w.complaints.get(),
        w.response.get(),
    ]
}

/// λmax, CI and CR of a solved matrix, and whether it may be used.
fn consistency(s: &Solution) -> String {
    format!(
        "lambda_max {:.4}, CI {:.4}, CR {:.3} ({})",
        s.lambda_max,
        s.ci,
        s.cr,
        if s.consistent() {
            "consistent: below 0.10"
        } else {
            "INCONSISTENT: 0.10 or more"
        }
    )
}

/// The full matrix as text from its upper triangle in row order (as the
/// policy gives it): a_ii = 1, a_ji = 1 / a_ij.
// Both triangles are written by (i, j) index: an iterator would hide that.
#[allow(clippy::needless_range_loop)]
fn cells(n: usize, upper: &[Judgment]) -> Vec<Vec<String>> {
    let mut upper = upper.iter();
    let mut cells = vec![vec![String::from("1"); n]; n];
    for i in 0..n {
        for j in (i + 1)..n {
            let a_ij = *upper.next().expect("one judgment per pair");
            cells[i][j] = a_ij.to_string();
            cells[j][i] = a_ij.inverse().to_string();
        }
    }
    cells
}

/// The admission hierarchy (SPEC §22): each matrix with its local weights,
/// λmax and CR, then the twelve global weights and their basis points.
fn print_admission(out: &mut impl Write, a: &Admission) -> std::io::Result<()> {
    writeln!(
        out,
        "admission: threshold {} bp, quota SI {}, SA {}",
        a.threshold_bp,
        a.quota(PartnerType::Si),
        a.quota(PartnerType::Sa)
    )?;
    for m in &a.matrices {
        writeln!(
            out,
            "  matrix {} (a_ij: how many times row i matters as much as column j)",
            m.name
        )?;
        write!(out, "    {:<18}", "")?;
        for c in &m.criteria {
            write!(out, " {c:>17}")?;
        }
        writeln!(out, " {:>8}", "weight")?;
        let cells = cells(m.criteria.len(), &m.judgments);
        for ((name, row), weight) in m.criteria.iter().zip(&cells).zip(&m.solution.weights) {
            write!(out, "    {name:<18}")?;
            for cell in row {
                write!(out, " {cell:>17}")?;
            }
            writeln!(out, " {weight:>8.4}")?;
        }
        writeln!(out, "    {}", consistency(&m.solution))?;
    }
    writeln!(out, "  global weights (group weight × local weight):")?;
    writeln!(
        out,
        "    {:<18} {:<15} {:>8} {:>6}",
        "leaf", "group", "weight", "bp"
    )?;
    for ((leaf, g), bp) in Leaf::ALL.iter().zip(&a.global).zip(&a.weights_bp) {
        writeln!(
            out,
            "    {:<18} {:<15} {g:>8.4} {bp:>6}",
            leaf.as_str(),
            leaf.group().as_str()
        )?;
    }
    writeln!(
        out,
        "    {:<18} {:<15} {:>8} {:>6}",
        "total",
        "",
        "",
        a.weights_bp.iter().sum::<i64>()
    )
}

/// Runs `settle weights`: prints, then exits 2 when judgments are too
/// inconsistent to use.
pub fn run(config: &Config, args: &WeightsArgs) -> Result<()> {
    let period = args
        .period
        .unwrap_or_else(|| Period::new(9999, 12).expect("a valid period"));
    let loaded = policy::in_force_lenient(&config.policy_dir, period)?;
    let p = &loaded.policy;
    let mut out = std::io::stdout().lock();
    let w = |e| Error::io("write", "stdout")(e);
    writeln!(
        out,
        "policy {} (effective from {})",
        loaded.file.display(),
        p.effective_from
    )
    .map_err(w)?;
    for (ty, weights) in [
        (PartnerType::Si, &p.scoring.weights.SI),
        (PartnerType::Sa, &p.scoring.weights.SA),
    ] {
        writeln!(out, "{ty}").map_err(w)?;
        let Some(d) = p.scoring.derived.iter().find(|d| d.partner_type == ty) else {
            let pct = percents(weights);
            writeln!(
                out,
                "  weights given in the policy (percent): {}",
                KPIS.iter()
                    .zip(pct)
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
            .map_err(w)?;
            continue;
        };
        writeln!(out, "  judgments (KPI i against KPI j):").map_err(w)?;
        for (key, j) in d.judgments.pairs() {
            writeln!(out, "    {key:<20} {j}").map_err(w)?;
        }
        let s = &d.resolved.solution;
        let pct = percents(&d.resolved.weights);
        writeln!(out, "  {:<12} {:>8} {:>8}", "KPI", "weight", "percent").map_err(w)?;
        for ((k, wi), pi) in KPIS.iter().zip(&s.weights).zip(pct) {
            writeln!(out, "  {k:<12} {wi:>8.4} {pi:>8}").map_err(w)?;
        }
        writeln!(out, "  {}", consistency(s)).map_err(w)?;
    }
    if let Some(a) = &p.admission {
        print_admission(&mut out, a).map_err(w)?;
    }
    p.check_consistency().map_err(|message| Error::Policy {
        file: loaded.file.clone(),
        message,
    })?;
    // Every policy of the folder, as a run would read them: a broken later
    // policy fails here too, not first on the month it takes effect.
    policy::in_force(&config.policy_dir, period).map(|_| ())
}
