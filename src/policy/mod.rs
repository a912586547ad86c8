//! Effective-dated settlement policy (SPEC §9). The file layout is documented
//! in `docs/policy.md`; every field below is required unless it says otherwise,
//! and unknown keys are refused so that a typo never silently becomes a zero.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::period::Period;
use crate::vocab::{PartnerType, SaKind, Severity, StopReason, Tier};

pub mod admission;
pub mod judgments;
pub use admission::Admission;
pub use judgments::{Judgment, Judgments, Resolved};

/// The four catalog categories, in the order the spec lists them.
pub const CATEGORIES: [&str; 4] = [
    "basic_access",
    "industry_info",
    "platform_app",
    "dev_project",
];

/// An integer percent in 0..=100, checked when the policy is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pct(i64);

/// A rate in basis points, at least 0, checked when the policy is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bp(i64);

/// A count of days or months, at least 0, checked when the policy is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Count(i64);

impl Count {
    /// The count.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Count, D::Error> {
        let v = i64::deserialize(d)?;
        if v >= 0 {
            Ok(Count(v))
        } else {
            Err(serde::de::Error::custom(format!(
                "is {v}, but it must not be negative"
            )))
        }
    }
}

impl Pct {
    /// The percent.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl Bp {
    /// The basis points.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl From<Bp> for i64 {
    fn from(v: Bp) -> i64 {
        v.0
    }
}

impl<'de> Deserialize<'de> for Pct {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Pct, D::Error> {
        let v = i64::deserialize(d)?;
        if (0..=100).contains(&v) {
            Ok(Pct(v))
        } else {
            Err(serde::de::Error::custom(format!(
                "is {v}, but it must be a percent in 0..=100"
            )))
        }
    }
}

impl<'de> Deserialize<'de> for Bp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Bp, D::Error> {
        let v = i64::deserialize(d)?;
        if v >= 0 {
            Ok(Bp(v))
        } else {
            Err(serde::de::Error::custom(format!(
                "is {v}, but it must not be negative"
            )))
        }
    }
}

/// A value per catalog category.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PerCategory {
    /// 基础接入 products.
    pub basic_access: Bp,
    /// 行业信息化 products.
    pub industry_info: Bp,
    /// 平台应用 products.
    pub platform_app: Bp,
    /// 定制开发 projects.
    pub dev_project: Bp,
}

impl PerCategory {
    /// (category, value) pairs in spec order.
    pub fn entries(&self) -> [(&'static str, i64); 4] {
        [
            ("basic_access", self.basic_access.get()),
            ("industry_info", self.industry_info.get()),
            ("platform_app", self.platform_app.get()),
            ("dev_project", self.dev_project.get()),
        ]
    }
}

/// A value per complaint severity.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PerSeverity {
    /// Minor complaints.
    pub minor: i64,
    /// Major complaints.
    pub major: i64,
    /// Critical complaints.
    pub critical: i64,
}

impl PerSeverity {
    /// (severity, value) pairs.
    pub fn entries(&self) -> [(&'static str, i64); 3] {
        [
            (Severity::Minor.as_str(), self.minor),
            (Severity::Major.as_str(), self.major),
            (Severity::Critical.as_str(), self.critical),
        ]
    }
}

/// A value per tier; tiers not listed get 0.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PerTier {
    /// Gold tier.
    #[serde(default)]
    pub gold: Bp,
    /// Silver tier.
    #[serde(default)]
    pub silver: Bp,
    /// Standard tier.
    #[serde(default)]
    pub standard: Bp,
    /// Bottom tier.
    #[serde(default)]
    pub bottom: Bp,
}

impl PerTier {
    /// (tier, value) pairs.
    pub fn entries(&self) -> [(&'static str, i64); 4] {
        [
            (Tier::Gold.as_str(), self.gold.get()),
            (Tier::Silver.as_str(), self.silver.get()),
            (Tier::Standard.as_str(), self.standard.get()),
            (Tier::Bottom.as_str(), self.bottom.get()),
        ]
    }
}

/// KPI weights of one partner type, integer percent summing to 100.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Revenue KPI weight.
    pub revenue: Pct,
    /// Delivery KPI weight.
    pub delivery: Pct,
    /// Complaint KPI weight.
    pub complaints: Pct,
    /// Response KPI weight.
    pub response: Pct,
}

/// KPI weights per partner type.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct WeightsByType {
    /// Integrators.
    pub SI: Weights,
    /// Sales agents.
    pub SA: Weights,
}

/// How partners are pooled for ranking.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PoolScope {
    /// One pool per partner type.
    National,
    /// One pool per partner type and province.
    Province,
}

/// One value per partner type, either of which a file may leave out.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
struct ByType<T> {
    SI: Option<T>,
    SA: Option<T>,
}

impl<T> Default for ByType<T> {
    fn default() -> ByType<T> {
        ByType { SI: None, SA: None }
    }
}

/// The `[scoring]` table as written: each type's weights, or its
/// judgments (SPEC §14).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScoringFile {
    pool_scope: PoolScope,
    alpha_pct: Pct,
    r_max_bp: Bp,
    sla_hours: PerSeverity,
    penalty_bp: PerSeverity,
    #[serde(default = "ByType::default")]
    weights: ByType<Weights>,
    #[serde(default = "ByType::default")]
    judgments: ByType<Judgments>,
}

/// A partner type's weights as derived from its judgments.
#[derive(Clone, Debug, PartialEq)]
pub struct Derived {
    /// The type.
    pub partner_type: PartnerType,
    /// The judgments as written.
    pub judgments: Judgments,
    /// What they resolve to.
    pub resolved: Resolved,
}

impl TryFrom<ScoringFile> for Scoring {
    type Error = String;

    fn try_from(f: ScoringFile) -> std::result::Result<Scoring, String> {
        let mut derived = vec![];
        let mut pick = |ty: PartnerType, w: Option<Weights>, j: Option<Judgments>| match (w, j) {
            (Some(w), None) => Ok(w),
            (None, Some(j)) => {
                let resolved = j.resolve();
                let w = resolved.weights.clone();
                derived.push(Derived {
                    partner_type: ty,
                    judgments: j,
                    resolved,
                });
                Ok(w)
            }
            (Some(_), Some(_)) => Err(format!(
                "scoring.weights.{ty} and scoring.judgments.{ty} are both given; keep one"
            )),
            (None, None) => Err(format!(
                "scoring.weights.{ty} (or scoring.judgments.{ty}) is missing"
            )),
        };
        let si = pick(PartnerType::Si, f.weights.SI, f.judgments.SI)?;
        let sa = pick(PartnerType::Sa, f.weights.SA, f.judgments.SA)?;
        Ok(Scoring {
            pool_scope: f.pool_scope,
            alpha_pct: f.alpha_pct,
            r_max_bp: f.r_max_bp,
            sla_hours: f.sla_hours,
            penalty_bp: f.penalty_bp,
            weights: WeightsByType { SI: si, SA: sa },
            derived,
        })
    }
}

/// Scoring parameters.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(try_from = "ScoringFile")]
pub struct Scoring {
    /// National or per-province pools.
    pub pool_scope: PoolScope,
    /// Weight of this month in the credit blend, percent.
    pub alpha_pct: Pct,
    /// Upheld complaints per customer (bp) at which the complaint KPI hits 0.
    pub r_max_bp: Bp,
    /// Response SLA in hours per severity.
    pub sla_hours: PerSeverity,
    /// Monthly-score penalty per upheld complaint, bp.
    pub penalty_bp: PerSeverity,
    /// KPI weights per type (given, or derived from judgments).
    pub weights: WeightsByType,
    /// The types whose weights come from judgments (§14).
    pub derived: Vec<Derived>,
}

/// Tier cut-offs, integer percent.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Tiers {
    /// Top share of a pool that is gold.
    pub gold_pct: Pct,
    /// Top share of a pool that is gold or silver (cumulative).
    pub silver_pct: Pct,
    /// Bottom share of a pool.
    pub bottom_pct: Pct,
}

/// Integrator revenue share.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SiRates {
    /// Share of billed usage per category, bp.
    pub share_bp: PerCategory,
    /// Extra share per tier, bp.
    #[serde(default)]
    pub tier_uplift_bp: PerTier,
}

/// Sales-agent commission.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SaRates {
    /// Base commission on usage per category, bp.
    pub base_bp: PerCategory,
    /// Sales commission on delivered contract value per category, bp.
    pub sales_bp: PerCategory,
    /// Service fee per distinct customer at a response KPI of 100%, fen.
    pub fee_fen_per_customer: i64,
    /// Reward on base + sales per tier, bp.
    #[serde(default)]
    pub reward_bp: PerTier,
}

/// The policy file as written.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// First period this policy applies to.
    pub effective_from: Period,
    /// Share of rejected rows (bp of rows read) above which a run fails.
    pub max_reject_ratio_bp: Bp,
    /// Product code → category.
    pub catalog: BTreeMap<String, String>,
    /// Scoring parameters.
    pub scoring: Scoring,
    /// Tier cut-offs.
    pub tiers: Tiers,
    /// Integrator revenue share.
    pub si: SiRates,
    /// Sales-agent commission.
    pub sa: SaRates,
    /// Deduction per upheld complaint, fen.
    pub deduction_fen: PerSeverity,
    /// Days an approved registration protects a key-account sale (§12);
    /// absent means 0.
    #[serde(default)]
    pub protection_days: Count,
    /// Months a terminated partner's tail is still settled (§13); absent
    /// means 0.
    #[serde(default)]
    pub transition_months: Count,
    /// Who earns on a product (§16); products not listed: both.
    #[serde(default)]
    pub earners: BTreeMap<String, Earner>,
    /// The categories each SA kind may sell (§16); an SA whose kind is not
    /// listed may sell everything.
    #[serde(default)]
    pub sa_kinds: BTreeMap<String, Vec<String>>,
    /// Months back a cancelled sale's commission is clawed back (§15);
    /// absent means 0: no clawback.
    #[serde(default)]
    pub clawback_months: Count,
    /// An SI's share uplift by monthly revenue (§17), ascending from 0.
    #[serde(default)]
    pub si_revenue_bands: Vec<Band>,
    /// Carry withheld money as a balance (§18).
    #[serde(default)]
    pub carry_withheld: bool,
    /// Stop reasons for which a carried balance is forfeited (§18).
    #[serde(default)]
    pub forfeit_reasons: Vec<String>,
    /// Partner selection and admission (§22), for `settle admit`. Settlement
    /// computes nothing from it, but it is part of the file's bytes (so of
    /// every settlement run_id) and checked by every command.
    #[serde(default)]
    pub admission: Option<Admission>,
}

/// One revenue band (阶梯分成, §17): from this monthly revenue on, an SI's
/// share rate gains `uplift_bp`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Lower bound of the band, whole yuan.
    pub from_yuan: Count,
    /// Extra share rate, bp.
    pub uplift_bp: Bp,
}

/// Who earns on a product (SPEC §16).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum Earner {
    /// Integrators only.
    #[serde(rename = "SI")]
    Si,
    /// Sales agents only.
    #[serde(rename = "SA")]
    Sa,
    /// Either.
    #[default]
    #[serde(rename = "both")]
    Both,
}

/// A policy with where it came from.
#[derive(Clone, Debug)]
pub struct LoadedPolicy {
    /// The file it was read from.
    pub file: PathBuf,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// The file's bytes (they enter the run_id).
    pub bytes: Vec<u8>,
    /// The parsed, checked policy.
    pub policy: Policy,
}

/// Condenses a TOML error into one line naming the line and the problem.
pub fn toml_message(e: &toml::de::Error, text: &str) -> String {
    let what = e.message().trim().trim_end_matches('.').to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            // A range check (Pct, Bp) says "is V, but …": name its key.
            match key_at(before).filter(|_| what.starts_with("is ")) {
                Some(key) => format!("{key} {what} (line {line})"),
                None => format!("{what} (line {line})"),
            }
        }
        None => what,
    }
}

/// The dotted key of the `key = value` line that `before` ends inside:
/// the last `[table]` header above it, then the key.
fn key_at(before: &str) -> Option<String> {
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let key = before[start..].split('=').next()?.trim();
    if key.is_empty() || before[start..].find('=').is_none() {
        return None;
    }
    let table = before[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.ends_with(']'))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim());
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_string(),
    })
}

impl Policy {
    /// Parses and checks one policy's text.
    pub fn parse(text: &str) -> std::result::Result<Policy, String> {
        let policy = Policy::parse_lenient(text)?;
        policy.check_consistency()?;
        Ok(policy)
    }

    /// Parses and checks one policy's text, except that inconsistent
    /// judgments are kept (for `settle weights`, which shows them).
    pub fn parse_lenient(text: &str) -> std::result::Result<Policy, String> {
        let policy: Policy = toml::from_str(text).map_err(|e| toml_message(&e, text))?;
        policy.check()?;
        Ok(policy)
    }

    /// Fails when a type's judgments (SPEC §14) or an admission matrix
    /// (§22) have a consistency ratio of 0.10 or more.
    pub fn check_consistency(&self) -> std::result::Result<(), String> {
        for d in &self.scoring.derived {
            let cr = d.resolved.solution.cr;
            if !d.resolved.solution.consistent() {
                return Err(format!(
                    "scoring.judgments.{} are inconsistent: consistency ratio {cr:.3} is not below 0.10",
                    d.partner_type
                ));
            }
        }
        self.admission
            .as_ref()
            .map_or(Ok(()), Admission::check_consistency)
    }

    fn check(&self) -> std::result::Result<(), String> {
        let non_negative = |key: String, v: i64| {
            if v < 0 {
                Err(format!("{key} is {v}, but it must not be negative"))
            } else {
                Ok(())
            }
        };
        // Percents and rates checked their own range when read (Pct, Bp).
        if self.catalog.is_empty() {
            return Err("catalog is empty".into());
        }
        for (product, category) in &self.catalog {
            if !CATEGORIES.contains(&category.as_str()) {
                return Err(format!(
                    "catalog.{product} has category '{category}', which is not one of {}",
                    CATEGORIES.join(", ")
                ));
            }
        }
        for product in self.earners.keys() {
            if !self.catalog.contains_key(product) {
                return Err(format!(
                    "earners.{product} names a product that is not in the catalog"
                ));
            }
        }
        for (kind, categories) in &self.sa_kinds {
            if !SaKind::NAMES.contains(&kind.as_str()) {
                return Err(format!(
                    "sa_kinds.{kind} is not an SA kind (one of {})",
                    SaKind::NAMES.join(", ")
                ));
            }
            for c in categories {
                if !CATEGORIES.contains(&c.as_str()) {
                    return Err(format!(
                        "sa_kinds.{kind} lists category '{c}', which is not one of {}",
                        CATEGORIES.join(", ")
                    ));
                }
            }
        }
        // Upper bounds keep period and money arithmetic far from overflow.
        for (key, value, max) in [
            ("clawback_months", self.clawback_months.get(), 1200),
            ("transition_months", self.transition_months.get(), 1200),
            ("protection_days", self.protection_days.get(), 36_500),
        ] {
            if value > max {
                return Err(format!("{key} is {value}, but it must be at most {max}"));
            }
        }
        for band in &self.si_revenue_bands {
            if band.from_yuan.get() >= 10_000_000_000_000_000 {
                return Err(format!(
                    "si_revenue_bands has from_yuan = {}, beyond any Decimal(18,2) revenue",
                    band.from_yuan.get()
                ));
            }
        }
        if let Some(first) = self.si_revenue_bands.first()
            && first.from_yuan.get() != 0
        {
            return Err(format!(
                "si_revenue_bands must start at from_yuan = 0, not {}",
                first.from_yuan.get()
            ));
        }
        for pair in self.si_revenue_bands.windows(2) {
            if pair[1].from_yuan <= pair[0].from_yuan {
                return Err(format!(
                    "si_revenue_bands must ascend: from_yuan {} follows {}",
                    pair[1].from_yuan.get(),
                    pair[0].from_yuan.get()
                ));
            }
        }
        for r in &self.forfeit_reasons {
            if StopReason::parse(r).is_none() {
                return Err(format!(
                    "forfeit_reasons lists '{r}', which is not a stop reason (one of {})",
                    StopReason::NAMES.join(", ")
                ));
            }
        }
        let s = &self.scoring;
        if s.r_max_bp.get() == 0 {
            return Err("scoring.r_max_bp is 0, but it must be positive".into());
        }
        for (name, map) in [
            ("scoring.sla_hours", &s.sla_hours),
            ("scoring.penalty_bp", &s.penalty_bp),
            ("deduction_fen", &self.deduction_fen),
        ] {
            for (k, v) in map.entries() {
                non_negative(format!("{name}.{k}"), v)?;
            }
        }
        for (ty, w) in [("SI", &s.weights.SI), ("SA", &s.weights.SA)] {
            let sum = w.revenue.get() + w.delivery.get() + w.complaints.get() + w.response.get();
            if sum != 100 {
                return Err(format!(
                    "scoring.weights.{ty} sum to {sum}, but they must sum to 100"
                ));
            }
        }
        if self.tiers.silver_pct < self.tiers.gold_pct {
            return Err(format!(
                "tiers.silver_pct is {} but must be at least gold_pct ({}): it is cumulative",
                self.tiers.silver_pct.get(),
                self.tiers.gold_pct.get()
            ));
        }
        non_negative(
            "sa.fee_fen_per_customer".into(),
            self.sa.fee_fen_per_customer,
        )
    }

    /// Who earns on `product`.
    pub fn earner(&self, product: &str) -> Earner {
        self.earners.get(product).copied().unwrap_or_default()
    }

    /// The catalog category of a product, if listed.
    pub fn category(&self, product: &str) -> Option<&str> {
        self.catalog.get(product).map(String::as_str)
    }
}

/// Reads and checks one policy file.
pub fn load_file(file: &Path) -> Result<LoadedPolicy> {
    load_file_with(file, Policy::parse)
}

fn load_file_with(
    file: &Path,
    parse: fn(&str) -> std::result::Result<Policy, String>,
) -> Result<LoadedPolicy> {
    let err = |message: String| Error::Policy {
        file: file.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(file).map_err(|e| err(format!("cannot be read: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| err("is not UTF-8 text".into()))?;
    let policy = parse(text).map_err(err)?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    Ok(LoadedPolicy {
        file: file.to_path_buf(),
        sha256,
        bytes,
        policy,
    })
}

/// Loads every policy in `dir` and returns the one in force for `period`:
/// the greatest `effective_from <= period`. Every file is checked, so a
/// broken future policy is caught before it takes effect.
pub fn in_force(dir: &Path, period: Period) -> Result<LoadedPolicy> {
    in_force_with(dir, period, Policy::parse)
}

/// [`in_force`], keeping inconsistent judgments (for `settle weights`).
pub fn in_force_lenient(dir: &Path, period: Period) -> Result<LoadedPolicy> {
    in_force_with(dir, period, Policy::parse_lenient)
}

fn in_force_with(
    dir: &Path,
    period: Period,
    parse: fn(&str) -> std::result::Result<Policy, String>,
) -> Result<LoadedPolicy> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Policy {
        file: dir.to_path_buf(),
        message: format!("policy folder cannot be read: {e}"),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut best: Option<LoadedPolicy> = None;
    let mut seen: BTreeMap<Period, PathBuf> = BTreeMap::new();
    for file in files {
        let loaded = load_file_with(&file, parse)?;
        let from = loaded.policy.effective_from;
        if let Some(other) = seen.insert(from, file.clone()) {
            return Err(Error::Policy {
                file,
                message: format!(
                    "effective_from {from} is also the effective_from of {}",
                    other.display()
                ),
            });
        }
        if from <= period && best.as_ref().is_none_or(|b| b.policy.effective_from < from) {
            best = Some(loaded);
        }
    }
    best.ok_or_else(|| Error::NoPolicy {
        dir: dir.to_path_buf(),
        period: period.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFERENCE: &str = include_str!("../../pipelines/policies/2026-01.toml");

    #[test]
    fn reference_policy_holds_the_spec_values() {
        let p = Policy::parse(REFERENCE).unwrap();
        assert_eq!(p.effective_from.to_string(), "2026-01");
        assert_eq!(p.max_reject_ratio_bp, Bp(100));
        let cat: Vec<(&str, &str)> = p
            .catalog
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            cat,
            vec![
                ("CRBT", "basic_access"),
                ("DEVPROJ", "dev_project"),
                ("ECOMM", "basic_access"),
                ("EMAIL", "platform_app"),
                ("MAS", "industry_info"),
                ("PUSHMAIL", "platform_app"),
                ("SWITCHBOARD", "basic_access"),
                ("VNET", "basic_access"),
                ("XXT", "industry_info"),
            ]
        );
        let s = &p.scoring;
        assert_eq!(
            (s.pool_scope, s.alpha_pct, s.r_max_bp),
            (PoolScope::National, Pct(50), Bp(200))
        );
        assert_eq!(
            s.weights.SI,
            Weights {
                revenue: Pct(30),
                delivery: Pct(30),
                complaints: Pct(25),
                response: Pct(15)
            }
        );
        assert_eq!(
            s.weights.SA,
            Weights {
                revenue: Pct(40),
                delivery: Pct(20),
                complaints: Pct(25),
                response: Pct(15)
            }
        );
        assert_eq!(
            s.sla_hours,
            PerSeverity {
                minor: 24,
                major: 8,
                critical: 2
            }
        );
        assert_eq!(
            s.penalty_bp,
            PerSeverity {
                minor: 0,
                major: 200,
                critical: 500
            }
        );
        assert_eq!(
            p.tiers,
            Tiers {
                gold_pct: Pct(10),
                silver_pct: Pct(30),
                bottom_pct: Pct(10)
            }
        );
        let cats = |a, b, c, d| PerCategory {
            basic_access: Bp(a),
            industry_info: Bp(b),
            platform_app: Bp(c),
            dev_project: Bp(d),
        };
        assert_eq!(p.si.share_bp, cats(5000, 7000, 7000, 8500));
        assert_eq!(
            p.si.tier_uplift_bp,
            PerTier {
                gold: Bp(200),
                silver: Bp(100),
                ..PerTier::default()
            }
        );
        assert_eq!(p.sa.base_bp, cats(300, 500, 600, 200));
        assert_eq!(p.sa.sales_bp, cats(800, 1000, 1200, 500));
        assert_eq!(p.sa.fee_fen_per_customer, 200);
        assert_eq!(
            p.sa.reward_bp,
            PerTier {
                gold: Bp(1000),
                silver: Bp(500),
                ..PerTier::default()
            }
        );
        assert_eq!(
            p.deduction_fen,
            PerSeverity {
                minor: 0,
                major: 5000,
                critical: 20000
            }
        );
    }

    fn broken(from: &str, to: &str) -> String {
        assert!(REFERENCE.contains(from), "{from}");
        Policy::parse(&REFERENCE.replacen(from, to, 1)).unwrap_err()
    }

    #[test]
    fn weights_must_sum_to_100() {
        let msg = broken("revenue = 30", "revenue = 31");
        assert!(msg.contains("scoring.weights.SI sum to 101"), "{msg}");
    }

    #[test]
    fn negative_rate_is_named() {
        let msg = broken("dev_project = 8500", "dev_project = -1");
        assert!(msg.contains("si.share_bp.dev_project is -1"), "{msg}");
    }

    #[test]
    fn a_percent_out_of_range_is_refused_as_it_is_read_and_named() {
        let msg = broken("alpha_pct = 50", "alpha_pct = 101");
        assert!(
            msg.contains("scoring.alpha_pct is 101, but it must be a percent in 0..=100"),
            "{msg}"
        );
        let msg = broken("gold_pct = 10", "gold_pct = -1");
        assert!(msg.contains("tiers.gold_pct is -1"), "{msg}");
        let msg = broken("gold = 1000", "gold = -5");
        assert!(
            msg.contains("sa.reward_bp.gold is -5, but it must not be negative"),
            "{msg}"
        );
    }

    const REFERENCE_V2: &str = include_str!("../../pipelines/policies/2027-01.toml");

    #[test]
    fn reference_v2_policy_holds_the_channel_values_of_section_20() {
        let p = Policy::parse(REFERENCE_V2).unwrap();
        assert_eq!(p.effective_from.to_string(), "2027-01");
        assert_eq!(p.catalog["MAS_FN"], "industry_info");
        assert_eq!(p.earner("MAS_FN"), Earner::Si);
        assert_eq!(p.earner("MAS"), Earner::Sa);
        assert_eq!(p.earner("VNET"), Earner::Both);
        assert_eq!(p.protection_days.get(), 180);
        assert_eq!(p.transition_months.get(), 3);
        assert_eq!(
            p.sa_kinds["customer_relationship"],
            ["basic_access", "platform_app"]
        );
        assert_eq!(
            p.sa_kinds["distribution"],
            ["basic_access", "industry_info", "platform_app"]
        );
        assert_eq!(p.sa_kinds["integration"], CATEGORIES);
        // A v1 policy has none of them: no channel rule applies.
        let v1 = Policy::parse(REFERENCE).unwrap();
        assert!(v1.earners.is_empty() && v1.sa_kinds.is_empty());
        assert_eq!(
            (v1.protection_days.get(), v1.transition_months.get()),
            (0, 0)
        );
    }

    fn broken_v2(from: &str, to: &str) -> String {
        assert!(REFERENCE_V2.contains(from), "{from}");
        Policy::parse(&REFERENCE_V2.replacen(from, to, 1)).unwrap_err()
    }

    #[test]
    fn channel_keys_are_checked_and_named() {
        let msg = broken_v2("MAS_FN = \"SI\"", "MAS_XX = \"SI\"");
        assert!(
            msg.contains("earners.MAS_XX names a product that is not in the catalog"),
            "{msg}"
        );
        let msg = broken_v2("MAS = \"SA\"", "MAS = \"ISV\"");
        assert!(msg.contains("unknown variant `ISV`"), "{msg}");
        let msg = broken_v2(
            "customer_relationship = [\"basic_access\", \"platform_app\"]",
            "customer_relationship = [\"basic_access\", \"platform\"]",
        );
        assert!(
            msg.contains("sa_kinds.customer_relationship lists category 'platform'"),
            "{msg}"
        );
        let msg = broken_v2("integration = [", "integrator = [");
        assert!(
            msg.contains("sa_kinds.integrator is not an SA kind"),
            "{msg}"
        );
        let msg = broken_v2("protection_days = 180", "protection_days = -1");
        assert!(
            msg.contains("protection_days is -1, but it must not be negative"),
            "{msg}"
        );
        let msg = broken_v2("transition_months = 3", "transition_months = -3");
        assert!(msg.contains("transition_months is -3"), "{msg}");
    }

    #[test]
    fn the_reference_v2_policy_derives_its_weights_from_judgments() {
        let p = Policy::parse(REFERENCE_V2).unwrap();
        let pct = |w: &Weights| [w.revenue, w.delivery, w.complaints, w.response].map(Pct::get);
        assert_eq!(pct(&p.scoring.weights.SI), [28, 47, 16, 9]);
        assert_eq!(pct(&p.scoring.weights.SA), [47, 16, 26, 11]);
        assert_eq!(p.clawback_months.get(), 3);
        assert!(p.carry_withheld);
        assert_eq!(p.forfeit_reasons, ["FRAUD", "TERMINATED"]);
        let bands: Vec<(i64, i64)> = p
            .si_revenue_bands
            .iter()
            .map(|b| (b.from_yuan.get(), b.uplift_bp.get()))
            .collect();
        assert_eq!(bands, [(0, 0), (1_000_000, 300), (5_000_000, 600)]);
    }

    #[test]
    fn money_over_time_keys_are_checked_and_named() {
        for bad in [
            "10", "0", "\"1/1\"", "\"1/10\"", "\"2/3\"", "\"x\"", "\"+3\"", "\"1/ 3\"",
        ] {
            let msg = broken_v2(
                "revenue_complaints = 2",
                &format!("revenue_complaints = {bad}"),
            );
            assert!(
                msg.contains("but a judgment is an integer 1 to 9 or 1/2 to 1/9"),
                "{bad}: {msg}"
            );
        }
        let msg = broken_v2(
            "[scoring.judgments.SA]",
            "[scoring.weights.SA]\nrevenue = 40\ndelivery = 20\ncomplaints = 25\nresponse = 15\n\n[scoring.judgments.SA]",
        );
        assert!(
            msg.contains("scoring.weights.SA and scoring.judgments.SA are both given"),
            "{msg}"
        );
        let msg = broken_v2("from_yuan = 0", "from_yuan = 100");
        assert!(
            msg.contains("si_revenue_bands must start at from_yuan = 0"),
            "{msg}"
        );
        let msg = broken_v2("from_yuan = 5000000", "from_yuan = 1000000");
        assert!(msg.contains("si_revenue_bands must ascend"), "{msg}");
        let msg = broken_v2("\"FRAUD\", \"TERMINATED\"", "\"FRAUD\", \"LATE\"");
        assert!(msg.contains("forfeit_reasons lists 'LATE'"), "{msg}");
        let msg = broken_v2("clawback_months = 3", "clawback_months = -1");
        assert!(msg.contains("clawback_months is -1"), "{msg}");
        let msg = broken_v2("clawback_months = 3", "clawback_months = 10000000");
        assert!(
            msg.contains("clawback_months is 10000000, but it must be at most 1200"),
            "{msg}"
        );
        // Revenue 9 times delivery, yet complaints 9 times revenue and
        // delivery 3 times complaints: far from consistent.
        let inconsistent = REFERENCE_V2
            .replacen("revenue_delivery = \"1/2\"", "revenue_delivery = 9", 1)
            .replacen("revenue_complaints = 2", "revenue_complaints = \"1/9\"", 1);
        let msg = Policy::parse(&inconsistent).unwrap_err();
        assert!(
            msg.starts_with("scoring.judgments.SI are inconsistent: consistency ratio"),
            "{msg}"
        );
        let lenient = Policy::parse_lenient(&inconsistent).unwrap();
        assert!(lenient.scoring.derived[0].resolved.solution.cr >= 0.10);
    }

    #[test]
    fn unknown_key_is_named() {
        let msg = broken("alpha_pct = 50", "alpha_pct = 50\nalpha_percent = 50");
        assert!(msg.contains("unknown field `alpha_percent`"), "{msg}");
    }

    #[test]
    fn missing_value_is_named() {
        let msg = broken("fee_fen_per_customer = 200", "");
        assert!(
            msg.contains("missing field `fee_fen_per_customer`"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_category_is_named() {
        let msg = broken("DEVPROJ = \"dev_project\"", "DEVPROJ = \"projects\"");
        assert!(
            msg.contains("catalog.DEVPROJ has category 'projects'"),
            "{msg}"
        );
    }
}
