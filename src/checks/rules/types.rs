//! What kind of value each part of a rule is, as far as the definitions tell, so that an
//! operation that could never be evaluated is an error when the definitions are read: a text or
//! date in arithmetic, a text compared by size, a number given to `substr`. Evaluated, such a
//! rule would be "not checked" on every record, and so would never fail. Needs no data.

use crate::inputs::schema::expr::{BinOp, CmpOp, Expr};
use crate::inputs::schema::{Field, FieldType, Layout, Schema, Scope, Table};

/// A kind of value; `Any` when the definitions do not say (a missing name, a list, a matrix
/// cell), which is never an error here.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Num,
    Text,
    Date,
    Bool,
    Any,
}

impl Kind {
    fn of(f: &Field) -> Kind {
        match f.ty {
            FieldType::Integer | FieldType::Decimal | FieldType::Percent | FieldType::Year => Kind::Num,
            FieldType::Text | FieldType::Enum | FieldType::Code | FieldType::Url => Kind::Text,
            FieldType::Date => Kind::Date,
            FieldType::Bool => Kind::Bool,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Kind::Num => "数值",
            Kind::Text => "文本",
            Kind::Date => "日期",
            Kind::Bool => "是/否",
            Kind::Any => "值",
        }
    }

    /// Known, and not `want`.
    fn is_not(self, want: Kind) -> bool {
        self != Kind::Any && self != want
    }
}

/// The kind function `name` takes as its argument `i` (`Any`: whatever it is given).
fn param(name: &str, i: usize) -> Kind {
    match (name, i) {
        ("sum" | "min" | "max" | "abs" | "date", _) | ("substr", 1 | 2) => Kind::Num,
        ("substr" | "matches" | "normalize", 0) => Kind::Text,
        _ => Kind::Any,
    }
}

/// Whether function `name` takes a number as its argument `i` (for `call_errors`, which
/// refuses what is written out there).
pub(super) fn takes_number(name: &str, i: usize) -> bool {
    param(name, i) == Kind::Num
}

/// Where an expression's names resolve: the rule's table and scope.
struct Place<'a> {
    schema: &'a Schema,
    table: &'a Table,
    scope: Option<Scope>,
}

/// What in `e` could never be evaluated because of the kinds of its values, as messages.
pub(super) fn type_errors(schema: &Schema, table: &Table, scope: Option<Scope>, e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    Place { schema, table, scope }.kind(e, &mut out);
    out
}

/// How an operand is named in a message: its name, a written-out value, or what it computes.
fn shown(e: &Expr) -> String {
    match e {
        Expr::Ident(n) => format!("`{n}`"),
        Expr::Member(b, m) => match b.as_ref() {
            Expr::Ident(b) => format!("`{b}.{m}`"),
            _ => format!("`….{m}`"),
        },
        Expr::Num(n) => n.to_string(),
        Expr::Str(s) => format!("'{s}'"),
        Expr::Bool(b) => b.to_string(),
        Expr::Call(f, _) => format!("`{f}(…)`"),
        _ => "计算结果".to_string(),
    }
}

impl Place<'_> {
    fn field(&self, t: &Table, id: &str) -> Kind {
        t.fields().iter().find(|f| f.id == id).map_or(Kind::Any, Kind::of)
    }

    /// The kind of a name (`x`, `prev.x`, `table.x`, `entity.code`, …).
    fn name(&self, e: &Expr) -> Kind {
        // A matrix's names are its rows and columns, and a site-wide rule runs on no record.
        let records = matches!(self.table.layout, Layout::Records { .. }) && self.scope != Some(Scope::Site);
        match e {
            Expr::Ident(n) if n == "year" => Kind::Num,
            Expr::Ident(n) if records => self.field(self.table, n),
            Expr::Member(b, m) => match b.as_ref() {
                Expr::Ident(b) if b == "entity" || b == "notes" => Kind::Text,
                Expr::Ident(b) if b == "prev" && records => self.field(self.table, m),
                Expr::Ident(b) if b == "children" || b == "all" || b == "prev" => Kind::Any,
                Expr::Ident(b) => self.schema.get(b).map_or(Kind::Any, |t| self.field(t, m)),
                Expr::Index(t, _) => match t.as_ref() {
                    Expr::Ident(t) => self.schema.get(t).map_or(Kind::Any, |t| self.field(t, m)),
                    _ => Kind::Any,
                },
                _ => Kind::Any,
            },
            _ => Kind::Any,
        }
    }

    /// The kind of `e`, noting in `out` each operation in it that its operands' kinds rule out.
    fn kind(&self, e: &Expr, out: &mut Vec<String>) -> Kind {
        let check = |out: &mut Vec<String>, x: &Expr, k: Kind, want: Kind, what: &str| {
            if k.is_not(want) {
                out.push(format!("{} 是{}，{what}", shown(x), k.word()));
            }
        };
        match e {
            Expr::Num(_) => Kind::Num,
            Expr::Str(_) => Kind::Text,
            Expr::Bool(_) => Kind::Bool,
            Expr::Null | Expr::Index(..) => Kind::Any,
            Expr::Ident(_) | Expr::Member(..) => self.name(e),
            Expr::List(items) => {
                for i in items {
                    self.kind(i, out);
                }
                Kind::Any
            }
            Expr::Neg(a) => {
                let k = self.kind(a, out);
                check(out, a, k, Kind::Num, "不能取负");
                Kind::Num
            }
            Expr::Not(a) => {
                let k = self.kind(a, out);
                check(out, a, k, Kind::Bool, "不能用 not");
                Kind::Bool
            }
            Expr::Bin(op, a, b) => {
                let (ka, kb) = (self.kind(a, out), self.kind(b, out));
                let (kind, what) = match op {
                    BinOp::And | BinOp::Or => (Kind::Bool, "不能用 and、or 连接"),
                    _ => (Kind::Num, "不能参与加减乘除"),
                };
                check(out, a, ka, kind, what);
                check(out, b, kb, kind, what);
                kind
            }
            Expr::Cmp(first, rest) => {
                let mut prev = (first.as_ref(), self.kind(first, out));
                for (op, x) in rest {
                    let k = self.kind(x, out);
                    let by_size = matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge);
                    let sized = |k: Kind| matches!(k, Kind::Num | Kind::Date | Kind::Any);
                    let mixed = prev.1 != Kind::Any && k != Kind::Any && prev.1 != k;
                    if by_size && (!sized(prev.1) || !sized(k) || mixed) {
                        out.push(format!(
                            "{}（{}）与 {}（{}）不能比较大小：只有数值与数值、日期与日期能比较",
                            shown(prev.0),
                            prev.1.word(),
                            shown(x),
                            k.word()
                        ));
                    }
                    prev = (x, k);
                }
                Kind::Bool
            }
            Expr::In(a, list) => {
                self.kind(a, out);
                for i in list {
                    self.kind(i, out);
                }
                Kind::Bool
            }
            Expr::Call(name, args) => self.call(name, args, out),
        }
    }

    fn call(&self, name: &str, args: &[Expr], out: &mut Vec<String>) -> Kind {
        // The first argument of count and count_where is a table, and count_where's condition
        // reads that table's records: neither is looked into here.
        if matches!(name, "count" | "count_where") {
            return Kind::Num;
        }
        let wanted = |i: usize| param(name, i);
        for (i, a) in args.iter().enumerate() {
            let k = self.kind(a, out);
            // Written-out values are `call_errors`' (references.rs), lists are sum's to take.
            let written = matches!(a, Expr::Num(_) | Expr::Str(_) | Expr::Bool(_) | Expr::Null | Expr::List(_));
            if !written && k.is_not(wanted(i)) && wanted(i) != Kind::Any {
                out.push(format!(
                    "函数 `{name}` 的第 {} 个参数应为{}，{} 是{}",
                    i + 1,
                    wanted(i).word(),
                    shown(a),
                    k.word()
                ));
            }
        }
        match name {
            "sum" | "min" | "max" | "abs" => Kind::Num,
            "date" => Kind::Date,
            "substr" | "normalize" => Kind::Text,
            "matches" | "present" | "absent" => Kind::Bool,
            _ => Kind::Any,
        }
    }
}
