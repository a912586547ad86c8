//! The `[admission]` table of a policy (SPEC §22, docs/policy.md): the
//! threshold, the quotas, and the pairwise judgments of the criteria
//! hierarchy, resolved when the file is read to the twelve global weights
//! in basis points that `settle admit` scores applicants with.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Judgment;
use crate::ahp::{self, Solution};
use crate::vocab::{Group, Leaf, PartnerType};

/// The judgments as written: matrix → row criterion → column criterion.
type JudgmentsFile = BTreeMap<String, BTreeMap<String, BTreeMap<String, Judgment>>>;

/// The key of the group matrix under `[admission.judgments]`.
pub const GROUPS: &str = "groups";

/// The `[admission]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdmissionFile {
    threshold_bp: i64,
    quota: QuotaFile,
    #[serde(default)]
    judgments: JudgmentsFile,
}

/// `[admission.quota]`: both types are required.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
struct QuotaFile {
    SI: i64,
    SA: i64,
}

/// One judgment matrix of the hierarchy, solved.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    /// `groups`, or the group whose leaves it compares.
    pub name: &'static str,
    /// Its criteria, in hierarchy order.
    pub criteria: Vec<&'static str>,
    /// a_ij for i < j in row order (the upper triangle).
    pub judgments: Vec<Judgment>,
    /// The priority vector, λmax, CI and CR.
    pub solution: Solution,
}

/// The admission rules of a policy, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Admission {
    /// Below this composite (bp) an applicant is not admitted.
    pub threshold_bp: i64,
    /// Applicants admitted per pool of integrators, at most (ties aside).
    pub quota_si: i64,
    /// Applicants admitted per pool of sales agents, at most (ties aside).
    pub quota_sa: i64,
    /// The group matrix, then each multi-leaf group's, in hierarchy order.
    pub matrices: Vec<Matrix>,
    /// Each leaf's global weight (group weight × local weight), leaf order.
    pub global: Vec<f64>,
    /// The global weights in basis points, summing to 10000, leaf order.
    pub weights_bp: Vec<i64>,
}

impl Admission {
    /// The quota of a partner type's pools.
    pub fn quota(&self, ty: PartnerType) -> i64 {
        match ty {
            PartnerType::Si => self.quota_si,
            PartnerType::Sa => self.quota_sa,
        }
    }

    /// Fails when a matrix has a consistency ratio of 0.10 or more.
    pub fn check_consistency(&self) -> Result<(), String> {
        match self.matrices.iter().find(|m| !m.solution.consistent()) {
            Some(m) => Err(format!(
                "admission.judgments.{} is inconsistent: consistency ratio {:.3} is not below 0.10",
                m.name, m.solution.cr
            )),
            None => Ok(()),
        }
    }
}

/// The matrices of the hierarchy: (key, criteria) for the groups and for
/// every group with more than one leaf.
fn matrix_shapes() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut shapes = vec![(GROUPS, Group::NAMES.to_vec())];
    for g in Group::ALL {
        let leaves = g.leaves();
        if leaves.len() > 1 {
            shapes.push((g.as_str(), leaves.iter().map(|l| l.as_str()).collect()));
        }
    }
    shapes
}

/// The upper triangle of matrix `name` from its judgments as written,
/// naming the first key that is missing, unknown or out of order.
fn upper_triangle(
    name: &str,
    criteria: &[&str],
    written: Option<&BTreeMap<String, BTreeMap<String, Judgment>>>,
) -> Result<Vec<Judgment>, String> {
    let key = format!("admission.judgments.{name}");
    let Some(rows) = written else {
        return Err(format!(
            "{key} is missing: it needs a judgment for each pair of {}",
            criteria.join(", ")
        ));
    };
    let position = |c: &str| criteria.iter().position(|x| *x == c);
    for (row, columns) in rows {
        let Some(i) = position(row) else {
            return Err(format!(
                "{key}.{row} is not a criterion of {name} (one of {})",
                criteria.join(", ")
            ));
        };
        for column in columns.keys() {
            match position(column) {
                None => {
                    return Err(format!(
                        "{key}.{row}.{column}: {column} is not a criterion of {name} (one of {})",
                        criteria.join(", ")
                    ));
                }
                Some(j) if j == i => {
                    return Err(format!(
                        "{key}.{row}.{column}: a criterion is not judged against itself"
                    ));
                }
                Some(j) if j < i => {
                    return Err(format!(
                        "{key}.{row}.{column}: {column} comes before {row}, so give the pair as \
                         {key}.{column}.{row} (k here is 1/k there)"
                    ));
                }
                Some(_) => {}
            }
        }
    }
    let mut upper = vec![];
    for (i, row) in criteria.iter().enumerate() {
        for column in &criteria[i + 1..] {
            let judgment = rows
                .get(*row)
                .and_then(|r| r.get(*column))
                .ok_or_else(|| format!("{key}.{row}.{column} is missing"))?;
            upper.push(*judgment);
        }
    }
    Ok(upper)
}

impl TryFrom<AdmissionFile> for Admission {
    type Error = String;

    fn try_from(f: AdmissionFile) -> Result<Admission, String> {
        if !(0..=10000).contains(&f.threshold_bp) {
            return Err(format!(
                "admission.threshold_bp is {}, but it must be 0 to 10000 basis points",
                f.threshold_bp
            ));
        }
        for (ty, quota) in [("SI", f.quota.SI), ("SA", f.quota.SA)] {
            if quota < 0 {
                return Err(format!(
                    "admission.quota.{ty} is {quota}, but it must not be negative"
                ));
            }
        }
        let shapes = matrix_shapes();
        if let Some(extra) = f
            .judgments
            .keys()
            .find(|k| !shapes.iter().any(|(name, _)| name == k))
        {
            return Err(format!(
                "admission.judgments.{extra} is not a matrix of the hierarchy (one of {}; \
                 a group of one leaf takes no judgments)",
                shapes
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let mut matrices = vec![];
        for (name, criteria) in shapes {
            let judgments = upper_triangle(name, &criteria, f.judgments.get(name))?;
            let values: Vec<f64> = judgments.iter().map(|j| j.value()).collect();
            let solution = ahp::solve(&ahp::matrix(criteria.len(), &values));
            matrices.push(Matrix {
                name,
                criteria,
                judgments,
                solution,
            });
        }
        let global = global_weights(&matrices);
        let weights_bp = ahp::largest_remainder(&global, 10000);
        Ok(Admission {
            threshold_bp: f.threshold_bp,
            quota_si: f.quota.SI,
            quota_sa: f.quota.SA,
            matrices,
            global,
            weights_bp,
        })
    }
}

/// A leaf's global weight: its group's weight times its local weight (1
/// for a group's single leaf), in leaf order.
fn global_weights(matrices: &[Matrix]) -> Vec<f64> {
    let groups = &matrices[0].solution.weights;
    Leaf::ALL
        .iter()
        .map(|leaf| {
            let group = leaf.group();
            let g = groups[group as usize];
            match matrices.iter().find(|m| m.name == group.as_str()) {
                Some(m) => {
                    let at = m
                        .criteria
                        .iter()
                        .position(|c| *c == leaf.as_str())
                        .expect("a leaf of its group's matrix");
                    g * m.solution.weights[at]
                }
                None => g,
            }
        })
        .collect()
}

impl<'de> Deserialize<'de> for Admission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Admission, D::Error> {
        let file = AdmissionFile::deserialize(d)?;
        Admission::try_from(file).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::Policy;

    const REFERENCE_V2: &str = include_str!("../../pipelines/policies/2027-01.toml");

    fn broken(from: &str, to: &str) -> String {
        assert!(REFERENCE_V2.contains(from), "{from}");
        Policy::parse(&REFERENCE_V2.replacen(from, to, 1)).unwrap_err()
    }

    #[test]
    fn the_reference_judgments_give_the_weights_worked_out_in_the_fixture() {
        // fixtures/admission/README.md derives these by hand.
        let p = Policy::parse(REFERENCE_V2).unwrap();
        let a = p.admission.unwrap();
        assert_eq!(
            a.weights_bp,
            [
                639, 1142, 370, 1883, 639, 826, 246, 826, 437, 437, 1601, 954
            ]
        );
        assert_eq!((a.threshold_bp, a.quota_si, a.quota_sa), (6000, 20, 50));
        let crs: Vec<String> = a
            .matrices
            .iter()
            .map(|m| format!("{} {:.3}", m.name, m.solution.cr))
            .collect();
        assert_eq!(crs, ["groups 0.011", "business 0.007", "capacity 0.003"]);
        // The v1 policy has no admission table; a settlement run needs none.
        let v1 = include_str!("../../pipelines/policies/2026-01.toml");
        assert!(Policy::parse(v1).unwrap().admission.is_none());
    }

    #[test]
    fn missing_judgments_are_named() {
        let msg = broken(
            "[admission.judgments.capacity.equipment]\nproduction = 1\n",
            "",
        );
        assert!(
            msg.contains("admission.judgments.capacity.equipment.production is missing"),
            "{msg}"
        );
        let capacity = REFERENCE_V2.find("[admission.judgments.capacity.").unwrap();
        let msg = Policy::parse(&REFERENCE_V2[..capacity]).unwrap_err();
        assert!(
            msg.contains("admission.judgments.capacity is missing: it needs a judgment for each pair of tech_cooperation"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_or_reversed_criteria_are_named() {
        let msg = broken("reputation = \"1/3\"", "reputaton = \"1/3\"");
        assert!(
            msg.contains("admission.judgments.business.business_analysis.reputaton: reputaton is not a criterion of business"),
            "{msg}"
        );
        let msg = broken(
            "[admission.judgments.business.reputation]",
            "[admission.judgments.business.reputation]\nbusiness_analysis = 3",
        );
        assert!(
            msg.contains("admission.judgments.business.reputation.business_analysis: business_analysis comes before reputation, so give the pair as admission.judgments.business.business_analysis.reputation"),
            "{msg}"
        );
        let msg = broken(
            "[admission.judgments.business.reputation]",
            "[admission.judgments.quality_system.quality_system]\nx = 2\n\n[admission.judgments.business.reputation]",
        );
        assert!(
            msg.contains("admission.judgments.quality_system is not a matrix of the hierarchy"),
            "{msg}"
        );
        let msg = broken(
            "[admission.judgments.groups.quality_system]",
            "[admission.judgments.groups.culture]\nenvironment = 2\n\n[admission.judgments.groups.quality_system]",
        );
        assert!(
            msg.contains("admission.judgments.groups.culture is not a criterion of groups"),
            "{msg}"
        );
    }

    #[test]
    fn quota_and_threshold_are_checked() {
        let msg = broken("SI = 20", "SI = -1");
        assert!(
            msg.contains("admission.quota.SI is -1, but it must not be negative"),
            "{msg}"
        );
        for bad in ["-1", "10001"] {
            let msg = broken("threshold_bp = 6000", &format!("threshold_bp = {bad}"));
            assert!(
                msg.contains(&format!(
                    "admission.threshold_bp is {bad}, but it must be 0 to 10000 basis points"
                )),
                "{msg}"
            );
        }
        let msg = broken("SA = 50\n", "");
        assert!(msg.contains("missing field `SA`"), "{msg}");
    }

    #[test]
    fn an_inconsistent_matrix_is_named_with_its_ratio() {
        // Transport quality 9 times reputation, against the other judgments.
        let text = REFERENCE_V2.replacen("reputation = \"1/4\"", "reputation = 9", 1);
        let msg = Policy::parse(&text).unwrap_err();
        assert!(
            msg.starts_with("admission.judgments.business is inconsistent: consistency ratio"),
            "{msg}"
        );
        // `settle weights` still reads it, to show it.
        let lenient = Policy::parse_lenient(&text).unwrap();
        assert!(!lenient.admission.unwrap().matrices[1].solution.consistent());
    }
}
