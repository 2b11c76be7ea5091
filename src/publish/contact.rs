//! Things people tap: phone numbers become `tel:` links, e-mail addresses `mailto:` links and
//! web addresses links. Text is split into parts shown exactly as written; only the `href` of a
//! part is derived. Only http and https web addresses are linked (never `javascript:` and the like).

use serde::Serialize;

/// A run of text, linked when `href` is set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Part {
    pub text: String,
    pub href: Option<String>,
}

/// What a text value holds, as far as linking goes (decided from the field, not guessed from text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    Phone,
    Email,
    Web,
}

/// Parts of `text` with every link of `kind`; empty when nothing in it is linked.
pub fn parts(kind: Links, text: &str) -> Vec<Part> {
    let spans = match kind {
        Links::Phone => phone_spans(text),
        Links::Email => email_spans(text),
        Links::Web => web_href(text).map(|h| vec![(0, text.len(), h)]).unwrap_or_default(),
    };
    if spans.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end, href) in spans {
        if start > at {
            out.push(Part { text: text[at..start].to_string(), href: None });
        }
        out.push(Part { text: text[start..end].to_string(), href: Some(href) });
        at = end;
    }
    if at < text.len() {
        out.push(Part { text: text[at..].to_string(), href: None });
    }
    out
}

/// `https://…` or `http://…` without spaces: the address itself; anything else is not linked.
pub fn web_href(text: &str) -> Option<String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && t.len() > "https://".len()
        && !t.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| t.to_string())
}

/// Phone numbers: runs of digits and hyphens (full-width too) holding 5 to 15 digits, such as
/// `0851-28000000` or `12393`. Shorter runs (an extension, a room number) are left as text.
fn phone_spans(text: &str) -> Vec<(usize, usize, String)> {
    let digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    let sep = |c: char| c == '-' || c == '－' || c == '—';
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !digit(c) {
            continue;
        }
        let mut end = start + c.len_utf8();
        let mut digits = vec![c];
        while let Some(&(i, n)) = chars.peek() {
            if digit(n) {
                digits.push(n);
                end = i + n.len_utf8();
            } else if !sep(n) {
                break;
            }
            chars.next();
        }
        if (5..=15).contains(&digits.len()) {
            // Full-width digits (０８５１) dial as ASCII ones.
            let ascii =
                |d: char| if d.is_ascii_digit() { d } else { char::from(b'0' + (d as u32 - '０' as u32) as u8) };
            let plain: String = digits.iter().map(|&d| ascii(d)).collect();
            out.push((start, end, format!("tel:{plain}")));
        }
    }
    out
}

/// E-mail addresses: `local@domain.tld` made of ASCII letters, digits and `._%+-`.
fn email_spans(text: &str) -> Vec<(usize, usize, String)> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "._%+-@".contains(c);
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (ok(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let word = text[s..i].trim_end_matches('.');
                if is_email(word) {
                    out.push((s, s + word.len(), format!("mailto:{word}")));
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn is_email(w: &str) -> bool {
    let Some((local, domain)) = w.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hrefs(kind: Links, text: &str) -> Vec<(String, String)> {
        parts(kind, text).into_iter().filter_map(|p| p.href.map(|h| (p.text, h))).collect()
    }

    #[test]
    fn phones_in_text_are_linked_and_text_is_kept() {
        let text = "0851-28000000（示例号码）；全国医疗保障服务热线 12393";
        let p = parts(Links::Phone, text);
        assert_eq!(p.iter().map(|p| p.text.as_str()).collect::<String>(), text);
        assert_eq!(
            hrefs(Links::Phone, text),
            [("0851-28000000".into(), "tel:085128000000".into()), ("12393".into(), "tel:12393".into())]
        );
        assert_eq!(
            hrefs(Links::Phone, "０８５１－１２３４５６７"),
            [("０８５１－１２３４５６７".into(), "tel:08511234567".into())]
        );
        assert!(parts(Links::Phone, "转 803").is_empty());
    }

    #[test]
    fn emails_and_web_addresses() {
        assert_eq!(
            hrefs(Links::Email, "邮箱：a.b@x.example。"),
            [("a.b@x.example".into(), "mailto:a.b@x.example".into())]
        );
        assert!(parts(Links::Email, "无").is_empty());
        assert_eq!(hrefs(Links::Web, "https://x.example/a?b=1&c=2").len(), 1);
        assert!(parts(Links::Web, "javascript:alert(1)").is_empty());
        assert!(parts(Links::Web, "公众号 > 菜单").is_empty());
    }
}
