//! The rule language of the table definitions: a small arithmetic and comparison language over
//! the field ids of a record (see ARCHITECTURE.md, "Rule language").
//!
//! ```text
//! checks   := check (';' check)*
//! check    := or
//! or       := and ('or' and)*
//! and      := not ('and' not)*
//! not      := 'not' not | cmp
//! cmp      := sum (cmpop sum)* | sum 'in' list        cmpop: == != ~= <= >= < >
//! sum      := product (('+' | '-') product)*
//! product  := unary (('*' | '/') unary)*
//! unary    := '-' unary | postfix
//! postfix  := primary ('.' ident | '[' or ']')*
//! primary  := number | 'string' | ident | ident '(' args ')' | '(' or ')' | list | null | true | false
//! ```
//! Comparison chains (`0 <= x <= 100`) mean each adjacent pair holds.

use rust_decimal::Decimal;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expr {
    Num(Decimal),
    Str(String),
    Bool(bool),
    Null,
    Ident(Name),
    Member(Box<Expr>, Name),
    Index(Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    List(Vec<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// `a op b op c`: every adjacent pair must hold.
    Cmp(Box<Expr>, Vec<(CmpOp, Expr)>),
    In(Box<Expr>, Vec<Expr>),
}

/// A name in a rule (`x`, or the `x` of `prev.x` and `table.x`) and the field it reads where the
/// rule runs on a record, once `Schema::load` has resolved it: rules read names millions of times
/// at national scale, and finding a field by its id on every read was a tenth of a check.
#[derive(Clone, Debug)]
pub struct Name {
    pub id: String,
    pub slot: Option<Slot>,
}

/// Field `field` of table `table` (indexes in the schema and the table's field list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub table: usize,
    pub field: usize,
}

impl Name {
    pub fn new(id: impl Into<String>) -> Self {
        Name { id: id.into(), slot: None }
    }
    pub fn as_str(&self) -> &str {
        &self.id
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.id
    }
}

/// Names are equal when they are written the same; the slot only follows from the id.
impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.id == other.id
    }
}
impl Eq for Name {}
impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}
impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.id == other
    }
}
impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.id == *other
    }
}
impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.id == *other
    }
}
impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    And,
    Or,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Approx,
    Le,
    Ge,
    Lt,
    Gt,
}

/// A syntax error with its byte offset in the expression text.
#[derive(Debug, PartialEq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

const MAX_DEPTH: usize = 64;
pub const FUNCTIONS: &[&str] = &[
    "sum",
    "abs",
    "min",
    "max",
    "count",
    "count_where",
    "present",
    "absent",
    "substr",
    "matches",
    "normalize",
    "date",
];

/// How many arguments each of `FUNCTIONS` takes: (at least, at most).
fn arity(name: &str) -> (usize, usize) {
    match name {
        "sum" | "min" | "max" => (1, usize::MAX),
        "count_where" | "matches" => (2, 2),
        "substr" | "date" => (3, 3),
        _ => (1, 1),
    }
}

/// Parse `a ; b ; c` into its checks.
pub fn parse_checks(src: &str) -> Result<Vec<Expr>, ParseError> {
    let mut p = Parser { toks: lex(src)?, pos: 0, depth: 0, len: src.len() };
    let mut out = vec![p.or()?];
    while p.eat(&Tok::Semi) {
        out.push(p.or()?);
    }
    p.end()?;
    Ok(out)
}

/// Parse a single expression (a `when` condition or a tolerance).
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut p = Parser { toks: lex(src)?, pos: 0, depth: 0, len: src.len() };
    let e = p.or()?;
    p.end()?;
    Ok(e)
}

impl Expr {
    /// Calls `f` on each expression directly inside this one.
    pub fn each_child<'e, F: FnMut(&'e Expr)>(&'e self, f: &mut F) {
        match self {
            Expr::Member(a, _) | Expr::Neg(a) | Expr::Not(a) => f(a),
            Expr::Index(a, b) | Expr::Bin(_, a, b) => {
                f(a);
                f(b);
            }
            Expr::Call(_, args) | Expr::List(args) => args.iter().for_each(f),
            Expr::Cmp(a, rest) => {
                f(a);
                rest.iter().for_each(|(_, e)| f(e));
            }
            Expr::In(a, list) => {
                f(a);
                list.iter().for_each(f);
            }
            Expr::Num(_) | Expr::Str(_) | Expr::Bool(_) | Expr::Null | Expr::Ident(_) => {}
        }
    }

    /// As [`Expr::each_child`], for changing them.
    pub fn each_child_mut(&mut self, f: &mut impl FnMut(&mut Expr)) {
        match self {
            Expr::Member(a, _) | Expr::Neg(a) | Expr::Not(a) => f(a),
            Expr::Index(a, b) | Expr::Bin(_, a, b) => {
                f(a);
                f(b);
            }
            Expr::Call(_, args) | Expr::List(args) => args.iter_mut().for_each(f),
            Expr::Cmp(a, rest) => {
                f(a);
                rest.iter_mut().for_each(|(_, e)| f(e));
            }
            Expr::In(a, list) => {
                f(a);
                list.iter_mut().for_each(f);
            }
            Expr::Num(_) | Expr::Str(_) | Expr::Bool(_) | Expr::Null | Expr::Ident(_) => {}
        }
    }

    /// Calls `f` on this expression and on every expression inside it, outermost first.
    pub fn walk<'e, F: FnMut(&'e Expr)>(&'e self, f: &mut F) {
        f(self);
        self.each_child(&mut |c| c.walk(f));
    }

    /// Every identifier path the expression reads (`a`, `prev.a`, `fund_income.income_total`).
    pub fn refs(&self, out: &mut Vec<String>) {
        match self {
            Expr::Ident(n) => out.push(n.id.clone()),
            Expr::Member(b, m) => {
                let mut inner = Vec::new();
                b.refs(&mut inner);
                if let (Expr::Ident(base), Some(_)) = (b.as_ref(), inner.first()) {
                    out.push(format!("{base}.{m}"));
                } else {
                    out.extend(inner);
                }
            }
            _ => self.each_child(&mut |c| c.refs(out)),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(Decimal),
    Str(String),
    Ident(String),
    Op(&'static str),
    LParen,
    RParen,
    LBrack,
    RBrack,
    Comma,
    Dot,
    Semi,
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    let mut out = Vec::new();
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            let n = Decimal::from_str(&src[start..i])
                .map_err(|_| ParseError { offset: start, message: format!("无效的数字 `{}`", &src[start..i]) })?;
            out.push((Tok::Num(n), start));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Ident(src[start..i].to_string()), start));
            continue;
        }
        if c == b'\'' {
            let rest = &src[i + 1..];
            let Some(end) = rest.find('\'') else {
                return Err(ParseError { offset: start, message: "字符串缺少结尾的单引号".into() });
            };
            out.push((Tok::Str(rest[..end].to_string()), start));
            i += end + 2;
            continue;
        }
        let two = src.get(i..i + 2).unwrap_or("");
        let op2 = ["==", "!=", "~=", "<=", ">="].into_iter().find(|o| *o == two);
        if let Some(o) = op2 {
            out.push((Tok::Op(o), start));
            i += 2;
            continue;
        }
        let tok = match c {
            b'+' => Tok::Op("+"),
            b'-' => Tok::Op("-"),
            b'*' => Tok::Op("*"),
            b'/' => Tok::Op("/"),
            b'<' => Tok::Op("<"),
            b'>' => Tok::Op(">"),
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'[' => Tok::LBrack,
            b']' => Tok::RBrack,
            b',' => Tok::Comma,
            b'.' => Tok::Dot,
            b';' => Tok::Semi,
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(ParseError { offset: start, message: format!("无法识别的字符 `{ch}`") });
            }
        };
        out.push((tok, start));
        i += 1;
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
    len: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(self.len, |t| t.1)
    }
    fn err<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError { offset: self.offset(), message: message.into() })
    }
    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(x)) if x == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, t: Tok, what: &str) -> Result<(), ParseError> {
        if self.eat(&t) { Ok(()) } else { self.err(format!("此处应为 {what}")) }
    }
    fn end(&self) -> Result<(), ParseError> {
        if self.pos < self.toks.len() { self.err("表达式在此处多出内容") } else { Ok(()) }
    }
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { self.err("表达式嵌套过深") } else { Ok(()) }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let mut l = self.and()?;
        while self.eat_word("or") {
            l = Expr::Bin(BinOp::Or, Box::new(l), Box::new(self.and()?));
        }
        self.depth -= 1;
        Ok(l)
    }
    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut l = self.not()?;
        while self.eat_word("and") {
            l = Expr::Bin(BinOp::And, Box::new(l), Box::new(self.not()?));
        }
        Ok(l)
    }
    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.eat_word("not") {
            self.enter()?;
            let e = Expr::Not(Box::new(self.not()?));
            self.depth -= 1;
            return Ok(e);
        }
        self.cmp()
    }
    fn cmp(&mut self) -> Result<Expr, ParseError> {
        let l = self.sum()?;
        if self.eat_word("in") {
            let Expr::List(items) = self.primary()? else {
                return self.err("`in` 之后应为列表，如 ['a', 'b']");
            };
            return Ok(Expr::In(Box::new(l), items));
        }
        let mut rest = Vec::new();
        while let Some(Tok::Op(o)) = self.peek() {
            let op = match *o {
                "==" => CmpOp::Eq,
                "!=" => CmpOp::Ne,
                "~=" => CmpOp::Approx,
                "<=" => CmpOp::Le,
                ">=" => CmpOp::Ge,
                "<" => CmpOp::Lt,
                ">" => CmpOp::Gt,
                _ => break,
            };
            self.pos += 1;
            rest.push((op, self.sum()?));
        }
        Ok(if rest.is_empty() { l } else { Expr::Cmp(Box::new(l), rest) })
    }
    fn sum(&mut self) -> Result<Expr, ParseError> {
        let mut l = self.product()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op("+")) => BinOp::Add,
                Some(Tok::Op("-")) => BinOp::Sub,
                _ => return Ok(l),
            };
            self.pos += 1;
            l = Expr::Bin(op, Box::new(l), Box::new(self.product()?));
        }
    }
    fn product(&mut self) -> Result<Expr, ParseError> {
        let mut l = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op("*")) => BinOp::Mul,
                Some(Tok::Op("/")) => BinOp::Div,
                _ => return Ok(l),
            };
            self.pos += 1;
            l = Expr::Bin(op, Box::new(l), Box::new(self.unary()?));
        }
    }
    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.eat(&Tok::Op("-")) {
            self.enter()?;
            let e = Expr::Neg(Box::new(self.unary()?));
            self.depth -= 1;
            return Ok(e);
        }
        self.postfix()
    }
    fn postfix(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.primary()?;
        loop {
            if self.eat(&Tok::Dot) {
                match self.peek().cloned() {
                    Some(Tok::Ident(m)) => {
                        self.pos += 1;
                        e = Expr::Member(Box::new(e), Name::new(m));
                    }
                    _ => return self.err("`.` 之后应为字段名"),
                }
            } else if self.eat(&Tok::LBrack) {
                let i = self.or()?;
                self.expect(Tok::RBrack, "`]`")?;
                e = Expr::Index(Box::new(e), Box::new(i));
            } else {
                return Ok(e);
            }
        }
    }
    fn primary(&mut self) -> Result<Expr, ParseError> {
        let Some(t) = self.peek().cloned() else {
            return self.err("表达式不完整");
        };
        self.pos += 1;
        match t {
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::LParen => {
                let e = self.or()?;
                self.expect(Tok::RParen, "`)`")?;
                Ok(e)
            }
            Tok::LBrack => {
                let items = self.args(Tok::RBrack)?;
                Ok(Expr::List(items))
            }
            Tok::Ident(name) => match name.as_str() {
                "null" => Ok(Expr::Null),
                "true" => Ok(Expr::Bool(true)),
                "false" => Ok(Expr::Bool(false)),
                "and" | "or" | "not" | "in" => {
                    self.pos -= 1;
                    self.err(format!("此处不应出现 `{name}`"))
                }
                _ if self.eat(&Tok::LParen) => {
                    if !FUNCTIONS.contains(&name.as_str()) {
                        self.pos -= 2;
                        return self.err(format!("未知的函数 `{name}`，可用：{}", FUNCTIONS.join("、")));
                    }
                    let name_at = self.pos - 2;
                    let args = self.args(Tok::RParen)?;
                    // A call with the wrong number of arguments would evaluate to "missing"
                    // everywhere: its rule could never fail.
                    let (least, most) = arity(&name);
                    if args.len() < least || args.len() > most {
                        self.pos = name_at;
                        let wanted = match (least, most) {
                            (l, usize::MAX) => format!("至少 {l} 个"),
                            (l, m) if l == m => format!(" {l} 个"),
                            (l, m) => format!(" {l} 到 {m} 个"),
                        };
                        return self.err(format!("函数 `{name}` 需要{wanted}参数，这里有 {} 个", args.len()));
                    }
                    Ok(Expr::Call(name, args))
                }
                _ => Ok(Expr::Ident(Name::new(name))),
            },
            _ => {
                self.pos -= 1;
                self.err("此处应为数值、字段名或括号")
            }
        }
    }
    fn args(&mut self, close: Tok) -> Result<Vec<Expr>, ParseError> {
        let mut out = Vec::new();
        if self.eat(&close) {
            return Ok(out);
        }
        loop {
            out.push(self.or()?);
            if self.eat(&close) {
                return Ok(out);
            }
            self.expect(Tok::Comma, "`,` 或右括号")?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_shape_used_by_the_definitions() {
        for s in [
            "income_subtotal ~= premium_income + fiscal_subsidy + interest_income",
            "0 <= ip_policy_reimb_rate <= 100 ; 1 <= ip_avg_los <= 60",
            "ip_avg_cost ~= ip_total_cost * 10000 / ip_visits",
            "level in ['level3', 'level2']",
            "designated_directory[code].status == 'terminated'",
            "count_where(designated_directory, kind == 'H' and status != 'terminated')",
            "opening_balance == prev.closing_balance",
            "published_on <= date(year + 1, 1, 31)",
            "absent(ip_avg_cost) and not present(x)",
        ] {
            parse_checks(s).unwrap_or_else(|e| panic!("{s}: {e:?}"));
        }
    }

    #[test]
    fn chains_and_precedence() {
        let e = parse("a + b * c == d").unwrap();
        let Expr::Cmp(l, rest) = e else { panic!() };
        assert_eq!(rest.len(), 1);
        assert!(matches!(*l, Expr::Bin(BinOp::Add, _, _)));
    }

    #[test]
    fn errors_are_located() {
        assert_eq!(parse("a + ").unwrap_err().offset, 4);
        assert_eq!(parse("a $ b").unwrap_err().offset, 2);
        assert!(parse("foo(a)").unwrap_err().message.contains("未知的函数"));
        // the wrong number of arguments, located at the function's name
        let e = parse("1 + substr(a, 1)").unwrap_err();
        assert_eq!((e.offset, e.message.as_str()), (4, "函数 `substr` 需要 3 个参数，这里有 2 个"));
        assert!(parse("abs(a, b)").unwrap_err().message.contains("需要 1 个参数"));
        assert!(parse("sum()").unwrap_err().message.contains("需要至少 1 个参数"));
        for ok in ["sum(a)", "max(a, b, c)", "count(t)", "count_where(t, a > 0)", "date(2024, 1, 31)"] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        assert!(parse("'abc").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = "(".repeat(10_000) + "a" + &")".repeat(10_000);
        assert!(parse(&s).is_err());
        let s = "-".repeat(10_000) + "a";
        assert!(parse(&s).is_err());
        let s = "not ".repeat(10_000) + "a";
        assert!(parse(&s).is_err());
    }
}
