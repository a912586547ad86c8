//! The four input tables and their columns, as SPEC §2 lists them. The order
//! of `columns` is the order the checks of §2.1 step 2 run in.

use crate::columns::*;

/// What a column holds, which decides its checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The table's unique id: non-empty.
    Id,
    /// Free text; `required` means non-empty.
    Text { required: bool },
    /// A partner id that must be an accepted partner.
    PartnerRef,
    /// A product code that must be in the catalog.
    ProductRef,
    /// One of a fixed, case-sensitive list.
    Enum(&'static [&'static str]),
    /// `YYYY-MM-DD`; `in_period` adds OUT_OF_PERIOD.
    Date { required: bool, in_period: bool },
    /// `YYYY-MM-DD HH:MM:SS` (space or `T`); `in_period` checks its date.
    DateTime { required: bool, in_period: bool },
    /// A yuan amount, parsed to fen.
    Amount,
}

impl Kind {
    /// Whether an empty value is MISSING_FIELD.
    pub fn required(self) -> bool {
        match self {
            Kind::Text { required }
            | Kind::Date { required, .. }
            | Kind::DateTime { required, .. } => required,
            _ => true,
        }
    }
}

/// One column of an input table.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// Header name.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
}

/// One input table.
#[derive(Debug)]
pub struct Table {
    /// File stem and `source` value in rejects.
    pub name: &'static str,
    /// Its columns in spec order.
    pub columns: &'static [Column],
}

impl Table {
    /// The id column (always the first).
    pub fn id(&self) -> &'static str {
        self.columns[0].name
    }
}

const fn c(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

const REQUIRED_TEXT: Kind = Kind::Text { required: true };

/// Partner types.
pub const PARTNER_TYPES: &[&str] = &["SI", "SA"];
/// Partner statuses.
pub const PARTNER_STATUSES: &[&str] = &["active", "suspended", "terminated"];
/// Complaint severities.
pub const SEVERITIES: &[&str] = &["minor", "major", "critical"];
/// Complaint categories.
pub const COMPLAINT_CATEGORIES: &[&str] = &["service", "billing", "quality", "fraud"];
/// Delivery statuses.
pub const DELIVERY_STATUSES: &[&str] = &["delivered", "pending", "cancelled"];

/// The partner registry.
pub const PARTNERS: Table = Table {
    name: "partners",
    columns: &[
        c(PARTNER_ID, Kind::Id),
        c(PARTNER_TYPE, Kind::Enum(PARTNER_TYPES)),
        c(NAME, Kind::Text { required: false }),
        c(PROVINCE, REQUIRED_TEXT),
        c(STATUS, Kind::Enum(PARTNER_STATUSES)),
        c(
            ADMITTED_ON,
            Kind::Date {
                required: true,
                in_period: false,
            },
        ),
    ],
};

/// Billed usage.
pub const USAGE: Table = Table {
    name: "usage",
    columns: &[
        c(RECORD_ID, Kind::Id),
        c(PARTNER_ID, Kind::PartnerRef),
        c(CUSTOMER_ID, REQUIRED_TEXT),
        c(PRODUCT_CODE, Kind::ProductRef),
        c(
            USAGE_DATE,
            Kind::Date {
                required: true,
                in_period: true,
            },
        ),
        c(AMOUNT, Kind::Amount),
    ],
};

/// Customer complaints.
pub const COMPLAINTS: Table = Table {
    name: "complaints",
    columns: &[
        c(COMPLAINT_ID, Kind::Id),
        c(PARTNER_ID, Kind::PartnerRef),
        c(CUSTOMER_ID, REQUIRED_TEXT),
        c(
            OPENED_AT,
            Kind::DateTime {
                required: true,
                in_period: true,
            },
        ),
        c(
            FIRST_RESPONSE_AT,
            Kind::DateTime {
                required: false,
                in_period: false,
            },
        ),
        c(SEVERITY, Kind::Enum(SEVERITIES)),
        c(CATEGORY, Kind::Enum(COMPLAINT_CATEGORIES)),
        c(UPHELD, Kind::Enum(&["true", "false"])),
    ],
};

/// Orders installed and handed over.
pub const DELIVERIES: Table = Table {
    name: "deliveries",
    columns: &[
        c(ORDER_ID, Kind::Id),
        c(PARTNER_ID, Kind::PartnerRef),
        c(CUSTOMER_ID, REQUIRED_TEXT),
        c(PRODUCT_CODE, Kind::ProductRef),
        c(AMOUNT, Kind::Amount),
        c(
            PROMISED_ON,
            Kind::Date {
                required: true,
                in_period: false,
            },
        ),
        c(
            DELIVERED_ON,
            Kind::Date {
                required: false,
                in_period: false,
            },
        ),
        c(STATUS, Kind::Enum(DELIVERY_STATUSES)),
    ],
};

/// All tables in the order the run_id hashes them and partners-first order
/// of checking.
pub const ALL: [&Table; 4] = [&PARTNERS, &USAGE, &COMPLAINTS, &DELIVERIES];
