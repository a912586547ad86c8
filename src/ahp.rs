//! The analytic hierarchy process (层次分析法, SPEC §14): weights from
//! pairwise judgments, for a matrix of any size n. The only floating-point
//! arithmetic of the program lives here, in exactly the operation order the
//! spec fixes, so two implementations agree to the bit; what leaves this
//! module are integers (percent or basis points by largest remainder).

/// Saaty's random consistency index for n = 1..=10 (n <= 2 is always
/// consistent).
const RANDOM_INDEX: [f64; 11] = [
    0.0, 0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
];

/// A consistency ratio at or above this fails the judgments.
pub const MAX_CR: f64 = 0.10;

/// The result of solving one judgment matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Solution {
    /// The priority vector (sums to 1).
    pub weights: Vec<f64>,
    /// The principal eigenvalue estimate.
    pub lambda_max: f64,
    /// Consistency index (λmax − n) / (n − 1).
    pub ci: f64,
    /// Consistency ratio CI / RI(n); 0 for n <= 2.
    pub cr: f64,
}

impl Solution {
    /// Whether the judgments are consistent enough to use (CR < 0.10).
    pub fn consistent(&self) -> bool {
        self.cr < MAX_CR
    }
}

/// The full matrix from the upper triangle: `upper[k]` is a_ij for the k-th
/// pair (i, j), i < j, in row order; a_ii = 1 and a_ji = 1 / a_ij.
// Both triangles are written by (i, j) index: an iterator would hide that.
#[allow(clippy::needless_range_loop)]
pub fn matrix(n: usize, upper: &[f64]) -> Vec<Vec<f64>> {
    assert_eq!(upper.len(), n * (n - 1) / 2, "one judgment per pair");
    let mut a = vec![vec![1.0; n]; n];
    let mut k = 0;
    for i in 0..n {
        for j in (i + 1)..n {
            a[i][j] = upper[k];
            a[j][i] = 1.0 / upper[k];
            k += 1;
        }
    }
    a
}

/// `A·w`, each sum from 0.0 with j ascending.
fn times(a: &[Vec<f64>], w: &[f64]) -> Vec<f64> {
    a.iter()
        .map(|row| {
            let mut v = 0.0;
            for (aij, wj) in row.iter().zip(w) {
                v += aij * wj;
            }
            v
        })
        .collect()
}

/// Power iteration from the uniform vector until no weight moves by 1e-12
/// (at most 1000 steps), then λmax, CI and CR, in the order of SPEC §14.
pub fn solve(a: &[Vec<f64>]) -> Solution {
    let n = a.len();
    let mut w = vec![1.0 / n as f64; n];
    for _ in 0..1000 {
        let v = times(a, &w);
        let mut s = 0.0;
        for vi in &v {
            s += vi;
        }
        let next: Vec<f64> = v.iter().map(|vi| vi / s).collect();
        let moved = next
            .iter()
            .zip(&w)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        w = next;
        if moved < 1e-12 {
            break;
        }
    }
    let v = times(a, &w);
    let mut ratio = 0.0;
    for (vi, wi) in v.iter().zip(&w) {
        ratio += vi / wi;
    }
    let lambda_max = ratio / n as f64;
    let (ci, cr) = if n <= 2 {
        (0.0, 0.0)
    } else {
        let ci = (lambda_max - n as f64) / (n as f64 - 1.0);
        (ci, ci / RANDOM_INDEX[n.min(10)])
    };
    Solution {
        weights: w,
        lambda_max,
        ci,
        cr,
    }
}

/// Integer shares of `total` by largest remainder: q_i = w_i·total, floors
/// first, then the missing units one each to the largest remainders (ties:
/// the earlier entry first).
pub fn largest_remainder(weights: &[f64], total: i64) -> Vec<i64> {
    let q: Vec<f64> = weights.iter().map(|w| w * total as f64).collect();
    let mut shares: Vec<i64> = q.iter().map(|x| x.floor() as i64).collect();
    let missing = total - shares.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..q.len()).collect();
    // Stable sort: equal remainders keep the earlier entry first.
    order.sort_by(|&x, &y| {
        let rx = q[x] - shares[x] as f64;
        let ry = q[y] - shares[y] as f64;
        ry.partial_cmp(&rx).unwrap_or(std::cmp::Ordering::Equal)
    });
    for &i in order.iter().take(missing.max(0) as usize) {
        shares[i] += 1;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §20's SI judgments (revenue, delivery, complaints, response).
    const SI: [f64; 6] = [0.5, 2.0, 3.0, 3.0, 4.0, 2.0];
    /// §20's SA judgments.
    const SA: [f64; 6] = [3.0, 2.0, 4.0, 0.5, 2.0, 2.0];

    #[test]
    fn the_reference_judgments_give_the_weights_the_spec_states() {
        let si = solve(&matrix(4, &SI));
        assert_eq!(largest_remainder(&si.weights, 100), [28, 47, 16, 9]);
        assert_eq!(format!("{:.3}", si.cr), "0.011");
        let sa = solve(&matrix(4, &SA));
        assert_eq!(largest_remainder(&sa.weights, 100), [47, 16, 26, 11]);
        assert_eq!(format!("{:.3}", sa.cr), "0.017");
        assert!(si.consistent() && sa.consistent());
    }

    #[test]
    fn a_consistent_matrix_of_any_size_gives_its_exact_weights() {
        // a_ij = x_i / x_j for x = (4, 2, 1, …): perfectly consistent, so
        // the weights are x normalised, λmax = n and CR = 0.
        for n in 2..=5 {
            let x: Vec<f64> = (0..n).map(|i| f64::from(1 << (n - 1 - i))).collect();
            let mut upper = vec![];
            for i in 0..n {
                for j in (i + 1)..n {
                    upper.push(x[i] / x[j]);
                }
            }
            let s = solve(&matrix(n, &upper));
            let total: f64 = x.iter().sum();
            for (w, xi) in s.weights.iter().zip(&x) {
                assert!((w - xi / total).abs() < 1e-12, "n = {n}");
            }
            assert!((s.lambda_max - n as f64).abs() < 1e-9, "n = {n}");
            assert!(s.cr.abs() < 1e-9, "n = {n}");
        }
    }

    /// Expected values from an independent script (Python floats, SPEC
    /// §14's operation order: j and i ascending from 0.0, stop below 1e-12),
    /// compared to the bit: two implementations of the spec must agree.
    #[test]
    fn matrices_of_size_2_to_5_give_the_independently_computed_bits() {
        // (n, upper triangle, weights, λmax, CR)
        type Case = (usize, &'static [f64], &'static [f64], f64, f64);
        let cases: [Case; 4] = [
            // 2×2, a_12 = 3: (3/4, 1/4) exactly; n <= 2 has CR 0.
            (2, &[3.0], &[0.75, 0.25], 2.0, 0.0),
            (
                3,
                &[2.0, 5.0, 3.0],
                &[0.5815520668515919, 0.3089956436328903, 0.1094522895155178],
                3.0036945980636394,
                0.0031849983307235905,
            ),
            // §22's group matrix.
            (
                4,
                &[2.0, 3.0, 4.0, 2.0, 3.0, 2.0],
                &[
                    0.46729598278091233,
                    0.27718059061096517,
                    0.16008847502439438,
                    0.09543495158372808,
                ],
                4.030983498297898,
                0.011475369739962236,
            ),
            // §22's business leaves.
            (
                5,
                &[0.5, 2.0, 1.0 / 3.0, 1.0, 3.0, 0.5, 2.0, 0.25, 0.5, 3.0],
                &[
                    0.1367315082288701,
                    0.24440341787473785,
                    0.07908561471392431,
                    0.4030479509535975,
                    0.1367315082288701,
                ],
                5.0331140255951095,
                0.007391523570336931,
            ),
        ];
        for (n, upper, weights, lambda_max, cr) in cases {
            let s = solve(&matrix(n, upper));
            assert_eq!(s.weights, weights, "n = {n}");
            assert_eq!(s.lambda_max, lambda_max, "n = {n}");
            assert_eq!(s.cr, cr, "n = {n}");
            assert!(s.consistent(), "n = {n}");
        }
        // Largest remainder to basis points, from the same script.
        let w = solve(&matrix(3, &[2.0, 5.0, 3.0])).weights;
        assert_eq!(largest_remainder(&w, 10000), [5815, 3090, 1095]);
        let w = solve(&matrix(5, cases[3].1)).weights;
        assert_eq!(largest_remainder(&w, 10000), [1367, 2444, 791, 4031, 1367]);
    }

    #[test]
    fn an_inconsistent_matrix_is_refused() {
        // Revenue ≫ delivery ≫ complaints, yet complaints ≫ revenue.
        let s = solve(&matrix(3, &[9.0, 1.0 / 9.0, 9.0]));
        assert!(!s.consistent(), "CR {}", s.cr);
    }

    #[test]
    fn largest_remainder_gives_ties_to_the_earlier_entry() {
        // 1/3 each of 100: 33.33… three times, one point left, to the first.
        assert_eq!(largest_remainder(&[1.0 / 3.0; 3], 100), [34, 33, 33]);
        assert_eq!(largest_remainder(&[0.5, 0.5], 100), [50, 50]);
        assert_eq!(largest_remainder(&[0.125, 0.875], 10000), [1250, 8750]);
    }
}
