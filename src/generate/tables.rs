//! Row makers of the four synthetic tables and the faults that turn a good
//! row into one rejected for a chosen reason.

use std::fmt::Write;

use chrono::{Datelike, Duration, NaiveDate};
use polars::prelude::*;
use rand_core::RngCore;
use rand_pcg::Pcg64Mcg;

use super::Spec;
use super::names;
use crate::period::Period;

/// What every row maker needs to know about the month.
pub struct Ctx {
    period: Period,
    start: NaiveDate,
    days: u64,
    partners: usize,
    spread: super::Spread,
    customers: u64,
}

impl Ctx {
    /// The context of a spec.
    pub fn new(spec: &Spec) -> Ctx {
        let start = spec.period.start();
        let days = (spec.period.end() - start).num_days() as u64 + 1;
        Ctx {
            period: spec.period,
            start,
            days,
            partners: spec.partners.max(1),
            spread: spec.spread,
            customers: if spec.customers == 0 {
                spec.partners.max(1) as u64 * 60
            } else {
                spec.customers as u64
            },
        }
    }

    /// A usage row's customer of partner `p` (one draw of `rng` whatever
    /// the spread, so the other columns stay as they were).
    fn customer(&self, rng: &mut Pcg64Mcg, p: usize, out: &mut String) {
        let r = rng.next_u64();
        let _ = match self.spread {
            super::Spread::One => write!(out, "C{:06}{:03}", p + 1, r % 60),
            super::Spread::Few => {
                let groups = self.partners.div_ceil(8) as u64;
                let per_group = (self.customers / groups).max(1);
                write!(out, "K{:010}", (p as u64 / 8) * per_group + r % per_group)
            }
            super::Spread::Any => write!(out, "K{:010}", r % self.customers),
        };
    }

    fn day(&self, rng: &mut Pcg64Mcg) -> NaiveDate {
        self.start + Duration::days((rng.next_u64() % self.days) as i64)
    }

    /// A partner index skewed toward the first ones: revenue has a few large
    /// partners and a long tail (the cube of a uniform variate).
    fn partner(&self, rng: &mut Pcg64Mcg) -> usize {
        let x = rng.next_u64() >> 43; // 21 bits
        let cube = (x * x * x) >> 42; // 21 bits, skewed to 0
        ((self.partners as u64 * cube) >> 21) as usize
    }
}

fn date(out: &mut String, d: NaiveDate) {
    let _ = write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
}

fn partner_id(out: &mut String, p: usize) {
    let _ = write!(out, "P{:06}", p + 1);
}

/// One synthetic table.
pub trait Gen: Sync {
    /// Table name.
    fn name(&self) -> &'static str;
    /// Header.
    fn columns(&self) -> &'static [&'static str];
    /// Writes row `idx` into `fields` (cleared).
    fn row(&self, ctx: &Ctx, rng: &mut Pcg64Mcg, idx: usize, fields: &mut [String]);
    /// The table's own reject reasons (besides the generic ones), and whether
    /// each can be written to a typed Parquet column.
    fn own_codes(&self) -> &'static [(&'static str, bool)];
    /// Applies one of `own_codes`.
    fn spoil(&self, ctx: &Ctx, rng: &mut Pcg64Mcg, code: &str, fields: &mut [String]);
    /// A required non-id column to blank (MISSING_FIELD) or alter (DUPLICATE_ID).
    fn spare(&self) -> usize {
        2
    }
}

/// Reasons every table can get: (code, possible in typed Parquet).
const GENERIC: [(&str, bool); 6] = [
    ("MISSING_FIELD", true),
    ("DUPLICATE_ROW", true),
    ("DUPLICATE_ID", true),
    ("WRONG_FIELD_COUNT", false),
    ("BAD_QUOTING", false),
    ("BAD_ENCODING", false),
];

/// Marks a row whose first field must be written with text after its quote.
pub const BAD_QUOTING_MARK: &[u8] = b"\"";

/// The reasons a table can be spoiled with in the chosen format.
pub fn codes(table_gen: &dyn Gen, csv: bool) -> Vec<&'static str> {
    GENERIC
        .iter()
        .chain(table_gen.own_codes())
        .filter(|(_, typed)| csv || *typed)
        .map(|(c, _)| *c)
        .collect()
}

/// Spoils `fields` with `code`; returns bytes to append to the CSV line.
pub fn spoil(
    table_gen: &dyn Gen,
    ctx: &Ctx,
    rng: &mut Pcg64Mcg,
    code: &str,
    fields: &mut [String],
    last_good: Option<&[String]>,
) -> &'static [u8] {
    match code {
        "MISSING_FIELD" => fields[table_gen.spare()].clear(),
        "DUPLICATE_ROW" | "DUPLICATE_ID" => {
            if let Some(last) = last_good {
                for (f, l) in fields.iter_mut().zip(last) {
                    f.clone_from(l);
                }
                if code == "DUPLICATE_ID" {
                    fields[table_gen.spare()].push('X');
                }
            }
        }
        "WRONG_FIELD_COUNT" => return b",extra",
        "BAD_QUOTING" => return BAD_QUOTING_MARK,
        "BAD_ENCODING" => return b"\xFF",
        own => table_gen.spoil(ctx, rng, own, fields),
    }
    b""
}

/// The typed Parquet column for a text column of the generator.
pub fn typed(name: &str) -> Expr {
    let c = col(name);
    let empty = c.clone().eq(lit(""));
    let null = |dtype: DataType| lit(NULL).cast(dtype);
    let opts = |f: &str| StrptimeOptions {
        format: Some(f.into()),
        strict: false,
        exact: true,
        cache: true,
    };
    let value = match name {
        "amount" => when(empty)
            .then(null(DataType::Decimal(18, 2)))
            .otherwise(c.cast(DataType::Decimal(18, 2))),
        "usage_date" | "promised_on" | "delivered_on" | "admitted_on" | "business_stop_on"
        | "terminated_on" | "cancelled_on" | "registered_on" | "approved_on" | "effective_on" => {
            when(empty)
                .then(null(DataType::Date))
                .otherwise(c.str().to_date(opts("%Y-%m-%d")))
        }
        "opened_at" | "first_response_at" => {
            let dt = DataType::Datetime(TimeUnit::Microseconds, None);
            when(empty).then(null(dt)).otherwise(c.str().to_datetime(
                Some(TimeUnit::Microseconds),
                None,
                opts("%Y-%m-%d %H:%M:%S"),
                lit("raise"),
            ))
        }
        "upheld" => when(empty)
            .then(null(DataType::Boolean))
            .otherwise(c.eq(lit("true"))),
        _ => c,
    };
    value.alias(name)
}

struct Partners;
struct Usage;
struct Complaints;
struct Deliveries;

/// The tables in SPEC order.
pub const ALL: [&dyn Gen; 4] = [&Partners, &Usage, &Complaints, &Deliveries];

impl Gen for Partners {
    fn name(&self) -> &'static str {
        "partners"
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "partner_id",
            "partner_type",
            "name",
            "province",
            "status",
            "admitted_on",
        ]
    }
    fn row(&self, ctx: &Ctx, rng: &mut Pcg64Mcg, idx: usize, f: &mut [String]) {
        let si = rng.next_u64() % 10 < 3;
        partner_id(&mut f[0], idx);
        f[1].push_str(if si { "SI" } else { "SA" });
        f[2].push_str(&names::company(
            si,
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64(),
        ));
        f[3].push_str(names::PROVINCES[(rng.next_u64() % 31) as usize]);
        let s = rng.next_u64() % 100;
        f[4].push_str(if s < 95 {
            "active"
        } else if s < 98 {
            "suspended"
        } else {
            "terminated"
        });
        if rng.next_u64().is_multiple_of(50) {
            date(&mut f[5], ctx.day(rng)); // admitted during the month
        } else {
            let year = ctx.period.start().year() - 1 - (rng.next_u64() % 8) as i32;
            let _ = write!(
                f[5],
                "{year:04}-{:02}-{:02}",
                1 + rng.next_u64() % 12,
                1 + rng.next_u64() % 28
            );
        }
    }
    fn own_codes(&self) -> &'static [(&'static str, bool)] {
        &[("BAD_ENUM", true), ("BAD_DATE", false)]
    }
    fn spoil(&self, _: &Ctx, _: &mut Pcg64Mcg, code: &str, f: &mut [String]) {
        match code {
            "BAD_ENUM" => f[1] = "XX".into(),
            _ => f[5] = "2025-02-30".into(),
        }
    }
    fn spare(&self) -> usize {
        3 // province
    }
}

impl Gen for Usage {
    fn name(&self) -> &'static str {
        "usage"
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "record_id",
            "partner_id",
            "customer_id",
            "product_code",
            "usage_date",
            "amount",
        ]
    }
    fn row(&self, ctx: &Ctx, rng: &mut Pcg64Mcg, idx: usize, f: &mut [String]) {
        let _ = write!(f[0], "U{:010}", idx + 1);
        let p = ctx.partner(rng);
        partner_id(&mut f[1], p);
        ctx.customer(rng, p, &mut f[2]);
        f[3].push_str(names::product(rng.next_u64()));
        date(&mut f[4], ctx.day(rng));
        let r = rng.next_u64();
        let big = if r % 100 < 3 { 1 + (r >> 8) % 200 } else { 1 };
        let fen = (100 + (r >> 16) % 20_000) * big;
        if fen.is_multiple_of(100) && r.is_multiple_of(2) {
            let _ = write!(f[5], "{}", fen / 100);
        } else {
            let _ = write!(f[5], "{}.{:02}", fen / 100, fen % 100);
        }
    }
    fn own_codes(&self) -> &'static [(&'static str, bool)] {
        &[
            ("BAD_NUMBER", false),
            ("NEGATIVE_AMOUNT", true),
            ("TOO_MANY_DECIMALS", false),
            ("BAD_DATE", false),
            ("UNKNOWN_PARTNER", true),
            ("UNKNOWN_PRODUCT", true),
            ("OUT_OF_PERIOD", true),
        ]
    }
    fn spoil(&self, ctx: &Ctx, _: &mut Pcg64Mcg, code: &str, f: &mut [String]) {
        match code {
            "BAD_NUMBER" => f[5] = "12a.50".into(),
            "NEGATIVE_AMOUNT" => f[5].insert(0, '-'),
            "TOO_MANY_DECIMALS" => f[5] = "12.345".into(),
            "BAD_DATE" => f[4] = format!("{}-02-30", ctx.start.year()),
            "UNKNOWN_PARTNER" => f[1] = "PX00000".into(),
            "UNKNOWN_PRODUCT" => f[3] = "NOPE".into(),
            _ => {
                f[4].clear();
                date(&mut f[4], ctx.start - Duration::days(1));
            }
        }
    }
}

impl Gen for Complaints {
    fn name(&self) -> &'static str {
        "complaints"
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "complaint_id",
            "partner_id",
            "customer_id",
            "opened_at",
            "first_response_at",
            "severity",
            "category",
            "upheld",
        ]
    }
    fn row(&self, ctx: &Ctx, rng: &mut Pcg64Mcg, idx: usize, f: &mut [String]) {
        let _ = write!(f[0], "Q{:09}", idx + 1);
        let p = ctx.partner(rng);
        partner_id(&mut f[1], p);
        let _ = write!(f[2], "C{:06}{:03}", p + 1, rng.next_u64() % 60);
        let opened = ctx.day(rng).and_hms_opt(0, 0, 0).expect("midnight")
            + Duration::seconds((rng.next_u64() % 86_400) as i64);
        let _ = write!(f[3], "{}", opened.format("%Y-%m-%d %H:%M:%S"));
        let s = rng.next_u64() % 10;
        let (severity, sla_hours) = if s < 6 {
            ("minor", 24)
        } else if s < 9 {
            ("major", 8)
        } else {
            ("critical", 2)
        };
        let r = rng.next_u64();
        if !r.is_multiple_of(10) {
            // Around the SLA limit: up to an hour either side, sometimes exactly on it.
            let delay = if r % 20 == 1 {
                sla_hours * 3600
            } else {
                sla_hours * 3600 - 3600 + ((r >> 8) % 7200) as i64
            };
            let _ = write!(
                f[4],
                "{}",
                (opened + Duration::seconds(delay)).format("%Y-%m-%d %H:%M:%S")
            );
        }
        f[5].push_str(severity);
        let c = rng.next_u64();
        f[6].push_str(if c.is_multiple_of(500) {
            "fraud"
        } else {
            ["service", "billing", "quality"][(c % 3) as usize]
        });
        f[7].push_str(if rng.next_u64() % 10 < 3 {
            "true"
        } else {
            "false"
        });
    }
    fn own_codes(&self) -> &'static [(&'static str, bool)] {
        &[
            ("BAD_ENUM", true),
            ("RESPONSE_BEFORE_OPEN", true),
            ("BAD_DATE", false),
            ("OUT_OF_PERIOD", true),
        ]
    }
    fn spoil(&self, ctx: &Ctx, _: &mut Pcg64Mcg, code: &str, f: &mut [String]) {
        match code {
            "BAD_ENUM" => f[5] = "urgent".into(),
            "RESPONSE_BEFORE_OPEN" => {
                let opened = chrono::NaiveDateTime::parse_from_str(&f[3], "%Y-%m-%d %H:%M:%S")
                    .expect("made above");
                f[4] = (opened - Duration::seconds(1))
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string();
            }
            "BAD_DATE" => f[3] = format!("{} 24:00:00", &f[3][..10]),
            _ => {
                f[3] = format!(
                    "{} 23:59:59",
                    (ctx.start - Duration::days(1)).format("%Y-%m-%d")
                );
                f[4].clear();
            }
        }
    }
}

impl Gen for Deliveries {
    fn name(&self) -> &'static str {
        "deliveries"
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "order_id",
            "partner_id",
            "customer_id",
            "product_code",
            "amount",
            "promised_on",
            "delivered_on",
            "status",
        ]
    }
    fn row(&self, ctx: &Ctx, rng: &mut Pcg64Mcg, idx: usize, f: &mut [String]) {
        let _ = write!(f[0], "O{:09}", idx + 1);
        let p = ctx.partner(rng);
        partner_id(&mut f[1], p);
        ctx.customer(rng, p, &mut f[2]);
        f[3].push_str(names::product(rng.next_u64()));
        let _ = write!(f[4], "{}.00", 500 + rng.next_u64() % 49_500);
        let promised = ctx.day(rng);
        date(&mut f[5], promised);
        let s = rng.next_u64() % 10;
        if s < 7 {
            date(
                &mut f[6],
                promised + Duration::days((rng.next_u64() % 7) as i64 - 3),
            );
            f[7].push_str("delivered");
        } else {
            f[7].push_str(if s < 9 { "pending" } else { "cancelled" });
        }
    }
    fn own_codes(&self) -> &'static [(&'static str, bool)] {
        &[
            ("BAD_STATUS_DATE", true),
            ("OUT_OF_PERIOD", true),
            ("BAD_ENUM", true),
        ]
    }
    fn spoil(&self, ctx: &Ctx, _: &mut Pcg64Mcg, code: &str, f: &mut [String]) {
        match code {
            "BAD_STATUS_DATE" => {
                f[6].clear();
                f[7] = "delivered".into();
            }
            "OUT_OF_PERIOD" => {
                f[5].clear();
                date(&mut f[5], ctx.start - Duration::days(40));
                f[6].clear();
                f[7] = "pending".into();
            }
            _ => f[7] = "shipped".into(),
        }
    }
}

/// The Part II tables and columns (`generate --v2`): the v1 row of a table
/// with its new columns after it, and the three channel tables.
pub mod v2 {
    use super::*;

    /// Partners with business_stop_on, terminated_on and sa_kind.
    pub struct Partners;
    /// Deliveries with cancelled_on.
    pub struct Deliveries;
    /// 商机报备: registrations of key-account customers.
    pub struct Registrations;
    /// 重点客户: one customer in ten partners' books.
    pub struct KeyAccounts;
    /// 销售关系交接: customers moved to the next partner.
    pub struct Handovers;

    /// The tables of a v2 month, in table order.
    pub const ALL: [&dyn Gen; 7] = [
        &Partners,
        &super::Usage,
        &super::Complaints,
        &Deliveries,
        &Registrations,
        &KeyAccounts,
        &Handovers,
    ];

    /// The key account of partner `p` (one partner in ten has one): its
    /// first customer, which the usage and delivery rows also use.
    fn key_account(out: &mut String, p: usize) {
        let _ = write!(out, "C{:06}000", p + 1);
    }

    impl Gen for Partners {
        fn name(&self) -> &'static str {
            "partners"
        }
        fn columns(&self) -> &'static [&'static str] {
            &[
                "partner_id",
                "partner_type",
                "name",
                "province",
                "status",
                "admitted_on",
                "business_stop_on",
                "terminated_on",
                "sa_kind",
            ]
        }
        fn row(&self, ctx: &Ctx, rng: &mut Pcg64Mcg, idx: usize, f: &mut [String]) {
            super::Partners.row(ctx, rng, idx, &mut f[..6]);
            // 1% stop new business during the month.
            if rng.next_u64().is_multiple_of(100) {
                date(&mut f[6], ctx.day(rng));
            }
            // Most terminated partners say when: up to six months back,
            // so some are inside their transition and some past it.
            if f[4] == "terminated" && rng.next_u64() % 10 < 7 {
                let back = (rng.next_u64() % 180) as i64;
                date(&mut f[7], ctx.period.end() - Duration::days(back));
            }
            // Six SAs in ten have a kind.
            if f[1] == "SA" && rng.next_u64() % 10 < 6 {
                f[8].push_str(crate::vocab::SaKind::NAMES[(rng.next_u64() % 3) as usize]);
            }
        }
        fn own_codes(&self) -> &'static [(&'static str, bool)] {
            &[
                ("BAD_ENUM", true),
                ("BAD_DATE", false),
                ("SA_KIND_ON_SI", true),
            ]
        }
        fn spoil(&self, ctx: &Ctx, rng: &mut Pcg64Mcg, code: &str, f: &mut [String]) {
            match code {
                "SA_KIND_ON_SI" => {
                    f[1] = "SI".into();
                    f[8] = "distribution".into();
                }
                other => super::Partners.spoil(ctx, rng, other, f),
            }
        }
        fn spare(&self) -> usize {
            3
        }
    }

    impl Gen for Deliveries {
        fn name(&self) -> &'static str {
            "deliveries"
        }
        fn columns(&self) -> &'static [&'static str] {
            &[
                "order_id",
                "partner_id",
                "customer_id",
                "product_code",
                "amount",
                "promised_on",
                "delivered_on",
                "status",
                "cancelled_on",
            ]
        }
        fn row(&self, ctx: &Ctx, rng: &mut Pcg64Mcg, idx: usize, f: &mut [String]) {
            super::Deliveries.row(ctx, rng, idx, &mut f[..8]);
            // Half the cancelled orders say when (a clawback candidate later).
            if f[7] == "cancelled" && rng.next_u64().is_multiple_of(2) {
                date(&mut f[8], ctx.day(rng));
            }
        }
        fn own_codes(&self) -> &'static [(&'static str, bool)] {
            super::Deliveries.own_codes()
        }
        fn spoil(&self, ctx: &Ctx, rng: &mut Pcg64Mcg, code: &str, f: &mut [String]) {
            f[8].clear();
            super::Deliveries.spoil(ctx, rng, code, &mut f[..8]);
        }
    }

    impl Gen for KeyAccounts {
        fn name(&self) -> &'static str {
            "key_accounts"
        }
        fn columns(&self) -> &'static [&'static str] {
            &["customer_id"]
        }
        fn row(&self, _: &Ctx, _: &mut Pcg64Mcg, idx: usize, f: &mut [String]) {
            key_account(&mut f[0], idx * 10);
        }
        fn own_codes(&self) -> &'static [(&'static str, bool)] {
            &[]
        }
        fn spoil(&self, _: &Ctx, _: &mut Pcg64Mcg, _: &str, _: &mut [String]) {}
        fn spare(&self) -> usize {
            0
        }
    }

    impl Gen for Registrations {
        fn name(&self) -> &'static str {
            "registrations"
        }
        fn columns(&self) -> &'static [&'static str] {
            &[
                "registration_id",
                "partner_id",
                "customer_id",
                "category",
                "registered_on",
                "approved_on",
            ]
        }
        fn row(&self, ctx: &Ctx, rng: &mut Pcg64Mcg, idx: usize, f: &mut [String]) {
            // Key account idx (of partner 10·idx), registered by its partner
            // for one category, up to 300 days ago: some approvals still
            // protect this month's sales, some have lapsed.
            let p = idx * 10;
            let _ = write!(f[0], "R{:09}", idx + 1);
            partner_id(&mut f[1], p);
            key_account(&mut f[2], p);
            f[3].push_str(crate::policy::CATEGORIES[(rng.next_u64() % 4) as usize]);
            let registered = ctx.period.end() - Duration::days((rng.next_u64() % 300) as i64);
            date(&mut f[4], registered);
            if rng.next_u64() % 10 < 8 {
                date(&mut f[5], registered + Duration::days(5));
            }
        }
        fn own_codes(&self) -> &'static [(&'static str, bool)] {
            &[("APPROVED_BEFORE_REGISTERED", true), ("BAD_ENUM", true)]
        }
        fn spoil(&self, _: &Ctx, _: &mut Pcg64Mcg, code: &str, f: &mut [String]) {
            match code {
                "APPROVED_BEFORE_REGISTERED" => f[5] = "2000-01-01".into(),
                _ => f[3] = "consulting".into(),
            }
        }
    }

    impl Gen for Handovers {
        fn name(&self) -> &'static str {
            "handovers"
        }
        fn columns(&self) -> &'static [&'static str] {
            &[
                "handover_id",
                "customer_id",
                "from_partner",
                "to_partner",
                "effective_on",
            ]
        }
        fn row(&self, ctx: &Ctx, rng: &mut Pcg64Mcg, idx: usize, f: &mut [String]) {
            // A customer of partner p moves to p + 1 during the month (or
            // earlier): usage on both sides of the date.
            let p = ctx.partner(rng);
            let _ = write!(f[0], "H{:09}", idx + 1);
            let _ = write!(f[1], "C{:06}{:03}", p + 1, rng.next_u64() % 60);
            partner_id(&mut f[2], p);
            partner_id(&mut f[3], (p + 1) % ctx.partners);
            date(
                &mut f[4],
                ctx.day(rng) - Duration::days((rng.next_u64() % 2 * 40) as i64),
            );
        }
        fn own_codes(&self) -> &'static [(&'static str, bool)] {
            &[("SELF_HANDOVER", true), ("UNKNOWN_PARTNER", true)]
        }
        fn spoil(&self, _: &Ctx, _: &mut Pcg64Mcg, code: &str, f: &mut [String]) {
            match code {
                "SELF_HANDOVER" => f[3] = f[2].clone(),
                _ => f[3] = "PX00000".into(),
            }
        }
    }
}
