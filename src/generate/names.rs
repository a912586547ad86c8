//! Realistic labels for synthetic months: provinces, Chinese company names,
//! the reference catalog.

/// Province codes (mainland provincial-level divisions).
pub const PROVINCES: [&str; 31] = [
    "BJ", "TJ", "HE", "SX", "NM", "LN", "JL", "HL", "SH", "JS", "ZJ", "AH", "FJ", "JX", "SD", "HA",
    "HB", "HN", "GD", "GX", "HI", "CQ", "SC", "GZ", "YN", "XZ", "SN", "GS", "QH", "NX", "XJ",
];

const CITIES: [&str; 16] = [
    "北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "武汉", "西安", "重庆", "天津", "苏州",
    "长沙", "郑州", "济南", "福州",
];
const WORDS: [&str; 16] = [
    "云桥", "海联", "启明", "信达", "华讯", "天翼", "中科", "博远", "智联", "恒通", "金桥", "星河",
    "瑞丰", "鼎盛", "汇通", "新元",
];
const SUFFIX_SI: [&str; 3] = ["系统集成有限公司", "信息技术有限公司", "软件股份有限公司"];
const SUFFIX_SA: [&str; 3] = ["通信服务有限公司", "网络科技有限公司", "电子商务有限公司"];

/// A company name from three random picks.
pub fn company(si: bool, a: u64, b: u64, c: u64) -> String {
    let suffix = if si {
        SUFFIX_SI[(c % 3) as usize]
    } else {
        SUFFIX_SA[(c % 3) as usize]
    };
    format!(
        "{}{}{}",
        CITIES[(a % 16) as usize],
        WORDS[(b % 16) as usize],
        suffix
    )
}

/// Products of the reference catalog, most common first, with weights in
/// per-mille (usage skews to basic access).
pub const PRODUCTS: [(&str, u64); 9] = [
    ("VNET", 260),
    ("CRBT", 160),
    ("SWITCHBOARD", 120),
    ("ECOMM", 90),
    ("MAS", 120),
    ("XXT", 80),
    ("EMAIL", 70),
    ("PUSHMAIL", 60),
    ("DEVPROJ", 40),
];

/// A product code from a uniform pick in 0..1000.
pub fn product(pick: u64) -> &'static str {
    let mut left = pick % 1000;
    for (code, weight) in PRODUCTS {
        if left < weight {
            return code;
        }
        left -= weight;
    }
    PRODUCTS[0].0
}
