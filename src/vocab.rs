//! The fixed words of the contract as types: reject reasons, datasets,
//! tiers, actions, ledger components, stop reasons and the enumerations of
//! the inputs. Each is an enum with one `as_str()` (the published spelling)
//! and one `ALL` list, so a new value is a compile error wherever a `match`
//! must handle it, and an unknown spelling is an `Option`, never a panic.

/// Declares a string enum: variants with their published spelling, in the
/// order `ALL` lists them.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in the contract's order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// Every spelling, in the contract's order.
            pub const NAMES: &'static [&'static str] = &[$($text,)+];

            /// The published spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value spelled `text`, if any.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

words! {
    /// Why an input row was quarantined (SPEC §2.1), in the order the checks
    /// apply: the first that applies is the row's reason.
    Reason {
        /// Not valid text in the file's encoding.
        BadEncoding = "BAD_ENCODING",
        /// A quote out of place.
        BadQuoting = "BAD_QUOTING",
        /// More or fewer fields than the header.
        WrongFieldCount = "WRONG_FIELD_COUNT",
        /// A required field is empty.
        MissingField = "MISSING_FIELD",
        /// Not a decimal yuan amount.
        BadNumber = "BAD_NUMBER",
        /// Not a date or date-time of the required shape.
        BadDate = "BAD_DATE",
        /// Not one of the allowed values.
        BadEnum = "BAD_ENUM",
        /// An amount below zero.
        NegativeAmount = "NEGATIVE_AMOUNT",
        /// More than two decimals.
        TooManyDecimals = "TOO_MANY_DECIMALS",
        /// An applicant's score above 100 (SPEC §22).
        ScoreOutOfRange = "SCORE_OUT_OF_RANGE",
        /// No such partner in the registry.
        UnknownPartner = "UNKNOWN_PARTNER",
        /// No such product in the catalog.
        UnknownProduct = "UNKNOWN_PRODUCT",
        /// Dated outside the period.
        OutOfPeriod = "OUT_OF_PERIOD",
        /// A response before the complaint was opened.
        ResponseBeforeOpen = "RESPONSE_BEFORE_OPEN",
        /// A date that contradicts the status.
        BadStatusDate = "BAD_STATUS_DATE",
        /// An SI with an SA kind.
        SaKindOnSi = "SA_KIND_ON_SI",
        /// A registration approved before it was registered.
        ApprovedBeforeRegistered = "APPROVED_BEFORE_REGISTERED",
        /// A handover from a partner to itself.
        SelfHandover = "SELF_HANDOVER",
        /// An exact copy of an earlier row.
        DuplicateRow = "DUPLICATE_ROW",
        /// An id seen before with other values.
        DuplicateId = "DUPLICATE_ID",
    }
}

impl Reason {
    /// The reason's code as carried in frames (its position in `ALL`).
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The reason with code `code`.
    pub fn from_code(code: u8) -> Option<Reason> {
        Reason::ALL.get(code as usize).copied()
    }
}

words! {
    /// A published dataset (SPEC §6), in publishing order: `scores` last
    /// among the monthly ones because the next period reads it.
    Dataset {
        /// Quarantined input rows.
        Rejects = "rejects",
        /// One row per partner, component and category.
        Ledger = "ledger",
        /// One row per partner with a ledger line.
        Payouts = "payouts",
        /// One row per partner with an action.
        Sanctions = "sanctions",
        /// The settlement-stop list.
        SettlementStop = "settlement_stop",
        /// KPIs, scores, tiers: the state the next period builds on.
        Scores = "scores",
        /// Valid business that earns nothing this month, by reason.
        Held = "held",
        /// Withheld balances carried month to month (with carry_withheld).
        Balances = "balances",
        /// Changed ledger lines of a rerun.
        Adjustments = "adjustments",
        /// The ranked admission list of a period's applicants (SPEC §22).
        Admissions = "admissions",
        /// Quarantined applicants rows (SPEC §22).
        AdmissionRejects = "admission_rejects",
        /// What a policy change would do per partner (`settle simulate`;
        /// written to the folder asked for, never published).
        Diff = "diff",
    }
}

impl Dataset {
    /// The datasets every published period has a file of.
    pub const MONTHLY: [Dataset; 8] = [
        Dataset::Rejects,
        Dataset::Held,
        Dataset::Balances,
        Dataset::Ledger,
        Dataset::Payouts,
        Dataset::Sanctions,
        Dataset::SettlementStop,
        Dataset::Scores,
    ];

    /// The datasets `settle admit` publishes for a period (SPEC §22).
    pub const ADMISSION: [Dataset; 2] = [Dataset::AdmissionRejects, Dataset::Admissions];
}

words! {
    /// A partner's tier for the month (SPEC §4).
    Tier {
        /// Top 10% of its pool.
        Gold = "gold",
        /// Top 30% of its pool.
        Silver = "silver",
        /// Neither top nor bottom.
        Standard = "standard",
        /// Bottom 10% of its pool.
        Bottom = "bottom",
        /// Not rated this month.
        Unrated = "unrated",
    }
}

words! {
    /// The escalation step of a bottom partner (SPEC §4).
    Action {
        /// First month at the bottom: 通报.
        Notice = "notice",
        /// Second: 停止新增业务.
        StopNewBusiness = "stop_new_business",
        /// Third and later: 停止结算.
        StopSettlement = "stop_settlement",
    }
}

words! {
    /// A kind of ledger line (SPEC §5).
    Component {
        /// An SI's revenue share.
        SiRevenueShare = "si_revenue_share",
        /// An SA's base commission on usage.
        SaBase = "sa_base",
        /// An SA's commission on delivered sales.
        SaSales = "sa_sales",
        /// An SA's commission per serviced customer.
        SaService = "sa_service",
        /// An SA's tier reward on base and sales.
        SaReward = "sa_reward",
        /// Upheld complaints, deducted.
        ComplaintDeduction = "complaint_deduction",
        /// Sales commission taken back for a cancelled sale (§15).
        SaSalesClawback = "sa_sales_clawback",
        /// A carried withheld balance paid out when the stop ends (§18).
        WithheldRelease = "withheld_release",
    }
}

words! {
    /// Why a partner is on the settlement-stop list (SPEC §4, §5), in byte
    /// order, the order they are joined in.
    StopReason {
        /// Third month or more at the bottom.
        BottomStreak = "BOTTOM_STREAK",
        /// An upheld fraud complaint this month.
        Fraud = "FRAUD",
        /// Suspended in the registry.
        Suspended = "SUSPENDED",
        /// Terminated in the registry.
        Terminated = "TERMINATED",
    }
}

words! {
    /// Whether a ledger line is paid this month.
    LineStatus {
        /// Paid.
        Payable = "payable",
        /// Held back: the partner is on the stop list.
        Withheld = "withheld",
    }
}

words! {
    /// The kind of partner (SPEC §2).
    PartnerType {
        /// System integrator: revenue share.
        Si = "SI",
        /// Sales agent: commission.
        Sa = "SA",
    }
}

words! {
    /// A partner's registry status (SPEC §2).
    PartnerStatus {
        /// Trading.
        Active = "active",
        /// Temporarily not trading.
        Suspended = "suspended",
        /// Ended.
        Terminated = "terminated",
    }
}

impl HoldReason {
    /// The reason's code in usage totals (its position in `ALL`): a byte
    /// groups and compares faster than the name, batch after batch.
    pub const fn code(self) -> u8 {
        self as u8
    }
}

words! {
    /// An SA's kind (SA与产品匹配, SPEC §10): which categories it may sell.
    SaKind {
        /// 客户关系型.
        CustomerRelationship = "customer_relationship",
        /// 专业分销型.
        Distribution = "distribution",
        /// 集成开发型.
        Integration = "integration",
    }
}

words! {
    /// Why a money row is held (SPEC §12), in the order they apply: a row
    /// gets the first that applies.
    HoldReason {
        /// Dated after the partner's termination.
        AfterTermination = "AFTER_TERMINATION",
        /// A sale on or after the partner's business stop.
        BusinessStopped = "BUSINESS_STOPPED",
        /// The product earns for the other partner type.
        WrongPartnerType = "WRONG_PARTNER_TYPE",
        /// The SA's kind may not sell the product's category.
        ProductNotAuthorized = "PRODUCT_NOT_AUTHORIZED",
        /// A key-account sale without a protecting registration.
        UnregisteredKeyAccount = "UNREGISTERED_KEY_ACCOUNT",
    }
}

words! {
    /// A complaint's severity (SPEC §2).
    Severity {
        /// Minor.
        Minor = "minor",
        /// Major.
        Major = "major",
        /// Critical.
        Critical = "critical",
    }
}

words! {
    /// A complaint's category (SPEC §2).
    ComplaintCategory {
        /// Service.
        Service = "service",
        /// Billing.
        Billing = "billing",
        /// Quality.
        Quality = "quality",
        /// Fraud: an upheld one zeroes the month's score.
        Fraud = "fraud",
    }
}

words! {
    /// A delivery's status (SPEC §2).
    DeliveryStatus {
        /// Handed over.
        Delivered = "delivered",
        /// Not yet.
        Pending = "pending",
        /// Called off.
        Cancelled = "cancelled",
    }
}

words! {
    /// A criterion group of the evaluation index system (SPEC §22), in the
    /// order of the group matrix.
    Group {
        /// 业务评价.
        Business = "business",
        /// 生产能力评价.
        Capacity = "capacity",
        /// 质量系统评价 (its own single leaf).
        QualitySystem = "quality_system",
        /// 企业环境评价 (its own single leaf).
        Environment = "environment",
    }
}

words! {
    /// A leaf criterion an applicant is scored on (SPEC §22), in hierarchy
    /// order: the order of the score columns and of their checks.
    Leaf {
        /// 业务分析.
        BusinessAnalysis = "business_analysis",
        /// 交货质量.
        DeliveryQuality = "delivery_quality",
        /// 运输质量.
        TransportQuality = "transport_quality",
        /// 企业信誉.
        Reputation = "reputation",
        /// 企业发展前景.
        Prospects = "prospects",
        /// 技术合作.
        TechCooperation = "tech_cooperation",
        /// 人事合作.
        StaffCooperation = "staff_cooperation",
        /// 财务状况.
        FinancialHealth = "financial_health",
        /// 设备状况.
        Equipment = "equipment",
        /// 制造/生产状况.
        Production = "production",
        /// 质量系统评价, a group without sub-criteria.
        QualitySystem = "quality_system",
        /// 企业环境评价, a group without sub-criteria.
        Environment = "environment",
    }
}

impl Leaf {
    /// The group the leaf belongs to.
    pub const fn group(self) -> Group {
        match self {
            Leaf::BusinessAnalysis
            | Leaf::DeliveryQuality
            | Leaf::TransportQuality
            | Leaf::Reputation
            | Leaf::Prospects => Group::Business,
            Leaf::TechCooperation
            | Leaf::StaffCooperation
            | Leaf::FinancialHealth
            | Leaf::Equipment
            | Leaf::Production => Group::Capacity,
            Leaf::QualitySystem => Group::QualitySystem,
            Leaf::Environment => Group::Environment,
        }
    }
}

impl Group {
    /// The group's leaves, in hierarchy order.
    pub fn leaves(self) -> Vec<Leaf> {
        Leaf::ALL
            .iter()
            .copied()
            .filter(|l| l.group() == self)
            .collect()
    }
}

words! {
    /// What happens to an applicant (SPEC §22).
    Decision {
        /// At or above the threshold and within its pool's quota.
        Admitted = "admitted",
        /// Composite below the policy's threshold.
        BelowThreshold = "below_threshold",
        /// At or above the threshold, ranked past the quota.
        OverQuota = "over_quota",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_round_trips_and_codes_follow_the_check_order() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(*r));
            assert_eq!(Reason::from_code(r.code()), Some(*r));
        }
        assert_eq!(Reason::from_code(Reason::ALL.len() as u8), None);
        assert_eq!(Reason::parse("NO_SUCH_REASON"), None);
        assert_eq!(Reason::BadEncoding.code(), 0);
        assert_eq!(Reason::DuplicateId.code(), 19);
        // Every dataset is a monthly one, an admission one, adjustments or
        // a simulation's diff.
        assert_eq!(
            Dataset::MONTHLY.len() + Dataset::ADMISSION.len() + 2,
            Dataset::ALL.len()
        );
        assert_eq!(Leaf::ALL.len(), 12);
        assert_eq!(Group::Business.leaves().len(), 5);
        assert_eq!(Group::Environment.leaves(), [Leaf::Environment]);
        assert_eq!(
            Tier::NAMES,
            ["gold", "silver", "standard", "bottom", "unrated"]
        );
        assert_eq!(Component::parse("sa_reward"), Some(Component::SaReward));
        assert_eq!(PartnerType::Si.to_string(), "SI");
        let mut sorted = StopReason::NAMES.to_vec();
        sorted.sort();
        assert_eq!(
            sorted,
            StopReason::NAMES.to_vec(),
            "stop reasons join in byte order"
        );
    }
}
