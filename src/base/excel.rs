//! What Excel does to a CSV cell it opens: text it would run as a formula. The downloads are
//! made for Excel, so every text that fills or heads their cells (data values, registry items,
//! a site's table definitions) is held to this one test.

/// Text that Excel would run as a formula when a reader opens the downloaded CSV (`=`, `@`, or
/// `+`/`-` before anything but a plain number: `=HYPERLINK(…)`, `-cmd|…`, `+1+cmd|…`, and
/// `-2+3`, which Excel shows as 1) is refused, not published: pages show it as text, but the
/// downloads are made for Excel. A signed number alone (`-5`) or a lone dash is what it shows.
pub fn no_formula(text: &str) -> Result<&str, String> {
    let first = text.chars().next();
    let plain_number = |rest: &str| {
        let rest = rest.trim();
        rest.chars().all(|c| c.is_ascii_digit() || c == '.')
            && rest.chars().filter(|&c| c == '.').count() <= 1
            && rest.chars().any(|c| c.is_ascii_digit())
    };
    let formula = match first {
        Some('=' | '@') => true,
        Some(c @ ('+' | '-')) => {
            let rest = &text[c.len_utf8()..];
            !(rest.chars().all(|c| c == '-' || c.is_whitespace()) || plain_number(rest))
        }
        _ => false,
    };
    if !formula {
        return Ok(text);
    }
    let shown: String = text.chars().take(40).collect();
    let more = if text.chars().nth(40).is_some() { "…" } else { "" };
    Err(format!(
        "`{shown}{more}` 以“{}”开头：下载的 CSV 在 Excel 中打开时会被当作公式执行；请改写开头（如去掉“{0}”，或在前面加上文字）",
        first.unwrap_or_default()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_excel_runs_as_a_formula_is_refused_and_a_signed_number_is_not() {
        for f in ["=1+1", "@SUM(1)", "+1+cmd|' /C calc'!A0", "-2+3", "+86 851 1234567", "-cmd|x", "+ abc", "-1.2.3"] {
            assert!(no_formula(f).is_err(), "{f}");
        }
        for t in ["-5", "+10.19", "- 3", "-", "--", "—", "12393", "a=b", "遵义-1"] {
            assert_eq!(no_formula(t), Ok(t), "{t}");
        }
    }
}
