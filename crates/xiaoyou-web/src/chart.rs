//! Charts drawn as SVG on the server: no JavaScript needed to read them.

use std::fmt::Write;

/// A vertical bar chart of counts per year. Years without records are shown as gaps.
pub fn bars_by_year(data: &[(i32, i64)], caption: &str) -> String {
    let (Some(first), Some(last)) = (data.first(), data.last()) else {
        return String::new();
    };
    let span = (last.0 - first.0 + 1).max(1) as usize;
    let max = data.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1) as f64;
    let (width, height, bottom) = (640.0, 220.0, 24.0);
    let slot = width / span as f64;
    let mut svg = String::with_capacity(4096);
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{}"><title>{}</title>"#,
        escape(caption),
        escape(caption)
    );
    for (year, count) in data {
        let index = (year - first.0) as f64;
        let bar = (*count as f64 / max) * (height - bottom - 8.0);
        let x = index * slot + slot * 0.15;
        let y = height - bottom - bar;
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{bar:.1}"><title>{year}届：{count}人</title></rect>"#,
            slot * 0.7
        );
    }
    let step = (span / 8).max(1);
    for (i, year) in (first.0..=last.0).enumerate() {
        if i % step == 0 {
            let x = i as f64 * slot + slot / 2.0;
            let _ = write!(
                svg,
                r#"<text x="{x:.1}" y="{}" text-anchor="middle">{year}</text>"#,
                height - 8.0
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_bar_per_year_and_escapes_the_caption() {
        let svg = bars_by_year(&[(2010, 5), (2012, 10)], "各届<人数>");
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("各届&lt;人数&gt;"));
        assert!(svg.contains("2012届：10人"));
        assert!(bars_by_year(&[], "x").is_empty());
    }
}
