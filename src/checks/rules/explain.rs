//! How a rule's operands are put into words: figures at their fields' decimal places, the
//! arithmetic with the actual numbers (`1,079.96 + 21,772.41 − 21,885.53`), labels, the
//! record a message is about and where it points. Shared by failures and "not checked" lines.

use crate::base::diag::Loc;
use crate::inputs::schema::expr::{BinOp, Expr};
use crate::inputs::schema::{Field, Layout, Table};
use crate::inputs::value;
use rust_decimal::Decimal;

use super::resolve::leaf_rows;
use super::validator::{At, Validator};
use super::values::{V, field_places, fmt_num, from_value, given, num, show_v};

impl<'a> Validator<'a> {
    fn places(&self, x: &Expr, at: At<'a>) -> u32 {
        self.known_places(x, at).unwrap_or(2)
    }

    /// The most decimal places among the fields `x` reads; None when it reads no field (a count
    /// is whole, a constant as written).
    pub(super) fn known_places(&self, x: &Expr, at: At<'a>) -> Option<u32> {
        if let Expr::Call(f, _) = x
            && matches!(f.as_str(), "count" | "count_where")
        {
            return Some(0);
        }
        let mut names = Vec::new();
        x.refs(&mut names);
        names.iter().filter_map(|n| self.resolve_name(n, at).field.map(field_places)).max()
    }

    /// `x` with every name replaced by its formatted value: `1,079.96 + 21,772.41 − 21,885.53`.
    pub(super) fn show(&self, x: &Expr, at: At<'a>, zero: bool) -> String {
        match x {
            // constants as written in the rule (× 10000), not grouped like reported figures
            Expr::Num(n) => n.normalize().to_string(),
            Expr::Ident(_) | Expr::Member(..) => match Self::path(x) {
                Some(p) => {
                    let n = self.resolve(&p, at);
                    match (&n.v, n.field) {
                        (V::Num(d), Some(f)) => fmt_num(*d, field_places(f)),
                        (V::Missing, Some(f)) if zero => fmt_num(Decimal::ZERO, field_places(f)),
                        (V::Missing, _) if zero => "0".into(),
                        (V::Missing, _) => "—".into(),
                        (v, _) => show_v(v),
                    }
                }
                None => "…".into(),
            },
            Expr::Bin(op, a, b) => {
                let sym = match op {
                    BinOp::Add => " + ",
                    BinOp::Sub => " − ",
                    BinOp::Mul => " × ",
                    BinOp::Div => " ÷ ",
                    BinOp::And => " 且 ",
                    BinOp::Or => " 或 ",
                };
                let wrap = |e: &Expr, s: String| {
                    if matches!(e, Expr::Bin(BinOp::Add | BinOp::Sub, ..)) && matches!(op, BinOp::Mul | BinOp::Div) {
                        format!("({s})")
                    } else {
                        s
                    }
                };
                let right = self.show(b, at, zero);
                let right = if matches!(op, BinOp::Sub | BinOp::Div) && matches!(b.as_ref(), Expr::Bin(..)) {
                    format!("({right})")
                } else {
                    wrap(b, right)
                };
                format!("{}{sym}{}", wrap(a, self.show(a, at, zero)), right)
            }
            Expr::Call(name, _) if name == "sum" => {
                if let Some(s) = self.leaf_sum(x, at, zero) {
                    return s;
                }
                let v = self.eval(x, at, zero);
                match v {
                    V::Num(n) => format!("合计 {}", fmt_num(n, self.places(x, at))),
                    V::Overflow => format!("合计 {}", show_v(&v)),
                    _ => "合计 —".into(),
                }
            }
            other => show_v(&self.eval(other, at, zero)),
        }
    }

    /// `sum(leaf_rows)` in a matrix column, figure by figure as a sum of fields is shown:
    /// `各明细行 27 + 4 + 0 + 9`, a blank (or a row left out) as 0 when the rule counts blanks as
    /// 0, else —. None for any other expression or scope.
    fn leaf_sum(&self, x: &Expr, at: At<'a>, zero: bool) -> Option<String> {
        let (Expr::Call(f, args), At::Col { m, block, col, .. }) = (x, at) else { return None };
        let [Expr::Ident(arg)] = args.as_slice() else { return None };
        if f != "sum" || arg != "leaf_rows" {
            return None;
        }
        let places = field_places(&col.cell);
        let terms: Vec<String> = leaf_rows(block, m)
            .map(|r| match from_value(m.get(&r.id, &col.id)) {
                V::Num(d) => fmt_num(d, places),
                V::Missing if zero => fmt_num(Decimal::ZERO, places),
                v => show_v(&v),
            })
            .collect();
        Some(format!("各明细行 {}", terms.join(" + ")))
    }

    /// With blanks counted as 0, a note naming the figures `xs` read that were blank (未填报 or
    /// 不适用; in a matrix column also the detail rows left out), so a sum showing 0 says which
    /// 0 was not reported. None when every figure was given.
    pub(super) fn blanks_note(&self, xs: &[&Expr], at: At<'a>) -> Option<String> {
        const SHOWN: usize = 5;
        let mut names = Vec::new();
        for x in xs {
            x.refs(&mut names);
        }
        names.dedup();
        let mut blank: Vec<String> = Vec::new();
        for n in &names {
            match at {
                At::Col { m, block, col, .. } if n == "leaf_rows" => blank.extend(
                    leaf_rows(block, m)
                        .filter(|r| !given(&from_value(m.get(&r.id, &col.id))))
                        .map(|r| format!("“{}·{}”", r.label, col.label)),
                ),
                _ => {
                    let r = self.resolve_name(n, at);
                    let shown = format!("“{}”（{n}）", r.label);
                    if r.v == V::Missing && !blank.contains(&shown) {
                        blank.push(shown);
                    }
                }
            }
        }
        if blank.is_empty() {
            return None;
        }
        let more = if blank.len() > SHOWN { format!(" 等 {} 项", blank.len()) } else { String::new() };
        blank.truncate(SHOWN);
        Some(format!("未填报或不适用的数值按 0 计：{}{more}", blank.join("、")))
    }

    /// How an operand is named in a message: a field's label, or its formula.
    pub(super) fn describe(&self, x: &Expr, v: &V, at: At<'a>, zero: bool) -> (String, bool, Option<Loc>) {
        // sum(leaf_rows): the column's detail rows, figure by figure
        if let Some(s) = self.leaf_sum(x, at, zero) {
            return (s, false, None);
        }
        // sum(children.x): name the aggregate instead of repeating its value
        if let Expr::Call(f, args) = x
            && f == "sum"
            && let [arg] = args.as_slice()
            && let Some(p) = Self::path(arg)
        {
            let n = self.resolve(&p, at);
            return (format!("{}之和", n.label), true, None);
        }
        // count_where(T, cond): the number of T's records that meet the condition
        if let Expr::Call(f, args) = x
            && matches!(f.as_str(), "count" | "count_where")
            && let Some(arg) = args.first()
        {
            let tid = match arg {
                Expr::Ident(tid) => Some(tid.as_str()),
                Expr::Member(_, tid) => Some(tid.as_str()),
                _ => None,
            };
            if let Some(ot) = tid.and_then(|tid| self.schema.get(tid)) {
                let which = if f == "count" { "记录数" } else { "符合条件的记录数" };
                return (format!("“{}”中{which}", ot.title), true, None);
            }
        }
        if let Some(p) = Self::path(x) {
            let n = self.resolve(&p, at);
            let id = p.join(".");
            return (format!("“{}”（{id}）", n.label), true, n.loc);
        }
        let _ = v;
        (self.show(x, at, zero), false, None)
    }

    pub(super) fn context(&self, t: &Table, at: At<'a>) -> String {
        let (e, y, _) = at.ey();
        let who = &self.registry.get(e).name;
        let what = match at {
            At::Record { rec, .. } => match &t.layout {
                Layout::Records { key, fields, .. } if !key.is_empty() => {
                    let k: Vec<String> = key.iter().map(|&i| value::display(&fields[i], &rec.values.at(i))).collect();
                    format!("“{}”（{}）", t.full_title(), k.join("，"))
                }
                _ => format!("“{}”", t.full_title()),
            },
            At::Row { row, .. } => format!("“{}”·{}", t.full_title(), row.label),
            At::Col { col, .. } => format!("“{}”·{}", t.full_title(), col.label),
            At::Site { .. } => format!("“{}”", t.full_title()),
        };
        format!("{who} {y}年度 {what}")
    }

    pub(super) fn record_loc(&self, at: At<'a>) -> Option<Loc> {
        let (e, y, ti) = at.ey();
        match at {
            At::Record { rec, .. } => Some(rec.loc),
            At::Row { m, row, .. } => m.cells.iter().find(|((r, _), _)| *r == row.id).map(|(_, (_, l))| *l),
            At::Col { m, col, .. } => m.cells.iter().find(|((_, c), _)| *c == col.id).map(|(_, (_, l))| *l),
            // the top of the entity-year's own file, else its entry in the registry
            At::Site { .. } => {
                let ey = self.data.years.get(&(e, y));
                ey.and_then(|ey| ey.meta.files.first().map(|&f| Loc { file: f, start: 0, end: 0 }))
                    .or_else(|| self.entry(e, y, ti).map(|t| t.origin))
                    .or(Some(self.registry.get(e).loc))
            }
        }
        .or_else(|| self.entry(e, y, ti).map(|t| t.origin))
    }

    /// One side of a text comparison in words, and where its value was written.
    pub(super) fn text_side(&self, x: &Expr, v: &V, at: At<'a>, enum_field: Option<&Field>) -> (String, Option<Loc>) {
        let shown = |f: Option<&Field>, v: &V| match (f, v) {
            (Some(f), V::Str(s)) => f.enum_label(s).unwrap_or(s).to_string(),
            (_, V::Date(y, m, d)) => format!("{y}年{m}月{d}日"),
            _ => show_v(v),
        };
        match x {
            Expr::Str(_) => (format!("“{}”", shown(enum_field, v)), None),
            Expr::Call(f, args) if f == "substr" && args.first().and_then(Self::path).is_some() => {
                let p = args.first().and_then(Self::path).unwrap_or_default();
                let n = self.resolve(&p, at);
                let pos = |i: usize| args.get(i).and_then(|a| num(&self.eval(a, at, false)));
                let place = match (pos(1), pos(2)) {
                    (Some(s), Some(e)) if e == s + Decimal::ONE => format!("第 {} 位", s + Decimal::ONE),
                    (Some(s), Some(e)) => format!("第 {}–{} 位", s + Decimal::ONE, e),
                    _ => "一部分".into(),
                };
                (format!("“{}”（{}）{} 的{place}为“{}”", n.label, p.join("."), show_v(&n.v), show_v(v)), n.loc)
            }
            Expr::Call(f, args) if f == "normalize" && args.first().and_then(Self::path).is_some() => {
                let p = args.first().and_then(Self::path).unwrap_or_default();
                let n = self.resolve(&p, at);
                (format!("“{}”（{}）为“{}”", n.label, p.join("."), show_v(&n.v)), n.loc)
            }
            Expr::Member(base, f) if matches!(base.as_ref(), Expr::Index(..)) => {
                let Expr::Index(tb, _) = base.as_ref() else { return (show_v(v), None) };
                let ot = match tb.as_ref() {
                    Expr::Ident(tid) => self.schema.get(tid),
                    _ => None,
                };
                match ot {
                    Some(ot) => {
                        let field = ot.field_index(f).map(|i| &ot.fields()[i]);
                        let label = field.map_or(f.as_str(), |fl| fl.label.as_str());
                        (format!("“{}”中该机构的“{label}”为“{}”", ot.title, shown(field, v)), None)
                    }
                    None => (show_v(v), None),
                }
            }
            _ => match Self::path(x) {
                Some(p) => {
                    let n = self.resolve(&p, at);
                    (format!("“{}”（{}）为“{}”", n.label, p.join("."), shown(n.field, v)), n.loc)
                }
                None => (format!("“{}”", shown(None, v)), None),
            },
        }
    }

    /// Where the first figure `x` reads was written.
    pub(super) fn first_loc(&self, x: &Expr, at: At<'a>) -> Option<Loc> {
        let mut names = Vec::new();
        x.refs(&mut names);
        names.iter().find_map(|n| self.resolve_name(n, at).loc)
    }
}
