//! The `<table>` element of one table part, written here in code rather than in a template.
//!
//! Why code: the cells carry the accessibility contract (`scope`, `id`/`headers` pairs, the
//! not-applicable and not-filled marks, figures kept whole) that tests check once for every
//! theme, and they are the build's hot loop: interpreting the cell markup per cell took about a
//! third of the CPU time of a 5,000 entity-year build. Themes still arrange everything around
//! the table (`table.html`: heading, scroll region, notes, downloads).
//!
//! Text is escaped as the template engine escapes it (with the same crate, which its `fast`
//! feature uses), so the bytes are the same as when the template wrote them.

use super::views::Cell;

/// A header cell.
pub struct HCell {
    pub text: String,
    pub id: String,
    pub colspan: usize,
    pub rowspan: usize,
    /// `col`, `colgroup`, `row` or `rowgroup`.
    pub scope: &'static str,
}

/// A body row.
pub struct BodyRow {
    pub th: HCell,
    /// 0 for top-level rows; 1, 2 for 其中 items and nested rows (indentation).
    pub level: u32,
    /// A heading row with no data (a merged label spanning the row in the source table).
    pub heading: bool,
    pub total: bool,
    pub cells: Vec<Cell>,
}

/// The rows of one table part before they are written out.
pub struct Grid {
    pub caption: String,
    pub unit: String,
    pub head: Vec<Vec<HCell>>,
    pub body: Vec<BodyRow>,
}

/// The `<table>` of `g`, its caption labelled `caption_id`. A lone part's caption is only read
/// out (the section heading shows the same title); parts of a split table show theirs.
pub fn table(g: &Grid, caption_id: &str, caption_shown: bool) -> String {
    let mut o = Html(String::with_capacity(256 + 96 * g.body.iter().map(|r| r.cells.len() + 1).sum::<usize>()));
    o.raw("<table>\n<caption id=\"");
    o.text(caption_id);
    o.raw("\">");
    if caption_shown {
        o.text(&g.caption);
    } else {
        o.raw("<span class=\"visually-hidden\">");
        o.text(&g.caption);
        o.raw("</span>");
    }
    if !g.unit.is_empty() {
        o.raw(" <span class=\"unit\">单位：");
        o.text(&g.unit);
        o.raw("</span>");
    }
    o.raw("</caption>\n<thead>");
    for row in &g.head {
        o.raw("\n<tr>");
        for h in row {
            o.raw("<th scope=\"");
            o.raw(h.scope);
            o.raw("\"");
            if !h.id.is_empty() {
                o.attr(" id=\"", &h.id);
            }
            if h.colspan > 1 {
                o.number(" colspan=\"", h.colspan);
            }
            if h.rowspan > 1 {
                o.number(" rowspan=\"", h.rowspan);
            }
            o.raw(">");
            o.text(&h.text);
            o.raw("</th>");
        }
        o.raw("</tr>");
    }
    o.raw("\n</thead>\n<tbody>");
    for r in &g.body {
        if r.heading {
            o.raw("\n<tr class=\"group-row\"><th scope=\"rowgroup\"");
            o.attr(" id=\"", &r.th.id);
            o.number(" colspan=\"", r.th.colspan);
            o.number(" class=\"level-", r.level as usize);
            o.raw(">");
            o.text(&r.th.text);
            o.raw("</th></tr>");
            continue;
        }
        o.raw(if r.total { "\n<tr class=\"total-row\">" } else { "\n<tr>" });
        o.raw("<th scope=\"row\"");
        if !r.th.id.is_empty() {
            o.attr(" id=\"", &r.th.id);
        }
        if r.level > 0 {
            o.number(" class=\"level-", r.level as usize);
        }
        o.raw(">");
        o.text(&r.th.text);
        o.raw("</th>");
        for c in &r.cells {
            o.cell(c);
        }
        o.raw("</tr>");
    }
    o.raw("\n</tbody>\n</table>");
    o.0
}

/// `s` escaped for HTML text and attribute values (`& < > "`), as templates escape it.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// `escape`, into `out`.
pub fn escape_into(out: &mut String, s: &str) {
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(out, s);
}

/// A cell's content when the field does not apply: an em dash, read out as 不适用. (Tables,
/// chart data and comparisons all show it so.)
pub const NOT_APPLICABLE_HTML: &str =
    "<span aria-hidden=\"true\">—</span><span class=\"visually-hidden\">不适用</span>";

struct Html(String);

impl Html {
    fn raw(&mut self, s: &str) {
        self.0.push_str(s);
    }

    fn text(&mut self, s: &str) {
        escape_into(&mut self.0, s);
    }

    /// ` name="value"`: `open` is ` name="`.
    fn attr(&mut self, open: &str, value: &str) {
        self.raw(open);
        self.text(value);
        self.raw("\"");
    }

    fn number(&mut self, open: &str, n: usize) {
        self.raw(open);
        self.raw(&n.to_string());
        self.raw("\"");
    }

    fn cell(&mut self, c: &Cell) {
        self.raw("<td");
        if !c.headers.is_empty() {
            self.attr(" headers=\"", &c.headers);
        }
        if c.numeric {
            self.raw(" class=\"num\"");
        } else if c.fig {
            self.raw(" class=\"fig\"");
        }
        self.raw(">");
        if c.na {
            self.raw(NOT_APPLICABLE_HTML);
        } else if c.absent {
            self.raw("<span class=\"absent\">");
            self.text(&c.text);
            self.raw("</span>");
        } else if !c.parts.is_empty() {
            for p in &c.parts {
                match p.href.as_deref().filter(|h| !h.is_empty()) {
                    Some(href) => {
                        self.attr("<a href=\"", href);
                        self.raw(">");
                        self.text(&p.text);
                        self.raw("</a>");
                    }
                    None => self.text(&p.text),
                }
            }
        } else {
            self.text(&c.text);
        }
        self.raw("</td>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::contact::Part;

    fn h(text: &str, id: &str, scope: &'static str) -> HCell {
        HCell { text: text.into(), id: id.into(), colspan: 1, rowspan: 1, scope }
    }

    fn c(text: &str) -> Cell {
        Cell {
            text: text.into(),
            na: false,
            absent: false,
            numeric: false,
            fig: false,
            headers: String::new(),
            parts: Vec::new(),
            region: false,
        }
    }

    #[test]
    fn cells_are_escaped_and_marked() {
        let mut num = c("1,234.50");
        num.numeric = true;
        num.headers = "a r1".into();
        let na = Cell { na: true, ..c("") };
        let absent = Cell { absent: true, ..c("未填报") };
        let linked = Cell {
            parts: vec![
                Part { text: "电话 ".into(), href: None },
                Part { text: "0851-1".into(), href: Some("tel:0851-1".into()) },
            ],
            ..c("电话 0851-1")
        };
        let g = Grid {
            caption: "表<一>".into(),
            unit: "万元".into(),
            head: vec![vec![HCell { colspan: 2, ..h("项目 & 名称", "a", "col") }]],
            body: vec![
                BodyRow {
                    th: HCell { colspan: 3, ..h("一、收入", "g", "rowgroup") },
                    level: 1,
                    heading: true,
                    total: false,
                    cells: vec![],
                },
                BodyRow {
                    th: h("合计", "r1", "row"),
                    level: 2,
                    heading: false,
                    total: true,
                    cells: vec![num, na, absent, linked, c("\"引\"")],
                },
            ],
        };
        let html = table(&g, "t-cap1", false);
        assert_eq!(
            html,
            "<table>\n<caption id=\"t-cap1\"><span class=\"visually-hidden\">表&lt;一&gt;</span> <span class=\"unit\">单位：万元</span></caption>\n\
             <thead>\n<tr><th scope=\"col\" id=\"a\" colspan=\"2\">项目 &amp; 名称</th></tr>\n</thead>\n<tbody>\n\
             <tr class=\"group-row\"><th scope=\"rowgroup\" id=\"g\" colspan=\"3\" class=\"level-1\">一、收入</th></tr>\n\
             <tr class=\"total-row\"><th scope=\"row\" id=\"r1\" class=\"level-2\">合计</th>\
             <td headers=\"a r1\" class=\"num\">1,234.50</td>\
             <td><span aria-hidden=\"true\">—</span><span class=\"visually-hidden\">不适用</span></td>\
             <td><span class=\"absent\">未填报</span></td>\
             <td>电话 <a href=\"tel:0851-1\">0851-1</a></td>\
             <td>&quot;引&quot;</td></tr>\n</tbody>\n</table>"
        );
        assert!(table(&g, "x", true).contains("<caption id=\"x\">表&lt;一&gt; <span"));
    }
}
