//! The input tables and their columns, as SPEC §2 and §10 list them. The
//! order of `columns` is the order the checks of §2.1 step 2 run in. The
//! tables and columns of Part II are optional: absent, they are empty.

use crate::columns::*;
use crate::vocab::Leaf;

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
    /// One of a fixed list, or empty.
    MaybeEnum(&'static [&'static str]),
    /// `YYYY-MM-DD`; `window` adds OUT_OF_PERIOD.
    Date { required: bool, window: Window },
    /// `YYYY-MM-DD HH:MM:SS` (space or `T`); `window` checks its date.
    DateTime { required: bool, window: Window },
    /// A yuan amount, parsed to fen.
    Amount,
    /// An applicant's score on one criterion: an integer 0–100 (SPEC §22).
    Score,
}

/// Which dates a date column accepts; others are OUT_OF_PERIOD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// Any date.
    Any,
    /// A date within the period.
    Period,
    /// A date on or before the period's end.
    UpToEnd,
}

impl Kind {
    /// Whether an empty value is MISSING_FIELD.
    pub fn required(self) -> bool {
        match self {
            Kind::Text { required }
            | Kind::Date { required, .. }
            | Kind::DateTime { required, .. } => required,
            Kind::MaybeEnum(_) => false,
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
    /// A Part II column a file may lack (then empty in every row).
    pub optional: bool,
}

/// One input table.
#[derive(Debug)]
pub struct Table {
    /// File stem and `source` value in rejects.
    pub name: &'static str,
    /// Its columns in spec order.
    pub columns: &'static [Column],
    /// A Part II table a period may lack (then empty).
    pub optional: bool,
    /// Whether compute needs the id of accepted rows (most tables drop it
    /// once duplicates are settled: a 20M-row month saves about 0.5 GiB).
    pub keep_id: bool,
}

impl Table {
    /// The id column (always the first).
    pub fn id(&self) -> &'static str {
        self.columns[0].name
    }
}

const fn c(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        optional: false,
    }
}

/// A column of Part II that a file may lack.
const fn optional(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        optional: true,
    }
}

/// A date that may be empty and may be any date.
const ANY_DATE: Kind = Kind::Date {
    required: false,
    window: Window::Any,
};

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
/// SA kinds (SA与产品匹配).
pub const SA_KINDS: &[&str] = crate::vocab::SaKind::NAMES;
/// The catalog categories.
pub const CATEGORIES: &[&str] = &crate::policy::CATEGORIES;

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
                window: Window::Any,
            },
        ),
        optional(BUSINESS_STOP_ON, ANY_DATE),
        optional(TERMINATED_ON, ANY_DATE),
        optional(SA_KIND, Kind::MaybeEnum(SA_KINDS)),
    ],
    optional: false,
    keep_id: true,
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
                window: Window::Period,
            },
        ),
        c(AMOUNT, Kind::Amount),
    ],
    optional: false,
    keep_id: false,
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
                window: Window::Period,
            },
        ),
        c(
            FIRST_RESPONSE_AT,
            Kind::DateTime {
                required: false,
                window: Window::Any,
            },
        ),
        c(SEVERITY, Kind::Enum(SEVERITIES)),
        c(CATEGORY, Kind::Enum(COMPLAINT_CATEGORIES)),
        c(UPHELD, Kind::Enum(&["true", "false"])),
    ],
    optional: false,
    keep_id: false,
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
                window: Window::Any,
            },
        ),
        c(
            DELIVERED_ON,
            Kind::Date {
                required: false,
                window: Window::Any,
            },
        ),
        c(STATUS, Kind::Enum(DELIVERY_STATUSES)),
        optional(CANCELLED_ON, ANY_DATE),
    ],
    optional: false,
    keep_id: false,
};

/// Opportunity registrations (商机报备), all ever made.
pub const REGISTRATIONS: Table = Table {
    name: "registrations",
    columns: &[
        c(REGISTRATION_ID, Kind::Id),
        c(PARTNER_ID, Kind::PartnerRef),
        c(CUSTOMER_ID, REQUIRED_TEXT),
        c(CATEGORY, Kind::Enum(CATEGORIES)),
        c(
            REGISTERED_ON,
            Kind::Date {
                required: true,
                window: Window::UpToEnd,
            },
        ),
        c(APPROVED_ON, ANY_DATE),
    ],
    optional: true,
    keep_id: false,
};

/// Key accounts (重点客户): their new business needs a registration.
pub const KEY_ACCOUNTS: Table = Table {
    name: "key_accounts",
    columns: &[c(CUSTOMER_ID, Kind::Id)],
    optional: true,
    keep_id: true,
};

/// Customer relationships handed over (销售关系交接), all ever made.
pub const HANDOVERS: Table = Table {
    name: "handovers",
    columns: &[
        c(HANDOVER_ID, Kind::Id),
        c(CUSTOMER_ID, REQUIRED_TEXT),
        c(FROM_PARTNER, Kind::PartnerRef),
        c(TO_PARTNER, Kind::PartnerRef),
        c(
            EFFECTIVE_ON,
            Kind::Date {
                required: true,
                window: Window::UpToEnd,
            },
        ),
    ],
    optional: true,
    keep_id: true,
};

/// The applicants of `settle admit` (SPEC §22): not among [`ALL`], so a
/// settlement run never reads it, even when the period's folder has one.
pub const APPLICANTS: Table = Table {
    name: "applicants",
    columns: &[
        c(APPLICANT_ID, Kind::Id),
        c(PARTNER_TYPE, Kind::Enum(PARTNER_TYPES)),
        c(PROVINCE, REQUIRED_TEXT),
        c(Leaf::BusinessAnalysis.as_str(), Kind::Score),
        c(Leaf::DeliveryQuality.as_str(), Kind::Score),
        c(Leaf::TransportQuality.as_str(), Kind::Score),
        c(Leaf::Reputation.as_str(), Kind::Score),
        c(Leaf::Prospects.as_str(), Kind::Score),
        c(Leaf::TechCooperation.as_str(), Kind::Score),
        c(Leaf::StaffCooperation.as_str(), Kind::Score),
        c(Leaf::FinancialHealth.as_str(), Kind::Score),
        c(Leaf::Equipment.as_str(), Kind::Score),
        c(Leaf::Production.as_str(), Kind::Score),
        c(Leaf::QualitySystem.as_str(), Kind::Score),
        c(Leaf::Environment.as_str(), Kind::Score),
    ],
    optional: false,
    keep_id: true,
};

/// All tables in the order the run_id hashes them (those present) and
/// partners-first order of checking.
pub const ALL: [&Table; 7] = [
    &PARTNERS,
    &USAGE,
    &COMPLAINTS,
    &DELIVERIES,
    &REGISTRATIONS,
    &KEY_ACCOUNTS,
    &HANDOVERS,
];
