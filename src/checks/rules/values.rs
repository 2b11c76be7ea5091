//! Values as rules see them: what a cell becomes during evaluation, how two values compare
//! within a tolerance, and how a value is written in a message. The bottom of the rules
//! module: everything else evaluates into or prints these.

use crate::inputs::schema::expr::CmpOp;
use crate::inputs::schema::{Field, FieldType};
use crate::inputs::value::{self, Value};
use rust_decimal::Decimal;

/// A value during evaluation.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum V {
    Num(Decimal),
    Str(String),
    Bool(bool),
    Date(i32, u32, u32),
    Set(Vec<V>),
    Missing,
    /// Arithmetic on figures so large that its result is beyond what an exact decimal holds
    /// (about 7.9 × 10²⁸): the rule cannot be checked, and the figures are far from any real
    /// fund's. Carried through what uses it like `Missing`, equal to nothing, and reported at
    /// the figures (`Validator::too_large`), never taken as a rule not checked.
    Overflow,
}

/// The number in `v`, when it is one.
pub(super) fn num(v: &V) -> Option<Decimal> {
    match v {
        V::Num(n) => Some(*n),
        _ => None,
    }
}

/// Whether `v` holds anything that was given: a set (a matrix column's `leaf_rows`,
/// `children.x`) only when one of its members was.
pub(super) fn given(v: &V) -> bool {
    match v {
        V::Missing => false,
        V::Set(s) => s.iter().any(given),
        _ => true,
    }
}

/// Why a cell has no value, for "rule not checked" lines.
pub(super) fn why(v: &Value) -> &'static str {
    match v {
        Value::NotApplicable => "填报为不适用",
        _ => "未填报",
    }
}

/// A loaded cell as an evaluation value (absent and 不适用 are both missing).
pub(super) fn from_value(v: &Value) -> V {
    match v {
        Value::Absent | Value::NotApplicable => V::Missing,
        Value::Int(i) => V::Num(Decimal::from(*i)),
        Value::Dec(d) => V::Num(*d),
        Value::Text(t) => V::Str(String::from(&**t)),
        Value::Bool(b) => V::Bool(*b),
        Value::Date { y, m, d } => V::Date(*y, *m, *d),
    }
}

/// Does `a op b` hold within `tol`? None when the values cannot be compared.
pub(super) fn compare(a: &V, op: CmpOp, b: &V, tol: Decimal) -> Option<bool> {
    match (a, b) {
        (V::Num(x), V::Num(y)) => {
            // Figures of opposite signs near the limit differ by more than a decimal holds:
            // then by far more than any tolerance, and in the direction of their order.
            let Some(d) = x.checked_sub(*y) else {
                let above = x > y;
                return Some(match op {
                    CmpOp::Eq | CmpOp::Approx => false,
                    CmpOp::Ne => true,
                    CmpOp::Le | CmpOp::Lt => !above,
                    CmpOp::Ge | CmpOp::Gt => above,
                });
            };
            Some(match op {
                CmpOp::Eq | CmpOp::Approx => d.abs() <= tol,
                CmpOp::Ne => d.abs() > tol,
                CmpOp::Le => d <= tol,
                CmpOp::Lt => d < tol,
                CmpOp::Ge => d >= -tol,
                CmpOp::Gt => d > -tol,
            })
        }
        (V::Date(..), V::Date(..)) => {
            let (x, y) = (date_key(a), date_key(b));
            Some(match op {
                CmpOp::Eq | CmpOp::Approx => x == y,
                CmpOp::Ne => x != y,
                CmpOp::Le => x <= y,
                CmpOp::Lt => x < y,
                CmpOp::Ge => x >= y,
                CmpOp::Gt => x > y,
            })
        }
        (V::Missing | V::Overflow, _) | (_, V::Missing | V::Overflow) => None,
        _ => match op {
            CmpOp::Eq | CmpOp::Approx => Some(a == b),
            CmpOp::Ne => Some(a != b),
            _ => None,
        },
    }
}

fn date_key(v: &V) -> (i32, u32, u32) {
    match v {
        V::Date(y, m, d) => (*y, *m, *d),
        _ => (0, 0, 0),
    }
}

/// 0.29 → "29": the percentage a fraction was probably meant as.
pub(super) fn percent_of(d: Decimal) -> String {
    value::group_thousands(&(d * Decimal::ONE_HUNDRED).normalize().to_string())
}

pub(super) fn fmt_num(n: Decimal, places: u32) -> String {
    value::group_thousands(&value::format_places(n, places))
}

pub(super) fn show_num(v: &V, places: u32) -> String {
    match v {
        V::Num(n) => fmt_num(*n, places),
        other => show_v(other),
    }
}

pub(super) fn show_v(v: &V) -> String {
    match v {
        V::Num(n) => value::group_thousands(&n.normalize().to_string()),
        V::Str(s) => s.clone(),
        V::Bool(b) => if *b { "是" } else { "否" }.into(),
        V::Date(y, m, d) => format!("{y}-{m:02}-{d:02}"),
        V::Set(s) => format!("{} 项", s.len()),
        V::Missing => "—".into(),
        V::Overflow => "（超出可计算的范围）".into(),
    }
}

/// The decimal places a field's figures are shown with: its own for decimals and percentages,
/// none for counts and years.
pub(super) fn field_places(f: &Field) -> u32 {
    if matches!(f.ty, FieldType::Decimal | FieldType::Percent) { f.places } else { 0 }
}

/// A value as `==` with no tolerance tells values apart (`compare`): numbers by their
/// value (1.0 == 1.00), dates by day, texts and yes/no as written.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) enum Key {
    Num(Decimal),
    Str(String),
    Bool(bool),
    Date(i32, u32, u32),
}

/// How many records give each value of `l`; None when some record gives a list, which is not
/// looked up (the rule is then evaluated record by record).
pub(super) type Counts = Option<std::collections::HashMap<Key, usize>>;

/// Ok(None) for a missing value, which equals nothing; Err for a list.
pub(super) fn key(v: V) -> Result<Option<Key>, ()> {
    Ok(Some(match v {
        V::Num(n) => Key::Num(n.normalize()),
        V::Str(s) => Key::Str(s),
        V::Bool(b) => Key::Bool(b),
        V::Date(y, m, d) => Key::Date(y, m, d),
        V::Missing | V::Overflow => return Ok(None),
        V::Set(_) => return Err(()),
    }))
}
