//! Building blocks of the self-contained HTML pages (the month report and
//! partner statements): one file, UTF-8, no script, no network, charts as
//! inline SVG. Every text that may come from an input file goes through
//! [`esc`]: a partner named `<script>…` shows as those characters.

use std::fmt::Write;

/// `text` escaped for HTML element content and attribute values.
pub fn esc(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}

/// CJK fonts first so Chinese renders on Windows, macOS and Linux alike.
const FONTS: &str = "\"Microsoft YaHei\", \"PingFang SC\", \"Noto Sans CJK SC\", \"Source Han Sans SC\", \"WenQuanYi Micro Hei\", \"SimSun\", sans-serif";

/// A whole page: `title` (escaped here) and `body` (already HTML).
pub fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: {FONTS}; margin: 2em; color: #222; }}
h1 {{ font-size: 1.5em; margin-bottom: 0.2em; }}
h2 {{ font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }}
table {{ border-collapse: collapse; margin: 0.5em 0; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; }}
th {{ background: #f2f2f2; text-align: left; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
.meta {{ color: #555; }}
.formula {{ color: #555; font-size: 0.9em; }}
svg text {{ font-family: {FONTS}; font-size: 12px; }}
@page {{ size: A4; margin: 15mm; }}
@media print {{ body {{ margin: 0; }} h2 {{ break-after: avoid; }} tr {{ break-inside: avoid; }} }}
</style>
</head>
<body>
{body}
</body>
</html>
"#,
        title = esc(title),
    )
}

/// One table cell: text, or a number right-aligned.
pub enum Cell {
    /// Text, escaped when rendered.
    Text(String),
    /// A number or an amount, right-aligned.
    Num(String),
}

/// A table with `headers` (plain text) and rows of cells.
pub fn table(headers: &[&str], rows: &[Vec<Cell>]) -> String {
    let mut o = String::from("<table>\n<tr>");
    for h in headers {
        let _ = write!(o, "<th>{}</th>", esc(h));
    }
    o.push_str("</tr>\n");
    for row in rows {
        o.push_str("<tr>");
        for cell in row {
            let _ = match cell {
                Cell::Text(t) => write!(o, "<td>{}</td>", esc(t)),
                Cell::Num(t) => write!(o, "<td class=\"n\">{}</td>", esc(t)),
            };
        }
        o.push_str("</tr>\n");
    }
    if rows.is_empty() {
        let _ = writeln!(
            o,
            "<tr><td colspan=\"{}\">—</td></tr>",
            headers.len().max(1)
        );
    }
    o.push_str("</table>\n");
    o
}

/// A horizontal bar chart of non-negative `values` with `labels`, as
/// inline SVG; `show` formats a value for its label.
pub fn bars(labels: &[String], values: &[i128], show: &dyn Fn(i128) -> String) -> String {
    const ROW: usize = 22;
    const LABEL: usize = 170;
    const WIDTH: usize = 360;
    let max = values
        .iter()
        .copied()
        .map(i128::abs)
        .max()
        .unwrap_or(0)
        .max(1);
    let height = ROW * labels.len() + 4;
    let mut o = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\">\n",
        LABEL + WIDTH + 140
    );
    for (i, (label, value)) in labels.iter().zip(values).enumerate() {
        let y = i * ROW + 2;
        let w = (value.abs() * WIDTH as i128 / max) as usize;
        let colour = if *value < 0 { "#c0504d" } else { "#4f81bd" };
        let _ = writeln!(
            o,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{w}\" height=\"{}\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            LABEL - 6,
            y + 14,
            esc(label),
            ROW - 6,
            LABEL + w + 6,
            y + 14,
            esc(&show(*value))
        );
    }
    o.push_str("</svg>\n");
    o
}
