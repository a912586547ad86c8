//! Partner selection and admission (SPEC §22) on accepted applicants: the
//! composite score from the policy's basis-point weights, pools, ranks and
//! decisions. Integers only: the floating-point AHP solve ended when the
//! policy was read ([`crate::policy::admission`]).

use polars::prelude::*;

use super::{lookup, window};
use crate::columns::*;
use crate::policy::{Admission, PoolScope};
use crate::vocab::{Decision, Leaf, PartnerType};

/// `composite_bp = (Σ_leaf weight_bp · score) div 100`: 0–10000 for scores
/// 0–100 and weights summing to 10000.
pub fn composite(weights_bp: &[i64]) -> Expr {
    Leaf::ALL
        .iter()
        .zip(weights_bp)
        .map(|(leaf, w)| lit(*w) * col(leaf.as_str()).cast(DataType::Int64))
        .reduce(|sum, term| sum + term)
        .expect("twelve leaves")
        .floor_div(lit(100i64))
}

/// Window keys of an admission pool: the partner type, and the province
/// when the policy ranks by province.
pub fn pool(scope: PoolScope) -> Vec<Expr> {
    let mut keys = vec![col(PARTNER_TYPE)];
    if scope == PoolScope::Province {
        keys.push(col(PROVINCE));
    }
    keys
}

/// The admission list: applicant_id, partner_type, province, composite_bp,
/// pool_size, rank, decision (Int64 numbers), sorted by applicant_id.
pub fn admissions(applicants: LazyFrame, rules: &Admission, scope: PoolScope) -> LazyFrame {
    let keys = pool(scope);
    // Ties share the better rank: 1 + applicants with a strictly higher composite.
    let rank = crate::expr::rank_desc(col(COMPOSITE_BP), &keys);
    let quota = lookup(
        col(PARTNER_TYPE),
        &[
            (PartnerType::Si.as_str(), rules.quota(PartnerType::Si)),
            (PartnerType::Sa.as_str(), rules.quota(PartnerType::Sa)),
        ],
        0,
    );
    let decision = when(col(COMPOSITE_BP).lt(lit(rules.threshold_bp)))
        .then(lit(Decision::BelowThreshold.as_str()))
        .when(col(RANK).lt_eq(quota))
        .then(lit(Decision::Admitted.as_str()))
        .otherwise(lit(Decision::OverQuota.as_str()));
    applicants
        .with_column(composite(&rules.weights_bp).alias(COMPOSITE_BP))
        .with_columns([
            window(len(), &keys).cast(DataType::Int64).alias(POOL_SIZE),
            rank.alias(RANK),
        ])
        .with_column(decision.alias(DECISION))
        .select([
            col(APPLICANT_ID),
            col(PARTNER_TYPE),
            col(PROVINCE),
            col(COMPOSITE_BP),
            col(POOL_SIZE),
            col(RANK),
            col(DECISION),
        ])
        .sort([APPLICANT_ID], SortMultipleOptions::default())
}

/// Column of [`pools`]: applicants in the pool.
pub const APPLICANTS: &str = "applicants";
/// Column of [`pools`]: the lowest composite admitted (null when none).
pub const LOWEST_ADMITTED_BP: &str = "lowest_admitted_bp";

/// Per pool of an admission list: partner_type (and province when pooled
/// by province), applicants, a count per decision (columns named as the
/// decisions) and the lowest admitted composite; sorted by the pool's keys.
pub fn pools(admissions: LazyFrame, scope: PoolScope) -> LazyFrame {
    let keys = pool(scope);
    let mut agg = vec![len().cast(DataType::Int64).alias(APPLICANTS)];
    agg.extend(Decision::ALL.iter().map(|d| {
        col(DECISION)
            .eq(lit(d.as_str()))
            .sum()
            .cast(DataType::Int64)
            .alias(d.as_str())
    }));
    agg.push(
        col(COMPOSITE_BP)
            .filter(col(DECISION).eq(lit(Decision::Admitted.as_str())))
            .min()
            .alias(LOWEST_ADMITTED_BP),
    );
    let names: Vec<PlSmallStr> = match scope {
        PoolScope::National => vec![PARTNER_TYPE.into()],
        PoolScope::Province => vec![PARTNER_TYPE.into(), PROVINCE.into()],
    };
    admissions
        .group_by(keys)
        .agg(agg)
        .sort(names, SortMultipleOptions::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Weights of 10000 bp on the first leaf alone: the composite is then
    /// 100 × that score, easy to read.
    fn rules(threshold_bp: i64, quota_si: i64, quota_sa: i64) -> Admission {
        let mut weights_bp = vec![0; 12];
        weights_bp[0] = 10000;
        Admission {
            threshold_bp,
            quota_si,
            quota_sa,
            matrices: vec![],
            global: vec![],
            weights_bp,
        }
    }

    fn applicants(rows: &[(&str, &str, &str, i64)]) -> LazyFrame {
        let mut columns = vec![
            Column::new(
                APPLICANT_ID.into(),
                rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            ),
            Column::new(
                PARTNER_TYPE.into(),
                rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            ),
            Column::new(
                PROVINCE.into(),
                rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            ),
        ];
        for (i, leaf) in Leaf::ALL.iter().enumerate() {
            let score = |r: &(&str, &str, &str, i64)| if i == 0 { r.3 } else { 7 };
            columns.push(Column::new(
                leaf.as_str().into(),
                rows.iter().map(score).collect::<Vec<_>>(),
            ));
        }
        DataFrame::new(rows.len(), columns).unwrap().lazy()
    }

    fn rows(df: &DataFrame) -> Vec<String> {
        (0..df.height())
            .map(|i| {
                df.columns()
                    .iter()
                    .map(|c| c.get(i).unwrap().to_string().trim_matches('"').to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn the_composite_is_the_weighted_sum_divided_by_100_rounding_down() {
        // 3333 bp on a score of 1 and 6667 bp on a score of 7 (the helper's
        // other scores): (3333 + 46669) div 100 = 500, not 500.02.
        let mut weights = vec![0; 12];
        weights[0] = 3333;
        weights[1] = 6667;
        let out = applicants(&[("a", "SI", "GD", 1)])
            .select([composite(&weights).alias(COMPOSITE_BP)])
            .collect()
            .unwrap();
        assert_eq!(rows(&out), ["500"]);
    }

    #[test]
    fn ties_share_the_better_rank_and_are_both_admitted_at_the_quota() {
        // SA pool: 90, 80, 80, 70 → ranks 1, 2, 2, 4; quota 2 admits the
        // tie at rank 2, and 70 is over quota though above the threshold.
        let list = admissions(
            applicants(&[
                ("a1", "SA", "GD", 90),
                ("a2", "SA", "BJ", 80),
                ("a3", "SA", "GD", 80),
                ("a4", "SA", "GD", 70),
                ("a5", "SA", "GD", 59),
                ("s1", "SI", "BJ", 60),
            ]),
            &rules(6000, 5, 2),
            PoolScope::National,
        )
        .collect()
        .unwrap();
        assert_eq!(
            rows(&list),
            [
                "a1 SA GD 9000 5 1 admitted",
                "a2 SA BJ 8000 5 2 admitted",
                "a3 SA GD 8000 5 2 admitted",
                "a4 SA GD 7000 5 4 over_quota",
                "a5 SA GD 5900 5 5 below_threshold",
                "s1 SI BJ 6000 1 1 admitted",
            ]
        );
        let pools = pools(list.lazy(), PoolScope::National).collect().unwrap();
        assert_eq!(rows(&pools), ["SA 5 3 1 1 8000", "SI 1 1 0 0 6000"]);
    }

    #[test]
    fn provinces_split_the_pools_when_the_policy_says_so() {
        let list = admissions(
            applicants(&[
                ("a1", "SA", "GD", 90),
                ("a2", "SA", "BJ", 80),
                ("a3", "SA", "GD", 80),
            ]),
            &rules(6000, 0, 1),
            PoolScope::Province,
        )
        .collect()
        .unwrap();
        assert_eq!(
            rows(&list),
            [
                "a1 SA GD 9000 2 1 admitted",
                "a2 SA BJ 8000 1 1 admitted",
                "a3 SA GD 8000 2 2 over_quota",
            ]
        );
        let pools = pools(list.lazy(), PoolScope::Province).collect().unwrap();
        assert_eq!(rows(&pools), ["SA BJ 1 1 0 0 8000", "SA GD 2 1 0 1 9000"]);
    }

    #[test]
    fn a_quota_of_zero_admits_nobody() {
        let list = admissions(
            applicants(&[("s1", "SI", "GD", 100)]),
            &rules(0, 0, 5),
            PoolScope::National,
        )
        .collect()
        .unwrap();
        assert_eq!(rows(&list), ["s1 SI GD 10000 1 1 over_quota"]);
        let pools = pools(list.lazy(), PoolScope::National).collect().unwrap();
        assert_eq!(rows(&pools), ["SI 1 0 0 1 null"]);
    }
}
