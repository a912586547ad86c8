//! The clean lane of usage: a batch whose every row passes §2 steps 1–3 is
//! read straight from its columns into integers (partner position, product
//! number, customer key, day, fen) without building a checked frame.
//!
//! The lane only ever says "clean" or "not sure": any row it cannot prove
//! accepted sends the whole batch down the polars checks, which remain the
//! one place that names reject codes and details. So the lane may be
//! stricter than §2, never looser, and the outputs are the same either way
//! (tests run every fixture month through both).

use std::hash::BuildHasher;

use chrono::Datelike;
use foldhash::quality::FixedState;
use hashbrown::HashTable;
use polars::prelude::*;
use rayon::prelude::*;

use super::read::PRE;
use crate::columns::{AMOUNT, CUSTOMER_ID, PARTNER_ID, PRODUCT_CODE, RECORD_ID, USAGE_DATE};
use crate::error::{Error, Result};
use crate::period::Period;

/// One seed for every hash of a run: hashes of different batches compare.
const SEED: u64 = 0x5e77_1e00_c0de_2026;

/// Accepted usage rows as integers, in batch order.
#[derive(Default)]
pub struct Rows {
    /// Position of the partner in the accepted registry.
    pub partner: Vec<u32>,
    /// Position of the product in the catalog.
    pub product: Vec<u16>,
    /// The customer's key ([`Customers::keys`]), its lowest bit clear.
    pub customer: Vec<u128>,
    /// Days since 1970-01-01.
    pub day: Vec<i32>,
    /// Amount in fen.
    pub amount: Vec<i64>,
}

impl Rows {
    /// How many rows.
    pub fn len(&self) -> usize {
        self.partner.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.partner.is_empty()
    }
}

/// Texts to numbers, compared as texts. A text of up to 15 bytes is its own
/// 128-bit key (bytes and length), compared in one instruction with no
/// second memory access; longer ones are compared by hash, then bytes.
struct TextTable {
    table: HashTable<(u128, u32)>,
    long: Vec<Box<[u8]>>,
}

/// The top byte of a long text's key (an inline key's top byte is its
/// length, at most 15).
const LONG: u128 = 0xFF << 120;

/// The key of a text and its hash.
fn key_of(state: &FixedState, text: &[u8]) -> (Option<u128>, u64) {
    match inline_key(text) {
        (Some(key), _) => (Some(key), state.hash_one(key)),
        (None, text) => (None, state.hash_one(text)),
    }
}

/// A text of up to 15 bytes as its own key (its bytes, then its length in
/// the top byte); `None` and the text for a longer one.
fn inline_key(text: &[u8]) -> (Option<u128>, &[u8]) {
    if text.len() > 15 {
        return (None, text);
    }
    let mut bytes = [0u8; 16];
    bytes[..text.len()].copy_from_slice(text);
    bytes[15] = text.len() as u8;
    (Some(u128::from_le_bytes(bytes)), text)
}

impl TextTable {
    fn new() -> TextTable {
        TextTable {
            table: HashTable::new(),
            long: Vec::new(),
        }
    }

    fn get(&self, text: &[u8], key: Option<u128>, hash: u64) -> Option<u32> {
        match key {
            Some(key) => self.table.find(hash, |e| e.0 == key),
            None => self.table.find(hash, |e| {
                e.0 & LONG == LONG
                    && e.0 as u64 == hash
                    && *self.long[(e.0 >> 64) as u32 as usize] == *text
            }),
        }
        .map(|e| e.1)
    }

    /// Adds a text that [`TextTable::get`] did not find.
    fn insert(
        &mut self,
        state: &FixedState,
        text: &[u8],
        key: Option<u128>,
        hash: u64,
        value: u32,
    ) {
        let key = key.unwrap_or_else(|| {
            self.long.push(text.into());
            LONG | ((self.long.len() as u128 - 1) << 64) | u128::from(hash)
        });
        self.table.insert_unique(hash, (key, value), |e| {
            if e.0 & LONG == LONG {
                e.0 as u64
            } else {
                state.hash_one(e.0)
            }
        });
    }
}

/// Customer ids as exact keys: short ones are their own key, long ones are
/// interned to numbers, found by comparing their text, so counts of
/// distinct customers are exact.
///
/// A batch is interned partition by partition (the top bits of each
/// customer's hash pick one of [`PARTS`] tables), and partitions are
/// interned in parallel: no table is shared between threads.
pub struct Customers {
    parts: Vec<(TextTable, u32)>,
    state: FixedState,
}

/// Partitions of the customer tables (a customer's number keeps its
/// partition in the low bits).
const PART_BITS: u32 = 8;
const PARTS: usize = 1 << PART_BITS;

impl Default for Customers {
    fn default() -> Self {
        Customers {
            parts: (0..PARTS).map(|_| (TextTable::new(), 0)).collect(),
            state: FixedState::with_seed(SEED),
        }
    }
}

/// The low byte of a long customer's key (an inline key's is its length × 2,
/// at most 30).
const LONG_CUSTOMER: u128 = 0x80;

impl Customers {
    /// One key per customer, equal exactly when the texts are: a text of up
    /// to 15 bytes is its own key (bytes, then length × 2 in the low byte),
    /// with no table at all; a longer one is interned and keyed by its
    /// number. The lowest bit is left clear for the sums' held flag, so a
    /// customer's keys sort together, paid first.
    pub fn keys(&mut self, customers: &[&str]) -> Result<Vec<u128>> {
        let mut keys: Vec<u128> = customers
            .par_iter()
            .map(|c| {
                let c = c.as_bytes();
                if c.len() > 15 {
                    return 0;
                }
                let mut bytes = [0u8; 16];
                bytes[..c.len()].copy_from_slice(c);
                bytes[15] = (c.len() as u8) << 1;
                u128::from_be_bytes(bytes)
            })
            .collect();
        let long: Vec<usize> = (0..customers.len())
            .filter(|&i| customers[i].len() > 15)
            .collect();
        if !long.is_empty() {
            let texts: Vec<&str> = long.iter().map(|&i| customers[i]).collect();
            for (i, number) in long.into_iter().zip(self.intern(&texts)?) {
                keys[i] = u128::from(number) << 8 | LONG_CUSTOMER;
            }
        }
        Ok(keys)
    }

    /// The numbers of `customers`, in their order, each new one given one.
    fn intern(&mut self, customers: &[&str]) -> Result<Vec<u32>> {
        let state = &self.state;
        let keys: Vec<(Option<u128>, u64)> = customers
            .par_iter()
            .map(|c| key_of(state, c.as_bytes()))
            .collect();
        let part_of = |h: u64| (h >> (64 - PART_BITS)) as usize;
        // Rows grouped by partition (a counting sort of their positions).
        let mut starts = vec![0usize; PARTS + 1];
        for &(_, h) in &keys {
            starts[part_of(h) + 1] += 1;
        }
        for p in 0..PARTS {
            starts[p + 1] += starts[p];
        }
        let mut next = starts.clone();
        let mut order = vec![0u32; customers.len()];
        for (i, &(_, h)) in keys.iter().enumerate() {
            let p = part_of(h);
            order[next[p]] = i as u32;
            next[p] += 1;
        }
        let numbered: Vec<Vec<u32>> = self
            .parts
            .par_iter_mut()
            .enumerate()
            .map(|(p, (table, count))| {
                order[starts[p]..starts[p + 1]]
                    .iter()
                    .map(|&i| {
                        let (text, (key, hash)) =
                            (customers[i as usize].as_bytes(), keys[i as usize]);
                        let id = table.get(text, key, hash).unwrap_or_else(|| {
                            table.insert(state, text, key, hash, *count);
                            *count += 1;
                            *count - 1
                        });
                        id << PART_BITS | p as u32
                    })
                    .collect()
            })
            .collect();
        if self
            .parts
            .iter()
            .any(|(_, count)| *count >= 1 << (31 - PART_BITS))
        {
            return Err(Error::Usage(
                "more than 2^31 distinct customers in one month".into(),
            ));
        }
        let mut numbers = vec![0u32; customers.len()];
        for (p, ids) in numbered.into_iter().enumerate() {
            for (&i, id) in order[starts[p]..starts[p + 1]].iter().zip(ids) {
                numbers[i as usize] = id;
            }
        }
        Ok(numbers)
    }

    /// How many distinct customers so far.
    pub fn len(&self) -> usize {
        self.parts.iter().map(|(_, count)| *count as usize).sum()
    }

    /// Whether none was seen.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Partner ids to their registry positions, compared as texts.
struct Positions {
    table: TextTable,
    state: FixedState,
    /// The inline keys, in position order, when there are few and all are
    /// short (a catalog): a scan of a few keys beats hashing.
    few: Option<Vec<u128>>,
}

/// Up to this many short texts are scanned rather than hashed.
const FEW: usize = 16;

impl Positions {
    fn new(ids: impl Iterator<Item = String>) -> Positions {
        let state = FixedState::with_seed(SEED);
        let mut table = TextTable::new();
        let mut few = Some(Vec::new());
        for (at, id) in ids.enumerate() {
            let (key, hash) = key_of(&state, id.as_bytes());
            // Accepted partner ids are unique; were one not, its first
            // position would stand, as a join picks one.
            if table.get(id.as_bytes(), key, hash).is_none() {
                table.insert(&state, id.as_bytes(), key, hash, at as u32);
            }
            few = few.zip(key).map(|(mut few, key)| {
                few.push(key);
                few
            });
        }
        let few = few.filter(|f| f.len() <= FEW);
        Positions { table, state, few }
    }

    fn get(&self, id: &str) -> Option<u32> {
        if let Some(few) = &self.few {
            let (key, _) = inline_key(id.as_bytes());
            return key.and_then(|key| few.iter().position(|&k| k == key).map(|at| at as u32));
        }
        let (key, hash) = key_of(&self.state, id.as_bytes());
        self.table.get(id.as_bytes(), key, hash)
    }
}

/// The 64-bit hash of a record id that proves ids distinct (as many
/// distinct hashes as rows), the same for every batch of a run.
pub fn id_hash(id: &str) -> u64 {
    FixedState::with_seed(SEED).hash_one(id.as_bytes())
}

/// The [`id_hash`] of each record id (nulls are never accepted).
pub fn id_hashes(ids: &StringChunked) -> Vec<u64> {
    texts(ids).map(id_hash).collect()
}

/// What the lane needs to judge a usage row: the accepted partners, the
/// catalog and the period.
pub struct Lane {
    partners: Positions,
    products: Positions,
    year: i32,
    month: u32,
    /// Days since 1970-01-01 of the period's first day.
    first: i32,
    /// Days in the period.
    days: i32,
}

/// Where a frame's usage values come from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A batch as read: trimmed text, or typed Parquet values in `__t_<name>`
    /// for the columns named in the batch's typed list.
    Read,
    /// As `Read`, but text not yet trimmed (Parquet): trimmed here, value by
    /// value, so a clean batch is never copied to trim it.
    ReadUntrimmed,
    /// Rows the polars checks accepted: usage_date a Date, amount fen (Int64).
    Accepted,
}

enum Dates<'a> {
    Text(&'a StringChunked),
    Days(&'a Int32Chunked),
}

enum Amounts<'a> {
    Text(&'a StringChunked),
    Decimal(&'a Int128Chunked, u32),
    Fen(&'a Int64Chunked),
}

impl Lane {
    /// The lane of a period: `partner_ids` in registry order, `catalog` in
    /// the order products are numbered.
    pub fn new(period: Period, partner_ids: &Series, catalog: &Series) -> Result<Lane> {
        let err = || Error::polars("usage lane");
        let owned = |s: &Series| -> Result<Vec<String>> {
            Ok(s.str()
                .map_err(err())?
                .iter()
                .map(|v| v.unwrap_or("").to_owned())
                .collect())
        };
        if catalog.len() > usize::from(u16::MAX) {
            return Err(Error::Usage(format!(
                "a catalog of {} products: at most {} are supported",
                catalog.len(),
                u16::MAX
            )));
        }
        let partners = Positions::new(owned(partner_ids)?.into_iter());
        let products = Positions::new(owned(catalog)?.into_iter());
        let start = period.start();
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
        Ok(Lane {
            partners,
            products,
            year: start.year(),
            month: start.month(),
            first: (start - epoch).num_days() as i32,
            days: (period.end() - start).num_days() as i32 + 1,
        })
    }

    /// The rows of `frame` as integers when every one is accepted by steps
    /// 1–3, their record-id hashes appended to `ids`; `None` (and nothing
    /// appended, no customer interned) when any row might not be.
    pub fn read(
        &self,
        frame: &DataFrame,
        form: Form,
        typed: &[String],
        customers: &mut Customers,
        ids: &mut super::ids::IdHashes,
    ) -> Result<Option<Rows>> {
        let err = || Error::polars("usage lane");
        let height = frame.height();
        let trim = form == Form::ReadUntrimmed;
        if form != Form::Accepted {
            let pre = frame.column(PRE).map_err(err())?;
            if pre.null_count() != height {
                return Ok(None);
            }
        }
        let text = |name: &str| -> Result<Option<&StringChunked>> {
            let c = frame.column(name).map_err(err())?.str().map_err(err())?;
            Ok((c.null_count() == 0).then_some(c))
        };
        let is_typed = |name: &str| form != Form::Accepted && typed.iter().any(|t| t == name);
        let typed_column = |name: &str| -> Result<&Column> {
            frame.column(&super::checks::typed_col(name)).map_err(err())
        };
        let (Some(id), Some(partner), Some(customer), Some(product)) = (
            text(RECORD_ID)?,
            text(PARTNER_ID)?,
            text(CUSTOMER_ID)?,
            text(PRODUCT_CODE)?,
        ) else {
            return Ok(None);
        };
        let dates = if form == Form::Accepted || is_typed(USAGE_DATE) {
            let c = if form == Form::Accepted {
                frame.column(USAGE_DATE).map_err(err())?
            } else {
                typed_column(USAGE_DATE)?
            };
            if c.null_count() != 0 {
                return Ok(None);
            }
            Dates::Days(c.date().map_err(err())?.physical())
        } else {
            match text(USAGE_DATE)? {
                Some(t) => Dates::Text(t),
                None => return Ok(None),
            }
        };
        let amounts = if form == Form::Accepted {
            let c = frame.column(AMOUNT).map_err(err())?;
            if c.null_count() != 0 {
                return Ok(None);
            }
            Amounts::Fen(c.i64().map_err(err())?)
        } else if is_typed(AMOUNT) {
            let c = typed_column(AMOUNT)?;
            if c.null_count() != 0 {
                return Ok(None);
            }
            let d = c.decimal().map_err(err())?;
            Amounts::Decimal(d.physical(), d.scale() as u32)
        } else {
            match text(AMOUNT)? {
                Some(t) => Amounts::Text(t),
                None => return Ok(None),
            }
        };

        // Column by column: dates and amounts first, so a batch with a bad
        // one stops before any customer is interned.
        // Column by column, the columns in parallel; interning last, so a
        // batch with any doubtful value interns nothing.
        let days = || -> Option<Vec<i32>> {
            match dates {
                Dates::Text(t) => values(trim, t).map(|d| self.day_of(d)).collect(),
                Dates::Days(d) => d
                    .into_no_null_iter()
                    .map(|d| (d >= self.first && d < self.first + self.days).then_some(d))
                    .collect(),
            }
        };
        let fens = || -> Option<Vec<i64>> {
            match amounts {
                Amounts::Text(t) => values(trim, t).map(fen_of).collect(),
                Amounts::Decimal(d, scale) => d
                    .into_no_null_iter()
                    .map(|v| fen_of_decimal(v, scale))
                    .collect(),
                Amounts::Fen(f) => f
                    .into_no_null_iter()
                    .map(|f| (f >= 0).then_some(f))
                    .collect(),
            }
        };
        let hashes = || -> Option<Vec<u64>> {
            values(trim, id)
                .map(|id| (!id.is_empty()).then(|| id_hash(id)))
                .collect()
        };
        let names = || -> Option<Vec<&str>> {
            values(trim, customer)
                .map(|c| (!c.is_empty()).then_some(c))
                .collect()
        };
        let partners = || -> Option<Vec<u32>> {
            values(trim, partner)
                .map(|p| self.partners.get(p))
                .collect()
        };
        let products = || -> Option<Vec<u16>> {
            values(trim, product)
                .map(|p| self.products.get(p).map(|at| at as u16))
                .collect()
        };
        let ((day, amount), ((hashes, names), (partner, product))) = rayon::join(
            || rayon::join(days, fens),
            || {
                rayon::join(
                    || rayon::join(hashes, names),
                    || rayon::join(partners, products),
                )
            },
        );
        let (Some(day), Some(amount), Some(hashes), Some(names), Some(partner), Some(product)) =
            (day, amount, hashes, names, partner, product)
        else {
            return Ok(None);
        };
        let rows = Rows {
            partner,
            product,
            customer: customers.keys(&names)?,
            day,
            amount,
        };
        ids.extend(hashes)?;
        Ok(Some(rows))
    }

    /// Days since 1970-01-01 of a `YYYY-MM-DD` date inside the period;
    /// `None` for any other text (bad or out of the period alike).
    fn day_of(&self, text: &str) -> Option<i32> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let number = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        (year as i32 == self.year && month == self.month && day >= 1 && day as i32 <= self.days)
            .then(|| self.first + day as i32 - 1)
    }
}

/// The values of a text column without nulls, trimmed when `trim` (as CSV
/// fields are when split).
fn values(trim: bool, ca: &StringChunked) -> impl Iterator<Item = &str> {
    // Most values start and end with a visible ASCII character and need no
    // look at Unicode white space at all.
    let bare = |v: &str| {
        let b = v.as_bytes();
        b.first().is_some_and(u8::is_ascii_graphic) && b.last().is_some_and(u8::is_ascii_graphic)
    };
    texts(ca).map(move |v| if trim && !bare(v) { v.trim() } else { v })
}

/// The values of a text column without nulls, chunk by chunk.
fn texts(ca: &StringChunked) -> impl Iterator<Item = &str> {
    ca.downcast_iter().flat_map(|arr| arr.values_iter())
}

/// Fen of an amount of the shape `[0-9]{1,16}(\.[0-9]{1,2})?`; `None` for
/// anything else (bad, negative or with more decimals alike).
fn fen_of(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let (whole, cents) = match b.iter().position(|&c| c == b'.') {
        Some(at) => (&b[..at], &b[at + 1..]),
        None => (b, &b""[..]),
    };
    let has_point = whole.len() != b.len();
    if whole.is_empty() || whole.len() > 16 || (has_point && !(1..=2).contains(&cents.len())) {
        return None;
    }
    let digits = |d: &[u8]| -> Option<i64> {
        d.iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let cents = match cents.len() {
        0 => 0,
        1 => digits(cents)? * 10,
        _ => digits(cents)?,
    };
    Some(digits(whole)? * 100 + cents)
}

/// Fen of a non-negative Decimal with `scale` <= 2 that fits in an i64.
fn fen_of_decimal(value: i128, scale: u32) -> Option<i64> {
    if value < 0 || scale > 2 {
        return None;
    }
    value
        .checked_mul(10i128.pow(2 - scale))
        .and_then(|fen| i64::try_from(fen).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_the_accepted_shape_only() {
        assert_eq!(fen_of("0"), Some(0));
        assert_eq!(fen_of("12.5"), Some(1250));
        assert_eq!(fen_of("007.05"), Some(705));
        assert_eq!(fen_of("9999999999999999.99"), Some(999_999_999_999_999_999));
        for bad in [
            "",
            "1.",
            ".5",
            "-0",
            "-1",
            "1.500",
            "1.555",
            "+1",
            "1e3",
            " 1",
            "1,5",
            "12345678901234567",
            "1..2",
            "١",
        ] {
            assert_eq!(fen_of(bad), None, "{bad:?}");
        }
        assert_eq!(fen_of_decimal(1234, 2), Some(1234));
        assert_eq!(fen_of_decimal(12, 0), Some(1200));
        assert_eq!(fen_of_decimal(125, 1), Some(1250));
        assert_eq!(fen_of_decimal(-1, 2), None);
        assert_eq!(fen_of_decimal(i128::from(i64::MAX) + 1, 2), None);
    }

    #[test]
    fn dates_inside_the_period_only() {
        let p: Period = "2024-02".parse().unwrap();
        let ids = Series::new("ids".into(), ["P1"]);
        let lane = Lane::new(p, &ids, &Series::new("c".into(), ["X"])).unwrap();
        // 2024-02-01 is day 19754 since 1970-01-01.
        assert_eq!(lane.day_of("2024-02-01"), Some(19754));
        assert_eq!(lane.day_of("2024-02-29"), Some(19782));
        for bad in [
            "2024-02-30",
            "2024-2-01",
            "2024-03-01",
            "2024-01-31",
            "2024-02-00",
            "2024/02/01",
            "2024-02-01 00:00:00",
            "2023-02-01",
            "",
            "2024-02-1x",
        ] {
            assert_eq!(lane.day_of(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn customers_are_keyed_by_text() {
        let mut c = Customers::default();
        let long = "C".repeat(300);
        let longer = format!("{long}x");
        // 15 bytes is the longest inline key; 16 is interned.
        let (fifteen, sixteen) = ("D".repeat(15), "D".repeat(16));
        let first = c
            .keys(&["C1", "C2", "C1", &long, "C1\0", &fifteen, &sixteen])
            .unwrap();
        assert_eq!(first[0], first[2]);
        assert_ne!(first[0], first[1]);
        assert_ne!(first[0], first[4], "a trailing NUL is another text");
        assert_ne!(first[5], first[6]);
        let again = c.keys(&[&long, "C2", "C3", &longer, &sixteen]).unwrap();
        assert_eq!(again[0], first[3]);
        assert_eq!(again[1], first[1]);
        assert_eq!(again[4], first[6]);
        assert!(!first.contains(&again[2]) && !first.contains(&again[3]));
        // Only the texts of 16 bytes and more are interned.
        assert_eq!(c.len(), 3);
        assert!(first.iter().chain(&again).all(|k| k & 1 == 0));
    }
}
