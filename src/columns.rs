//! The contract's column names (inputs and published datasets), one
//! constant each: a renamed or added column is then one edit here, and a
//! misspelt name a compile error rather than a runtime "column not found".
//! Working columns that live inside one module stay local to it.

/// `partner_id`.
pub const PARTNER_ID: &str = "partner_id";
/// `partner_type`.
pub const PARTNER_TYPE: &str = "partner_type";
/// `province`.
pub const PROVINCE: &str = "province";
/// `status`.
pub const STATUS: &str = "status";
/// `name`.
pub const NAME: &str = "name";
/// `admitted_on`.
pub const ADMITTED_ON: &str = "admitted_on";
/// `record_id`.
pub const RECORD_ID: &str = "record_id";
/// `customer_id`.
pub const CUSTOMER_ID: &str = "customer_id";
/// `product_code`.
pub const PRODUCT_CODE: &str = "product_code";
/// `usage_date`.
pub const USAGE_DATE: &str = "usage_date";
/// `amount`.
pub const AMOUNT: &str = "amount";
/// `complaint_id`.
pub const COMPLAINT_ID: &str = "complaint_id";
/// `opened_at`.
pub const OPENED_AT: &str = "opened_at";
/// `first_response_at`.
pub const FIRST_RESPONSE_AT: &str = "first_response_at";
/// `severity`.
pub const SEVERITY: &str = "severity";
/// `category`.
pub const CATEGORY: &str = "category";
/// `upheld`.
pub const UPHELD: &str = "upheld";
/// `order_id`.
pub const ORDER_ID: &str = "order_id";
/// `promised_on`.
pub const PROMISED_ON: &str = "promised_on";
/// `delivered_on`.
pub const DELIVERED_ON: &str = "delivered_on";
/// `component`.
pub const COMPONENT: &str = "component";
/// `quantity`.
pub const QUANTITY: &str = "quantity";
/// `basis`.
pub const BASIS: &str = "basis";
/// `rate_bp`.
pub const RATE_BP: &str = "rate_bp";
/// `tier`.
pub const TIER: &str = "tier";
/// `run_id`.
pub const RUN_ID: &str = "run_id";
/// `gross`.
pub const GROSS: &str = "gross";
/// `deductions`.
pub const DEDUCTIONS: &str = "deductions";
/// `net`.
pub const NET: &str = "net";
/// `rated`.
pub const RATED: &str = "rated";
/// `revenue`.
pub const REVENUE: &str = "revenue";
/// `revenue_kpi`.
pub const REVENUE_KPI: &str = "revenue_kpi";
/// `delivery_kpi`.
pub const DELIVERY_KPI: &str = "delivery_kpi";
/// `complaint_kpi`.
pub const COMPLAINT_KPI: &str = "complaint_kpi";
/// `response_kpi`.
pub const RESPONSE_KPI: &str = "response_kpi";
/// `monthly_score`.
pub const MONTHLY_SCORE: &str = "monthly_score";
/// `pool_size`.
pub const POOL_SIZE: &str = "pool_size";
/// `rank`.
pub const RANK: &str = "rank";
/// `credit_score`.
pub const CREDIT_SCORE: &str = "credit_score";
/// `bottom_streak`.
pub const BOTTOM_STREAK: &str = "bottom_streak";
/// `action`.
pub const ACTION: &str = "action";
/// `reasons`.
pub const REASONS: &str = "reasons";
/// `withheld`.
pub const WITHHELD: &str = "withheld";
/// `source`.
pub const SOURCE: &str = "source";
/// `reason`.
pub const REASON: &str = "reason";
/// `detail`.
pub const DETAIL: &str = "detail";
/// `raw`.
pub const RAW: &str = "raw";
/// `previous_amount`.
pub const PREVIOUS_AMOUNT: &str = "previous_amount";
/// `new_amount`.
pub const NEW_AMOUNT: &str = "new_amount";
/// `delta`.
pub const DELTA: &str = "delta";
/// `previous_run_id`.
pub const PREVIOUS_RUN_ID: &str = "previous_run_id";
/// `business_stop_on`.
pub const BUSINESS_STOP_ON: &str = "business_stop_on";
/// `terminated_on`.
pub const TERMINATED_ON: &str = "terminated_on";
/// `sa_kind`.
pub const SA_KIND: &str = "sa_kind";
/// `cancelled_on`.
pub const CANCELLED_ON: &str = "cancelled_on";
/// `registration_id`.
pub const REGISTRATION_ID: &str = "registration_id";
/// `registered_on`.
pub const REGISTERED_ON: &str = "registered_on";
/// `approved_on`.
pub const APPROVED_ON: &str = "approved_on";
/// `handover_id`.
pub const HANDOVER_ID: &str = "handover_id";
/// `from_partner`.
pub const FROM_PARTNER: &str = "from_partner";
/// `to_partner`.
pub const TO_PARTNER: &str = "to_partner";
/// `effective_on`.
pub const EFFECTIVE_ON: &str = "effective_on";
/// `applicant_id`.
pub const APPLICANT_ID: &str = "applicant_id";
/// `composite_bp`.
pub const COMPOSITE_BP: &str = "composite_bp";
/// `decision`.
pub const DECISION: &str = "decision";
/// `diff` (simulate): the tier of the published version.
pub const TIER_BEFORE: &str = "tier_before";
/// `diff`: the tier under the simulated policy.
pub const TIER_AFTER: &str = "tier_after";
/// `diff`: the published net payout.
pub const NET_BEFORE: &str = "net_before";
/// `diff`: the net payout under the simulated policy.
pub const NET_AFTER: &str = "net_after";
