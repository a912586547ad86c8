//! Pairwise judgments of the KPIs (层次分析法, SPEC §14) as a policy gives
//! them, and the weights they resolve to.

use std::fmt;

use serde::Deserialize;

use super::{Pct, Weights};
use crate::ahp::{self, Solution};

/// One judgment a_ij: an integer 1–9, or a reciprocal 1/k with k 2–9.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Judgment {
    /// k of `k` (then `reciprocal` is false) or of `1/k`.
    k: u8,
    reciprocal: bool,
}

impl Judgment {
    /// Its value: k, or 1 / k.
    pub fn value(self) -> f64 {
        if self.reciprocal {
            1.0 / f64::from(self.k)
        } else {
            f64::from(self.k)
        }
    }

    /// The judgment of the reversed pair, a_ji = 1 / a_ij (1 stays 1).
    pub fn inverse(self) -> Judgment {
        Judgment {
            k: self.k,
            reciprocal: !self.reciprocal && self.k != 1,
        }
    }

    fn parse(text: &str) -> Option<Judgment> {
        let text = text.trim();
        let (reciprocal, k) = match text.strip_prefix("1/") {
            Some(k) => (true, k),
            None => (false, text),
        };
        // Exactly `k` or `1/k`: no sign, no inner spaces.
        if k.len() != 1 || !k.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let k: u8 = k.parse().ok()?;
        let ok = if reciprocal {
            (2..=9).contains(&k)
        } else {
            (1..=9).contains(&k)
        };
        ok.then_some(Judgment { k, reciprocal })
    }
}

impl fmt::Display for Judgment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reciprocal {
            write!(f, "1/{}", self.k)
        } else {
            write!(f, "{}", self.k)
        }
    }
}

impl<'de> Deserialize<'de> for Judgment {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Judgment, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Judgment;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer 1 to 9 or a string \"1/k\" with k 2 to 9")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Judgment, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Judgment, E> {
                Judgment::parse(v).ok_or_else(|| {
                    E::custom(format!(
                        "is {v}, but a judgment is an integer 1 to 9 or 1/2 to 1/9"
                    ))
                })
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// The six judgments of one partner type: KPI i against KPI j, i before j
/// in the order revenue, delivery, complaints, response.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Judgments {
    /// Revenue against delivery.
    pub revenue_delivery: Judgment,
    /// Revenue against complaints.
    pub revenue_complaints: Judgment,
    /// Revenue against response.
    pub revenue_response: Judgment,
    /// Delivery against complaints.
    pub delivery_complaints: Judgment,
    /// Delivery against response.
    pub delivery_response: Judgment,
    /// Complaints against response.
    pub complaints_response: Judgment,
}

impl Judgments {
    /// (key, judgment) in the order of the matrix's upper triangle.
    pub fn pairs(&self) -> [(&'static str, Judgment); 6] {
        [
            ("revenue_delivery", self.revenue_delivery),
            ("revenue_complaints", self.revenue_complaints),
            ("revenue_response", self.revenue_response),
            ("delivery_complaints", self.delivery_complaints),
            ("delivery_response", self.delivery_response),
            ("complaints_response", self.complaints_response),
        ]
    }

    /// The weights they give (§14): the solution and the integer percents.
    pub fn resolve(&self) -> Resolved {
        let upper: Vec<f64> = self.pairs().iter().map(|(_, j)| j.value()).collect();
        let solution = ahp::solve(&ahp::matrix(4, &upper));
        let p = ahp::largest_remainder(&solution.weights, 100);
        Resolved {
            weights: Weights {
                revenue: Pct(p[0]),
                delivery: Pct(p[1]),
                complaints: Pct(p[2]),
                response: Pct(p[3]),
            },
            solution,
        }
    }
}

/// Judgments resolved to weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// The integer percents the rest of the run uses.
    pub weights: Weights,
    /// The priority vector, λmax, CI and CR.
    pub solution: Solution,
}
