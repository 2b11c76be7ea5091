//! The message of a failed rule: the arithmetic with the reported figures and the difference,
//! texts and dates by their labels, a hint when percentages look typed as fractions, the rule's
//! note and source. What an office reads to find and fix the figure.

use crate::base::diag::{Diagnostic, Loc, Words};
use crate::inputs::schema::expr::{CmpOp, Expr};
use crate::inputs::schema::{FieldType, Missing, Rule, Severity, Table};
use rust_decimal::{Decimal, RoundingStrategy};

use super::validator::{At, Validator};
use super::values::{V, compare, field_places, fmt_num, num, percent_of, show_num, show_v, why};
use crate::inputs::value::Value;

impl<'a> Validator<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn failure(
        &self,
        rule: &Rule,
        t: &Table,
        (a, va): (&Expr, &V),
        op: CmpOp,
        (b, vb): (&Expr, &V),
        at: At<'a>,
        tol: Decimal,
    ) -> Diagnostic {
        if num(va).is_none() || num(vb).is_none() {
            return self.text_failure(rule, t, (a, va), op, (b, vb), at);
        }
        let zero = rule.missing == Missing::Zero;
        let (da, a_named, a_loc) = self.describe(a, va, at, zero);
        let (db, b_named, b_loc) = self.describe(b, vb, at, zero);
        // Each side at its own fields' places, so a count never shows decimals (12, not 12.00).
        let (pa, pb) = (self.known_places(a, at), self.known_places(b, at));
        let places = pa.max(pb).unwrap_or(2);
        let fa = pa.map_or_else(|| show_v(va), |p| show_num(va, p));
        let fb = pb.map_or_else(|| show_v(vb), |p| show_num(vb, p));
        let diff = match (num(va), num(vb)) {
            (Some(x), Some(y)) => x.checked_sub(y).map_or_else(|| show_v(&V::Overflow), |d| fmt_num(d.abs(), places)),
            _ => String::new(),
        };
        let text = match op {
            CmpOp::Eq | CmpOp::Approx => match (a_named, b_named) {
                (true, false) => format!("{db} = {fb}，但{da}填报值为 {fa}（相差 {diff}）"),
                (false, true) => format!("{da} = {fa}，但{db}填报值为 {fb}（相差 {diff}）"),
                (true, true) => format!("{da}为 {fa}，{db}为 {fb}，两者应相等（相差 {diff}）"),
                (false, false) if matches!(b, Expr::Num(_)) => format!("{da} = {fa}，应等于 {fb}（相差 {diff}）"),
                (false, false) => format!("{da} = {fa}，{db} = {fb}，两边应相等（相差 {diff}）"),
            },
            CmpOp::Ne => format!("{da}（{fa}）不应等于 {db}（{fb}）"),
            _ => {
                let word = order_word(op, false);
                let sa = if a_named { format!("{da}为 {fa}") } else { format!("{da} = {fa}") };
                let sb = if b_named {
                    format!("{db}（{fb}）")
                } else if matches!(b, Expr::Num(_)) {
                    fb.clone()
                } else {
                    format!("{db} = {fb}")
                };
                format!("{sa}，应{word}{sb}")
            }
        };
        // a named figure; else the first figure of a sum (a matrix column has no record line)
        let first = self.first_loc(a, at).or_else(|| self.first_loc(b, at));
        let loc = a_loc.or(b_loc).or(first).or_else(|| self.record_loc(at));
        let label = if a_loc.is_some() {
            format!("填报值 {fa}")
        } else if b_loc.is_some() {
            format!("填报值 {fb}")
        } else if first.is_some() {
            "算式中的第一个数".into()
        } else {
            "此记录".into()
        };
        let mut d = diag(rule, format!("{}：{text}", self.context(t, at))).at_opt(loc).label(label);
        if let Some(n) = self
            .percent_hint((a, va, &fa), vb, true, op, at, tol)
            .or_else(|| self.percent_hint((b, vb, &fb), va, false, op, at, tol))
        {
            d = d.note(n);
        }
        if zero && let Some(n) = self.blanks_note(&[a, b], at) {
            d = d.note(n);
        }
        if let Some(n) = &rule.note {
            d = d.note(n.clone());
        }
        if !tol.is_zero() {
            d = d.note(format!(
                "允许的舍入误差：±{}",
                fmt_num(
                    tol.round_dp_with_strategy(places.max(2), RoundingStrategy::MidpointAwayFromZero),
                    places.max(2)
                )
            ));
        }
        d.note(source_note(rule))
    }

    /// A rule whose arithmetic on the reported figures goes beyond what an exact decimal holds
    /// (`V::Overflow`, in `x`): figures that large are no fund's (digits typed twice, figures
    /// run together, 元 where 万元 belong), and what they should add up to cannot be checked, so
    /// it is a finding of the rule, never a rule "not checked". At the largest figure of the
    /// part of `x` that overflows, naming each figure of that part. `zero`: the rule counts
    /// blanks as 0.
    pub(super) fn too_large(&self, rule: &Rule, t: &Table, x: &Expr, at: At<'a>, zero: bool) -> Diagnostic {
        // the innermost part that overflows: `total_amount × 10000`, not the whole comparison
        let mut part = x;
        loop {
            let mut inner = None;
            part.each_child(&mut |c| {
                if inner.is_none() && self.eval(c, at, zero) == V::Overflow {
                    inner = Some(c);
                }
            });
            match inner {
                Some(c) => part = c,
                None => break,
            }
        }
        let mut names = Vec::new();
        part.refs(&mut names);
        names.dedup();
        let (mut shown, mut largest) = (Vec::new(), None::<(Decimal, Loc)>);
        for n in &names {
            let r = self.resolve_name(n, at);
            if let (V::Num(d), Some(l)) = (&r.v, r.loc)
                && largest.is_none_or(|(m, _)| d.abs() > m)
            {
                largest = Some((d.abs(), l));
            }
            let v = match (&r.v, r.field) {
                (V::Num(d), Some(f)) => fmt_num(*d, field_places(f)),
                (v, _) => show_v(v),
            };
            shown.push(format!("“{}”（{n}）为 {v}", r.label));
        }
        let loc = largest.map(|(_, l)| l).or_else(|| self.first_loc(part, at)).or_else(|| self.record_loc(at));
        let mut d = diag(
            rule,
            format!(
                "{}：{} 的结果超出了可以精确计算的范围（约 7.9×10²⁸），无法核对规则 {}",
                self.context(t, at),
                self.show(part, at, zero),
                rule.id
            ),
        )
        .at_opt(loc)
        .label("数值过大");
        if !shown.is_empty() {
            d = d.note(shown.join("；"));
        }
        d = d
            .note("这样大的数不会是真实的金额或人次：多半是多填了位数、把几个数连在了一起，或单位填错；请核对这些数值");
        if let Some(n) = &rule.note {
            d = d.note(n.clone());
        }
        d.note(source_note(rule))
    }

    /// Whether `x` has no value because what it reads was written as 不适用 (`—`): each name
    /// it reads is 不适用 or left out, and one at least is 不适用 (not, say, a division by a
    /// zero that was given).
    pub(super) fn not_applicable(&self, x: &Expr, at: At<'a>) -> bool {
        let mut names = Vec::new();
        x.refs(&mut names);
        let (na, absent) = (why(&Value::NotApplicable), why(&Value::Absent));
        let read: Vec<_> = names.iter().map(|n| self.resolve_name(n, at)).collect();
        read.iter().any(|r| r.why == na && r.v == V::Missing)
            && read.iter().all(|r| r.v == V::Missing && (r.why == na || r.why == absent))
    }

    /// A side written as 不适用 (`x`) where another side of the rule is a figure other than 0:
    /// `“本年收入小计”（income_subtotal）填报为不适用（—），但 保险费收入 + … = 453,975.29`.
    pub(super) fn not_applicable_failure(
        &self,
        rule: &Rule,
        t: &Table,
        x: &Expr,
        (b, vb): (&Expr, &V),
        at: At<'a>,
    ) -> Diagnostic {
        let (dx, x_loc) = match Self::path(x) {
            Some(_) => {
                let (dx, _, loc) = self.describe(x, &V::Missing, at, true);
                (dx, loc)
            }
            // a sum of names: each by its label (their figures would all show as 0)
            None => {
                let mut names = Vec::new();
                x.refs(&mut names);
                let na = why(&Value::NotApplicable);
                let shown: Vec<String> = names
                    .iter()
                    .map(|n| (n, self.resolve_name(n, at)))
                    .filter(|(_, r)| r.why == na)
                    .map(|(n, r)| format!("“{}”（{n}）", r.label))
                    .collect();
                (format!("{}{}", shown.join("、"), if shown.len() > 1 { "均" } else { "" }), None)
            }
        };
        let (db, b_named, _) = self.describe(b, vb, at, true);
        let fb = self.known_places(b, at).map_or_else(|| show_v(vb), |p| show_num(vb, p));
        let other = if b_named { format!("{db}为 {fb}") } else { format!(" {db} = {fb}") };
        let mut d = diag(rule, format!("{}：{dx}填报为不适用（—），但{other}", self.context(t, at)))
            .at_opt(x_loc.or_else(|| self.first_loc(x, at)).or_else(|| self.record_loc(at)))
            .label("填报为不适用")
            .note("不适用的合计或项目，与之相加或相比的数也应不适用或为 0：请核对是“—”填错了，还是其他数填错了");
        if let Some(n) = &rule.note {
            d = d.note(n.clone());
        }
        d.note(source_note(rule))
    }

    /// When `x` reads only percentages and holds once multiplied by 100, the figures were
    /// probably typed as fractions (0.29 for 29 %): say so.
    #[allow(clippy::too_many_arguments)]
    fn percent_hint(
        &self,
        (x, vx, shown): (&Expr, &V, &str),
        other: &V,
        left: bool,
        op: CmpOp,
        at: At<'a>,
        tol: Decimal,
    ) -> Option<String> {
        let mut names = Vec::new();
        x.refs(&mut names);
        let percent = |n: &String| self.resolve_name(n, at).field.is_some_and(|f| f.ty == FieldType::Percent);
        if names.is_empty() || !names.iter().all(percent) {
            return None;
        }
        let n = num(vx)?;
        if n.abs() > Decimal::ONE {
            return None;
        }
        let scaled = V::Num(n * Decimal::ONE_HUNDRED);
        // a fraction at 2 places is only good to ±0.5 percentage points
        let tol = tol + Decimal::new(5, 1);
        let holds = if left { compare(&scaled, op, other, tol) } else { compare(other, op, &scaled, tol) };
        (holds == Some(true))
            .then(|| format!("百分数可能按小数填写：{shown} 是否应为 {}%？百分数按 0–100 填写", percent_of(n)))
    }

    /// A failed comparison of texts, codes or dates: each side by its label and value, e.g.
    /// `“医保定点医药机构编码”（code）的第 1 位为“H”，与“类型”（kind）“定点零售药店”不一致`.
    fn text_failure(
        &self,
        rule: &Rule,
        t: &Table,
        (a, va): (&Expr, &V),
        op: CmpOp,
        (b, vb): (&Expr, &V),
        at: At<'a>,
    ) -> Diagnostic {
        // a literal is shown with the label of the enum field it is compared with
        let field_of = |x: &Expr| Self::path(x).and_then(|p| self.resolve(&p, at).field);
        let (da, a_loc) = self.text_side(a, va, at, field_of(b));
        let (db, b_loc) = self.text_side(b, vb, at, field_of(a));
        let dates = matches!(va, V::Date(..)) || matches!(vb, V::Date(..));
        let text = match op {
            CmpOp::Eq | CmpOp::Approx if matches!(b, Expr::Str(_)) => format!("{da}，应为{db}"),
            CmpOp::Eq | CmpOp::Approx => format!("{da}，与{db}不一致"),
            CmpOp::Ne => format!("{da}，不应为{db}"),
            _ => {
                let word = order_word(op, dates);
                format!("{da}，应{word}{db}")
            }
        };
        let mut d = diag(rule, format!("{}：{text}", self.context(t, at)))
            .at_opt(a_loc.or(b_loc).or_else(|| self.record_loc(at)))
            .label("此处");
        if let Some(n) = &rule.note {
            d = d.note(n.clone());
        }
        d.note(source_note(rule))
    }

    /// A failed check that is no comparison of two operands (or a site rule): the rule's note,
    /// with every value it reads.
    pub(super) fn generic_failure(&self, rule: &Rule, t: &Table, check: &Expr, at: At<'a>) -> Diagnostic {
        let mut names = Vec::new();
        // site rules read whole tables; their note says what is missing
        if !matches!(at, At::Site { .. }) {
            check.refs(&mut names);
        }
        let mut shown = Vec::new();
        // at the first figure that was given (the 0 where "—" belongs), else the first one
        let (mut loc, mut given) = (None, None);
        for n in &names {
            let r = self.resolve_name(n, at);
            loc = loc.or(r.loc);
            if r.v != V::Missing {
                given = given.or(r.loc);
            }
            let v = match (&r.v, r.field) {
                (V::Str(s), Some(f)) if f.ty == FieldType::Enum => f.enum_label(s).unwrap_or(s).to_string(),
                (V::Num(d), Some(f)) => fmt_num(*d, field_places(f)),
                (v, _) => show_v(v),
            };
            shown.push(format!("“{}”（{n}）为 {v}", r.label));
        }
        let what = rule.note.clone().unwrap_or_else(|| format!("不满足规则 {}", rule.source));
        let mut d = diag(rule, format!("{}：{what}", self.context(t, at)))
            .at_opt(given.or(loc).or_else(|| self.record_loc(at)))
            .label("此处");
        if !shown.is_empty() {
            d = d.note(shown.join("；"));
        }
        d.note(source_note(rule))
    }
}

/// A rule's finding at the rule's severity, under the rule's id.
fn diag(rule: &Rule, message: String) -> Diagnostic {
    match rule.severity {
        Severity::Error => Diagnostic::error(&rule.id, message),
        Severity::Warning => Diagnostic::warning(&rule.id, message),
    }
}

/// The last note of every rule message: which rule, as written.
pub(super) fn source_note(rule: &Rule) -> Words {
    Words::from(&rule.source_note)
}

/// An ordering in words: 不大于, 小于 … for figures, 不晚于, 早于 … for dates.
fn order_word(op: CmpOp, dates: bool) -> &'static str {
    match (op, dates) {
        (CmpOp::Le, true) => "不晚于",
        (CmpOp::Lt, true) => "早于",
        (CmpOp::Ge, true) => "不早于",
        (CmpOp::Gt, true) => "晚于",
        (CmpOp::Le, false) => "不大于",
        (CmpOp::Lt, false) => "小于",
        (CmpOp::Ge, false) => "不小于",
        _ => "大于",
    }
}
