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
use polars_arrow::array::View;
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
    /// The long texts, each as its length (4 bytes) then its bytes, one
    /// after the other: a key holds its text's offset, so a lookup reads
    /// one place, not a pointer and then a box.
    long: Vec<u8>,
}

/// Bits of a long key that hold its text's offset in its table's buffer of
/// long texts (between the top byte and the 64-bit hash).
const OFFSET_BITS: u32 = 56;

/// Appends a long text (its length, then its bytes) to `long`; its key.
fn push_long(long: &mut Vec<u8>, text: &[u8], hash: u64) -> u128 {
    let at = long.len() as u128;
    long.extend_from_slice(&(text.len() as u32).to_le_bytes());
    long.extend_from_slice(text);
    LONG | at << 64 | u128::from(hash)
}

/// Where a long key's text starts in its buffer.
fn long_offset(key: u128) -> usize {
    ((key >> 64) & ((1 << OFFSET_BITS) - 1)) as usize
}

/// The text of a long key, from its table's buffer of long texts.
fn long_text(long: &[u8], key: u128) -> &[u8] {
    let at = long_offset(key);
    let len = u32::from_le_bytes(long[at..at + 4].try_into().expect("4 bytes"));
    &long[at + 4..at + 4 + len as usize]
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

/// A customer's key from its inline key: the text's bytes from the top
/// (so keys sort like texts), its length × 2 in the low byte and the lowest
/// bit clear.
fn customer_key(inline: u128) -> u128 {
    let len = inline >> 120;
    inline.swap_bytes() & !0xff | len << 1
}

/// The key [`Customers::keys`] gives a customer id of up to 15 bytes;
/// `None` for a longer one (its key is a number given as it is first seen).
pub fn customer_key_of(text: &str) -> Option<u128> {
    inline_key(text.as_bytes()).0.map(customer_key)
}

/// Whether a customer key stands for a long id (see [`customer_key_of`]).
pub fn is_long_customer(key: u128) -> bool {
    key & 0xff == LONG_CUSTOMER
}

/// A text value as the lane reads it.
#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    /// A text of at most 12 bytes that needs no trimming, as its
    /// [`inline_key`], read from its view without touching its bytes.
    Key(u128),
    /// Any other text, trimmed when asked.
    Text(&'a str),
}

impl Value<'_> {
    /// Whether the text is empty.
    fn is_empty(&self) -> bool {
        match self {
            Value::Key(key) => key >> 120 == 0,
            Value::Text(t) => t.is_empty(),
        }
    }
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
                e.0 & LONG == LONG && e.0 as u64 == hash && long_text(&self.long, e.0) == text
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
        let key = key.unwrap_or_else(|| push_long(&mut self.long, text, hash));
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

/// How many rows ahead interning asks for a customer's text.
const AHEAD_TEXTS: usize = 8;

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
    pub fn keys(&mut self, customers: &[Value]) -> Result<Vec<u128>> {
        let mut keys: Vec<u128> = customers
            .par_iter()
            .map(|c| match *c {
                Value::Key(key) => customer_key(key),
                Value::Text(c) => inline_key(c.as_bytes()).0.map_or(0, customer_key),
            })
            .collect();
        let (long, texts): (Vec<usize>, Vec<&str>) = (customers.iter().enumerate())
            .filter_map(|(i, c)| match *c {
                Value::Text(c) if c.len() > 15 => Some((i, c)),
                _ => None,
            })
            .unzip();
        if !long.is_empty() {
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
                let rows = &order[starts[p]..starts[p + 1]];
                (0..rows.len())
                    .map(|j| {
                        // A partition's rows are scattered over the batch:
                        // ask for a later row's text before it is compared.
                        if let Some(&ahead) = rows.get(j + AHEAD_TEXTS) {
                            super::prefetch::prefetch(customers[ahead as usize].as_ptr());
                        }
                        let i = rows[j];
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
    /// Every id, in a table [`Positions::get_all`] can prefetch.
    table: IdTable,
    state: FixedState,
    /// The inline keys, in position order, when there are few and all are
    /// short (a catalog): a scan of a few keys beats hashing.
    few: Option<Vec<u128>>,
}

/// Up to this many short texts are scanned rather than hashed.
const FEW: usize = 16;

/// Rows whose table slots are asked for before the first of them is looked
/// up: a registry is larger than the cache, so each lookup waits on memory.
const CHUNK: usize = 32;

/// A value on its way through [`Positions::get_all`]: its text (for a long
/// one), its inline key if it has one, and its hash.
type Pending<'a> = (&'a [u8], Option<u128>, u64);

impl Positions {
    fn new(ids: Vec<String>) -> Positions {
        let state = FixedState::with_seed(SEED);
        let mut table = IdTable::with_room(ids.len());
        let mut short = Vec::new();
        let mut all_short = true;
        for (at, id) in ids.iter().enumerate() {
            let (key, hash) = key_of(&state, id.as_bytes());
            // Accepted partner ids are unique; were one not, its first
            // position would stand, as a join picks one.
            if table.insert(id.as_bytes(), key, hash, at as u32) {
                all_short &= key.is_some();
                short.extend(key);
            }
        }
        let few = (all_short && short.len() <= FEW).then_some(short);
        Positions { table, state, few }
    }

    /// The position of every value; `None` as soon as one is not an id.
    fn get_all<'a>(
        &self,
        n: usize,
        mut values: impl Iterator<Item = Value<'a>>,
    ) -> Option<Vec<u32>> {
        let mut out = Vec::with_capacity(n);
        if self.few.is_some() {
            values.try_for_each(|value| {
                out.push(self.get(value)?);
                Some(())
            })?;
            return Some(out);
        }
        let mut chunk: [Pending; CHUNK] = [(&[], None, 0); CHUNK];
        let mut filled = 0;
        // Driven from inside (`try_for_each`): the values come chunk by
        // chunk of a column, and stepping such an iterator from outside
        // costs a check of where it is on every value.
        values.try_for_each(|value| {
            let pending = match value {
                Value::Key(key) => (&[][..], Some(key), self.state.hash_one(key)),
                Value::Text(text) => {
                    let (key, hash) = key_of(&self.state, text.as_bytes());
                    (text.as_bytes(), key, hash)
                }
            };
            self.table.prefetch(pending.2);
            chunk[filled] = pending;
            filled += 1;
            if filled == CHUNK {
                self.resolve(&chunk, &mut out)?;
                filled = 0;
            }
            Some(())
        })?;
        self.resolve(&chunk[..filled], &mut out)?;
        Some(out)
    }

    /// Looks a chunk up: first asking for the texts of the long ids its
    /// slots (asked for earlier) point to, then comparing.
    fn resolve(&self, chunk: &[Pending], out: &mut Vec<u32>) -> Option<()> {
        for &(_, key, hash) in chunk {
            if key.is_none() {
                self.table.prefetch_text(hash);
            }
        }
        for &(text, key, hash) in chunk {
            out.push(self.table.find(text, key, hash)?);
        }
        Some(())
    }

    fn get(&self, id: Value) -> Option<u32> {
        let (text, key, hash) = match id {
            Value::Key(key) => (&[][..], Some(key), None),
            Value::Text(text) => {
                let (key, hash) = key_of(&self.state, text.as_bytes());
                (text.as_bytes(), key, Some(hash))
            }
        };
        match (&self.few, key) {
            (Some(few), Some(key)) => few.iter().position(|&k| k == key).map(|at| at as u32),
            (Some(_), None) => None,
            (None, key) => {
                let hash = hash.unwrap_or_else(|| self.state.hash_one(key));
                self.table.find(text, key, hash)
            }
        }
    }
}

/// Ids to numbers by open addressing in two flat arrays, so a lookup's
/// slot can be prefetched. A short id's key is its inline key; a long one's
/// is [`LONG`], its text's offset in `long` and its hash, and its text is
/// compared. Key 0 (the empty text) marks a free slot and is never found.
struct IdTable {
    keys: Vec<u128>,
    values: Vec<u32>,
    mask: usize,
    long: Vec<u8>,
}

impl IdTable {
    /// A table with room for `n` ids.
    fn with_room(n: usize) -> IdTable {
        let slots = (2 * n).next_power_of_two().max(16);
        IdTable {
            keys: vec![0; slots],
            values: vec![0; slots],
            mask: slots - 1,
            long: Vec::new(),
        }
    }

    /// Adds an id unless it is there; whether it was added.
    fn insert(&mut self, text: &[u8], key: Option<u128>, hash: u64, value: u32) -> bool {
        if self.find(text, key, hash).is_some() {
            return false;
        }
        let key = key.unwrap_or_else(|| push_long(&mut self.long, text, hash));
        let mut at = hash as usize & self.mask;
        while self.keys[at] != 0 {
            at = (at + 1) & self.mask;
        }
        self.keys[at] = key;
        self.values[at] = value;
        true
    }

    fn prefetch(&self, hash: u64) {
        super::prefetch::prefetch(self.keys.as_ptr().wrapping_add(hash as usize & self.mask));
    }

    /// Asks for the text of the long id in `hash`'s first slot.
    fn prefetch_text(&self, hash: u64) {
        let key = self.keys[hash as usize & self.mask];
        if key & LONG == LONG {
            super::prefetch::prefetch(self.long.as_ptr().wrapping_add(long_offset(key)));
        }
    }

    fn find(&self, text: &[u8], key: Option<u128>, hash: u64) -> Option<u32> {
        let mut at = hash as usize & self.mask;
        loop {
            let k = self.keys[at];
            if k == 0 {
                return None;
            }
            let found = match key {
                Some(key) => k == key,
                None => k & LONG == LONG && k as u64 == hash && long_text(&self.long, k) == text,
            };
            if found {
                return Some(self.values[at]);
            }
            at = (at + 1) & self.mask;
        }
    }
}

/// The 64-bit hash of a record id that proves ids distinct (as many
/// distinct hashes as rows), the same for every batch of a run.
pub fn id_hash(id: &str) -> u64 {
    key_of(&FixedState::with_seed(SEED), id.as_bytes()).1
}

/// [`id_hash`] of a value as the lane reads it.
fn value_hash(state: &FixedState, id: Value) -> u64 {
    match id {
        Value::Key(key) => state.hash_one(key),
        Value::Text(text) => key_of(state, text.as_bytes()).1,
    }
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
        let partners = Positions::new(owned(partner_ids)?);
        let products = Positions::new(owned(catalog)?);
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
                Dates::Text(t) => all(height, values(trim, t).map(|d| self.day_of(d))),
                Dates::Days(d) => all(
                    height,
                    d.into_no_null_iter()
                        .map(|d| (d >= self.first && d < self.first + self.days).then_some(d)),
                ),
            }
        };
        let fens = || -> Option<Vec<i64>> {
            match amounts {
                Amounts::Text(t) => all(height, values(trim, t).map(fen_of)),
                Amounts::Decimal(d, scale) => all(
                    height,
                    d.into_no_null_iter().map(|v| fen_of_decimal(v, scale)),
                ),
                Amounts::Fen(f) => {
                    all(height, f.into_no_null_iter().map(|f| (f >= 0).then_some(f)))
                }
            }
        };
        let hashes = || -> Option<Vec<u64>> {
            let state = FixedState::with_seed(SEED);
            all(
                height,
                read_values(trim, id).map(|id| (!id.is_empty()).then(|| value_hash(&state, id))),
            )
        };
        let names = || -> Option<Vec<Value>> {
            all(
                height,
                read_values(trim, customer).map(|c| (!c.is_empty()).then_some(c)),
            )
        };
        let partners =
            || -> Option<Vec<u32>> { self.partners.get_all(height, read_values(trim, partner)) };
        let products = || -> Option<Vec<u16>> {
            all(
                height,
                read_values(trim, product).map(|p| self.products.get(p).map(|at| at as u16)),
            )
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

/// The `n` values of `values` when none is `None`: collected into a vector
/// sized once (collecting `Option`s would grow it from nothing, copying).
fn all<T>(n: usize, mut values: impl Iterator<Item = Option<T>>) -> Option<Vec<T>> {
    let mut out = Vec::with_capacity(n);
    // Driven from inside, as in [`Positions::get_all`].
    values.try_for_each(|value| {
        out.push(value?);
        Some(())
    })?;
    Some(out)
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

/// The values of a text column without nulls as [`Value`]s: a short text
/// that needs no trim is keyed from its view alone (the view's unused bytes
/// are masked, not trusted to be zero), any other is read and trimmed when
/// `trim`.
fn read_values(trim: bool, ca: &StringChunked) -> impl Iterator<Item = Value<'_>> {
    ca.downcast_iter().flat_map(move |arr| {
        arr.views().iter().enumerate().map(move |(i, view)| {
            if let Some(key) = view_key(*view, trim) {
                return Value::Key(key);
            }
            let text = arr.value(i);
            Value::Text(if trim { text.trim() } else { text })
        })
    })
}

/// The [`inline_key`] of an inline view's text, when it needs no trim
/// (`trim` asks for one): its bytes straight from the view, masked to its
/// length.
fn view_key(view: View, trim: bool) -> Option<u128> {
    let len = view.length;
    if len > View::MAX_INLINE_SIZE {
        return None;
    }
    let bytes = (view.as_u128() >> 32) & ((1u128 << (8 * len)) - 1);
    // Trimming changes nothing when the first and last bytes are visible
    // ASCII.
    let bare = |b: u128| (b as u8).is_ascii_graphic();
    (!trim || (len > 0 && bare(bytes) && bare(bytes >> (8 * (len - 1)))))
        .then_some(bytes | u128::from(len) << 120)
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
        fn text<'a>(t: &[&'a str]) -> Vec<Value<'a>> {
            t.iter().map(|&t| Value::Text(t)).collect()
        }
        let first = c
            .keys(&text(&[
                "C1", "C2", "C1", &long, "C1\0", &fifteen, &sixteen,
            ]))
            .unwrap();
        assert_eq!(first[0], first[2]);
        assert_ne!(first[0], first[1]);
        assert_ne!(first[0], first[4], "a trailing NUL is another text");
        assert_ne!(first[5], first[6]);
        let again = c
            .keys(&text(&[&long, "C2", "C3", &longer, &sixteen]))
            .unwrap();
        assert_eq!(again[0], first[3]);
        assert_eq!(again[1], first[1]);
        assert_eq!(again[4], first[6]);
        assert!(!first.contains(&again[2]) && !first.contains(&again[3]));
        // Only the texts of 16 bytes and more are interned.
        assert_eq!(c.len(), 3);
        assert!(first.iter().chain(&again).all(|k| k & 1 == 0));
    }

    fn key(text: &str) -> u128 {
        inline_key(text.as_bytes()).0.unwrap()
    }

    #[test]
    fn views_give_the_keys_of_their_texts() {
        let twelve = "ABCDEFGHIJKL";
        let thirteen = "ABCDEFGHIJKLM";
        let ca = StringChunked::from_slice(
            "v".into(),
            &["P1", "", twelve, thirteen, " P1", "P1 ", "\u{3000}X", "a b"],
        );
        let got: Vec<String> = read_values(true, &ca).map(|v| format!("{v:?}")).collect();
        let want: Vec<String> = [
            Value::Key(key("P1")),
            Value::Text(""),
            Value::Key(key(twelve)),
            Value::Text(thirteen),
            Value::Text("P1"),
            Value::Text("P1"),
            Value::Text("X"),
            Value::Key(key("a b")),
        ]
        .iter()
        .map(|v| format!("{v:?}"))
        .collect();
        assert_eq!(got, want);
        // Untrimmed (CSV fields come trimmed): every inline text is a key.
        let untrimmed: Vec<String> = read_values(false, &ca).map(|v| format!("{v:?}")).collect();
        assert_eq!(untrimmed[1], format!("{:?}", Value::Key(0)));
        assert_eq!(untrimmed[4], format!("{:?}", Value::Key(key(" P1"))));
        assert!(Value::Key(0).is_empty() && !Value::Key(key("P1")).is_empty());
        // Whatever a writer left in a view's unused bytes, the key is the text's.
        let dirty = View {
            length: 2,
            prefix: u32::from_le_bytes([b'a', b'b', 0xAA, 0xBB]),
            buffer_idx: 0xDEAD,
            offset: 7,
        };
        assert_eq!(view_key(dirty, false), Some(key("ab")));
        assert_eq!(view_key(dirty, true), Some(key("ab")));
    }

    #[test]
    fn customer_keys_are_the_same_from_a_view_or_a_text() {
        let mut c = Customers::default();
        let texts = ["C1", "C10", "C2", "ABCDEFGHIJKL"];
        let from_views: Vec<Value> = texts.iter().map(|t| Value::Key(key(t))).collect();
        let from_texts: Vec<Value> = texts.iter().map(|&t| Value::Text(t)).collect();
        let (a, b) = (c.keys(&from_views).unwrap(), c.keys(&from_texts).unwrap());
        assert_eq!(a, b);
        // Keys sort like their texts: "C1" < "C10" < "C2".
        assert!(a[0] < a[1] && a[1] < a[2]);
        assert_eq!(
            a[0],
            u128::from_be_bytes(*b"C1\0\0\0\0\0\0\0\0\0\0\0\0\0\x04")
        );
    }

    #[test]
    fn partner_positions_by_view_and_by_text() {
        let long = format!("P-{}", "x".repeat(20));
        let mut ids: Vec<String> = (0..40).map(|i| format!("P{i}")).collect();
        ids.push(long.clone());
        ids.push("P3".into());
        let p = Positions::new(ids);
        assert!(p.few.is_none(), "41 ids are hashed, not scanned");
        let values = [
            Value::Key(key("P7")),
            Value::Text(&long),
            Value::Text("P3"),
            Value::Key(key("P39")),
        ];
        // A repeated id keeps its first position.
        assert_eq!(p.get_all(4, values.into_iter()), Some(vec![7, 40, 3, 39]));
        // Enough rows to fill several prefetched chunks.
        let many: Vec<Value> = (0..100)
            .map(|i| Value::Key(key(&format!("P{}", i % 40))))
            .collect();
        let want: Vec<u32> = (0..100).map(|i| i % 40).collect();
        assert_eq!(p.get_all(100, many.into_iter()), Some(want));
        for miss in [
            Value::Key(key("P40")),
            Value::Key(0),
            Value::Text(""),
            Value::Text("P-"),
        ] {
            assert_eq!(
                p.get_all(2, [Value::Key(key("P1")), miss].into_iter()),
                None,
                "{miss:?}"
            );
        }
        // A catalog of few short codes is scanned.
        let catalog = Positions::new(["VNET", "MAS"].map(String::from).to_vec());
        assert!(catalog.few.is_some());
        assert_eq!(catalog.get(Value::Key(key("MAS"))), Some(1));
        assert_eq!(catalog.get(Value::Text("VNET")), Some(0));
        assert_eq!(catalog.get(Value::Key(0)), None);
    }
}
