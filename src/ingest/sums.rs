//! Accepted usage summed under integer keys, batch by batch: amounts and
//! rows per (partner, product, hold), and each partner's distinct customers
//! as interned numbers, so a month of any size and any spread of customers
//! over partners is held as a few integers per (partner, customer) pair.

use foldhash::quality::FixedState;
use hashbrown::HashMap;
use polars::prelude::*;
use rayon::prelude::*;

use super::lane::Rows;
use super::prefetch::prefetch;
use super::{HOLD, UsageTotals};
use crate::columns::{AMOUNT, PARTNER_ID, PRODUCT_CODE};
use crate::error::{Error, Result};

/// The hold code that stands for "paid" in a key.
pub const PAID_CODE: u8 = u8::MAX;

/// Usage sums of a month so far.
pub struct Sums {
    products: u64,
    /// (partner × products + product) × 256 + hold → (fen, rows).
    amounts: Amounts,
    /// Per partner position: customer keys, + 1 when the row is held.
    customers: Vec<Vec<u128>>,
    /// Length of each list after its last compaction.
    compacted: Vec<u32>,
    /// The table [`compact`] works in.
    seen: Vec<u128>,
}

/// How many rows ahead [`Sums::add`] asks for the memory a row will touch.
const AHEAD: usize = 16;

/// Slots of the dense sums of paid rows: beyond this a registry × catalog
/// would waste memory, and a hash map is used.
const DENSE_SLOTS: u64 = 1 << 22;

/// Amount sums by key: paid rows in an array by (partner, product) when the
/// registry × catalog is small, and then held rows in blocks of
/// [`HOLD_CODES`] sums, one block per (partner, product) that has any;
/// otherwise (and for larger codes) in a hash map.
struct Amounts {
    paid: Option<Vec<(i128, i64)>>,
    /// Per (partner, product): its block in `held`, or [`NO_BLOCK`]; empty
    /// until the first held row.
    held_at: Vec<u32>,
    held: Vec<(i128, i64)>,
    keyed: HashMap<u64, (i128, i64), FixedState>,
}

/// Hold codes below this are summed in blocks (§12 has five).
const HOLD_CODES: usize = 8;

/// A (partner, product) with no held row yet.
const NO_BLOCK: u32 = u32::MAX;

impl Amounts {
    fn add(&mut self, key: u64, fen: i64) {
        let (at, code) = ((key >> 8) as usize, (key & 0xff) as u8);
        let sum = match &mut self.paid {
            Some(slots) if code == PAID_CODE => &mut slots[at],
            // A tenth of a v2 month's rows are held: hashing each cost more
            // than all the paid rows' sums.
            Some(slots) if usize::from(code) < HOLD_CODES => {
                if self.held_at.is_empty() {
                    self.held_at = vec![NO_BLOCK; slots.len()];
                }
                if self.held_at[at] == NO_BLOCK {
                    self.held_at[at] = (self.held.len() / HOLD_CODES) as u32;
                    self.held.resize(self.held.len() + HOLD_CODES, (0, 0));
                }
                &mut self.held[self.held_at[at] as usize * HOLD_CODES + usize::from(code)]
            }
            _ => self.keyed.entry(key).or_insert((0, 0)),
        };
        sum.0 += i128::from(fen);
        sum.1 += 1;
    }

    /// Asks for the memory [`Amounts::add`] will touch for `key`: a paid
    /// row's slot, or the block index of a held row.
    fn prefetch(&self, key: u64) {
        let (at, code) = ((key >> 8) as usize, (key & 0xff) as u8);
        match &self.paid {
            Some(slots) if code == PAID_CODE => prefetch(slots.as_ptr().wrapping_add(at)),
            Some(_) => prefetch(self.held_at.as_ptr().wrapping_add(at)),
            None => {}
        }
    }

    /// Asks for a held row's block, its index asked for earlier.
    fn prefetch_block(&self, key: u64) {
        let (at, code) = ((key >> 8) as usize, (key & 0xff) as u8);
        if code != PAID_CODE
            && let Some(&block) = self.held_at.get(at)
            && block != NO_BLOCK
        {
            let slot = block as usize * HOLD_CODES + usize::from(code);
            prefetch(self.held.as_ptr().wrapping_add(slot));
        }
    }

    /// The non-empty sums, by key.
    fn sorted(self) -> Vec<(u64, (i128, i64))> {
        let mut keys: Vec<_> = self.keyed.into_iter().collect();
        if let Some(slots) = self.paid {
            keys.extend(
                slots
                    .into_iter()
                    .enumerate()
                    .filter(|(_, s)| s.1 > 0)
                    .map(|(at, s)| ((at as u64) << 8 | u64::from(PAID_CODE), s)),
            );
        }
        let held = &self.held;
        keys.extend(
            (self.held_at.iter().enumerate())
                .filter(|(_, block)| **block != NO_BLOCK)
                .flat_map(|(at, &block)| {
                    let block = &held[block as usize * HOLD_CODES..][..HOLD_CODES];
                    (block.iter().enumerate())
                        .filter(|(_, s)| s.1 > 0)
                        .map(move |(code, &s)| ((at as u64) << 8 | code as u64, s))
                }),
        );
        keys.sort_unstable_by_key(|(k, _)| *k);
        keys
    }
}

impl Sums {
    /// Empty sums for a registry of `partners` and a catalog of `products`.
    pub fn new(partners: usize, products: usize) -> Sums {
        let slots = partners as u64 * products as u64;
        Sums {
            products: products as u64,
            amounts: Amounts {
                paid: (slots <= DENSE_SLOTS).then(|| vec![(0, 0); slots as usize]),
                held_at: Vec::new(),
                held: Vec::new(),
                keyed: HashMap::with_hasher(FixedState::with_seed(7)),
            },
            customers: vec![Vec::new(); partners],
            compacted: vec![0; partners],
            seen: Vec::new(),
        }
    }

    /// Adds accepted rows; `holds` gives each row's hold code ([`PAID_CODE`]
    /// when paid), `None` when every row is paid.
    pub fn add(&mut self, rows: &Rows, holds: Option<&[u8]>) {
        let n = rows.len();
        let key = |i: usize| {
            let hold = holds.map_or(PAID_CODE, |h| h[i]);
            ((u64::from(rows.partner[i]) * self.products + u64::from(rows.product[i])) << 8)
                | u64::from(hold)
        };
        for i in 0..n {
            // Each row lands on a random partner's sums and list, so nearly
            // every row waits on memory: ask for a later row's slots now.
            if i + AHEAD < n {
                self.amounts.prefetch(key(i + AHEAD));
                prefetch(
                    self.customers
                        .as_ptr()
                        .wrapping_add(rows.partner[i + AHEAD] as usize),
                );
            }
            if i + AHEAD / 2 < n {
                let list = &self.customers[rows.partner[i + AHEAD / 2] as usize];
                prefetch(list.as_ptr().wrapping_add(list.len()));
                self.amounts.prefetch_block(key(i + AHEAD / 2));
            }
            let (partner, key) = (rows.partner[i], key(i));
            let hold = key as u8;
            self.amounts.add(key, rows.amount[i]);
            let list = &mut self.customers[partner as usize];
            list.push(rows.customer[i] | u128::from(hold != PAID_CODE));
            // Keep a partner's list within twice its distinct customers: a
            // customer buying all month from one partner is held once. The
            // small floor matters when partners have tens of customers:
            // 1024 kept every row of a 20M-row month (330 MB).
            if list.len() >= 2 * self.compacted[partner as usize] as usize + 128 {
                compact(list, &mut self.seen);
                self.compacted[partner as usize] = list.len() as u32;
            }
        }
    }

    /// The month's totals, partners and products named by `partner_ids` and
    /// `catalog` (in position order).
    pub fn finish(mut self, partner_ids: &Series, catalog: &Series) -> Result<UsageTotals> {
        let err = || Error::polars("summing usage");
        (self.customers.par_iter_mut()).for_each_init(Vec::new, |seen, list| compact(list, seen));
        let ids = partner_ids.str().map_err(err())?;
        let codes = catalog.str().map_err(err())?;
        let name = |ca: &StringChunked, at: u64| ca.get(at as usize).unwrap_or("").to_owned();

        let keys = self.amounts.sorted();
        let (mut partner, mut product, mut hold, mut amount, mut rows) =
            (vec![], vec![], vec![], vec![], vec![]);
        for (key, (fen, n)) in keys {
            let (at, code) = (key >> 8, (key & 0xff) as u8);
            partner.push(name(ids, at / self.products));
            product.push(name(codes, at % self.products));
            hold.push((code != PAID_CODE).then_some(code));
            amount.push(fen);
            rows.push(n);
        }
        let by_product = DataFrame::new(
            partner.len(),
            vec![
                Column::new(PARTNER_ID.into(), partner),
                Column::new(PRODUCT_CODE.into(), product),
                Column::new(HOLD.into(), hold),
                Column::new(AMOUNT.into(), amount),
                Column::new("rows".into(), rows),
            ],
        )
        .map_err(err())?;

        let (mut partner, mut customers, mut paid) = (vec![], vec![], vec![]);
        for (at, list) in self.customers.iter().enumerate() {
            if list.is_empty() {
                continue;
            }
            partner.push(name(ids, at as u64));
            customers.push(list.len() as i64);
            paid.push(list.iter().filter(|&&c| c & 1 == 0).count() as i64);
        }
        let customers = DataFrame::new(
            partner.len(),
            vec![
                Column::new(PARTNER_ID.into(), partner),
                Column::new("customers".into(), customers),
                Column::new("paid_customers".into(), paid),
            ],
        )
        .map_err(err())?;
        Ok(UsageTotals {
            by_product,
            customers,
        })
    }
}

/// Each customer once, paid (low bit 0) when any of its entries is, in no
/// particular order. Deduplicated through `seen`, an open-addressing table
/// reused from call to call: sorting the lists was a tenth of a 20M-row
/// month's CPU.
fn compact(list: &mut Vec<u128>, seen: &mut Vec<u128>) {
    // No customer key is all ones: its low byte is a length × 2 or 0x80.
    const FREE: u128 = u128::MAX;
    let slots = (2 * list.len()).next_power_of_two().max(16);
    seen.clear();
    seen.resize(slots, FREE);
    let mask = slots - 1;
    for &entry in list.iter() {
        let mut at = mix(entry >> 1) as usize & mask;
        loop {
            let s = seen[at];
            if s == FREE {
                seen[at] = entry;
                break;
            }
            if s >> 1 == entry >> 1 {
                seen[at] = s & entry;
                break;
            }
            at = (at + 1) & mask;
        }
    }
    list.clear();
    list.extend(seen.iter().filter(|&&s| s != FREE));
}

/// A 64-bit mix of a customer key (a folded multiply of its halves).
fn mix(key: u128) -> u64 {
    let lo = key as u64 ^ 0x243F_6A88_85A3_08D3;
    let hi = (key >> 64) as u64 ^ 0x1319_8A2E_0370_7344;
    let product = u128::from(lo) * u128::from(hi);
    product as u64 ^ (product >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The totals of partners P0, P1 and products A, B.
    fn totals(sums: Sums) -> UsageTotals {
        let ids = Series::new("ids".into(), ["P0", "P1"]);
        let catalog = Series::new("c".into(), ["A", "B"]);
        sums.finish(&ids, &catalog).unwrap()
    }

    /// The amounts and row counts of `by_product`, in its order.
    fn amounts_and_rows(b: &DataFrame) -> (Vec<i128>, Vec<i64>) {
        let amounts = b.column(AMOUNT).unwrap().i128().unwrap();
        let rows = b.column("rows").unwrap().i64().unwrap();
        (
            amounts.into_no_null_iter().collect(),
            rows.into_no_null_iter().collect(),
        )
    }

    #[test]
    fn held_sums_in_blocks_and_in_the_map_beyond() {
        // Codes 0 and 7 go to blocks, 9 (no §12 reason has it) to the map.
        let rows = Rows {
            partner: vec![1, 0, 1, 0, 1],
            product: vec![0, 0, 0, 1, 0],
            customer: vec![2, 4, 2, 6, 8],
            day: vec![0; 5],
            amount: vec![5, 7, 11, 13, 17],
        };
        let mut sums = Sums::new(2, 2);
        sums.add(&rows, Some(&[9, 0, 9, 7, PAID_CODE]));
        let b = totals(sums).by_product;
        let text = |n: &str| -> Vec<String> {
            let c = b.column(n).unwrap().str().unwrap();
            c.iter().map(|v| v.unwrap().to_string()).collect()
        };
        assert_eq!(text(PARTNER_ID), ["P0", "P0", "P1", "P1"]);
        assert_eq!(text(PRODUCT_CODE), ["A", "B", "A", "A"]);
        let holds: Vec<Option<u8>> = b.column(HOLD).unwrap().u8().unwrap().iter().collect();
        assert_eq!(holds, [Some(0), Some(7), Some(9), None]);
        let (amounts, counts) = amounts_and_rows(&b);
        assert_eq!(amounts, [7, 13, 16, 17]);
        assert_eq!(counts, [1, 1, 2, 1]);
    }

    #[test]
    fn distinct_customers_and_paid_ones_per_partner() {
        let rows = Rows {
            partner: vec![0, 0, 0, 1, 1],
            product: vec![0, 1, 0, 1, 1],
            customer: vec![10, 10, 12, 10, 14],
            day: vec![0; 5],
            amount: vec![100, 250, 1, 7, 3],
        };
        let mut sums = Sums::new(2, 2);
        // Partner 1's customer 7 only held; partner 0's customer 6 held once
        // and paid in the second batch.
        sums.add(&rows, Some(&[PAID_CODE, PAID_CODE, 3, PAID_CODE, 3]));
        let again = Rows {
            partner: vec![0],
            product: vec![0],
            customer: vec![12],
            day: vec![0],
            amount: vec![10],
        };
        sums.add(&again, None);
        let totals = totals(sums);
        let c = &totals.customers;
        let col = |n: &str| -> Vec<i64> {
            c.column(n)
                .unwrap()
                .i64()
                .unwrap()
                .into_no_null_iter()
                .collect()
        };
        assert_eq!(col("customers"), [2, 2]);
        assert_eq!(col("paid_customers"), [2, 1]);
        let (amounts, rows) = amounts_and_rows(&totals.by_product);
        // Keys in order (a hold code sorts before paid, 255): P0/A hold 3 (1),
        // P0/A paid (100 + 10), P0/B paid (250), P1/B hold 3 (3), P1/B paid (7).
        assert_eq!(amounts, [1, 110, 250, 3, 7]);
        assert_eq!(rows, [1, 2, 1, 1, 1]);
    }

    #[test]
    fn long_lists_are_compacted_without_losing_a_paid_row() {
        let n = 5000;
        let rows = Rows {
            partner: vec![0; n],
            product: vec![0; n],
            customer: (0..n as u128).map(|i| i % 3 * 2).collect(),
            day: vec![0; n],
            amount: vec![1; n],
        };
        let holds: Vec<u8> = (0..n)
            .map(|i| if i == n - 1 { PAID_CODE } else { 1 })
            .collect();
        let mut sums = Sums::new(1, 1);
        sums.add(&rows, Some(&holds));
        let totals = sums
            .finish(
                &Series::new("i".into(), ["P"]),
                &Series::new("c".into(), ["A"]),
            )
            .unwrap();
        let c = &totals.customers;
        // The last row (customer (n-1) % 3 = 2) is the only paid one.
        assert_eq!(
            c.column("customers").unwrap().i64().unwrap().get(0),
            Some(3)
        );
        assert_eq!(
            c.column("paid_customers").unwrap().i64().unwrap().get(0),
            Some(1)
        );
    }
}
