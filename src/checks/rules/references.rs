//! Checks of the definitions themselves, once when they are read: every name a rule or an
//! `only_when` reads must exist, or the rule would silently never apply. Needs no data.

use crate::base::diag::{Diagnostic, Diagnostics, Sources};
use crate::inputs::schema::expr::Expr;
use crate::inputs::schema::{Field, Layout, Schema};

use super::resolve::ENTITY_ATTRS;
use super::types::{takes_number, type_errors};

const NEVER: &str = "规则不能执行就永远不会报错：请改正后再校验";

/// Names a rule reads must exist, or the rule would silently never apply.
pub fn check_references(schema: &Schema, sources: &Sources, diags: &mut Diagnostics) {
    for t in &schema.tables {
        let local: Vec<&str> = match &t.layout {
            Layout::Records { fields, .. } => fields.iter().map(|f| f.id.as_str()).collect(),
            Layout::Matrix { blocks, .. } => blocks
                .iter()
                .flat_map(|b| b.columns.iter().map(|c| c.id.as_str()).chain(b.rows.iter().map(|r| r.id.as_str())))
                .collect(),
        };
        let table_fields = |tid: &str, f: &str| {
            schema
                .get(tid)
                .is_some_and(|o| o.fields().iter().any(|x| x.id == f) || matches!(o.layout, Layout::Matrix { .. }))
        };
        let fields_only: Vec<&Field> = t.fields().iter().collect();
        let known = |name: &str| -> bool {
            match name.split_once('.') {
                None => {
                    local.contains(&name) || matches!(name, "year" | "row" | "leaf_rows") || schema.get(name).is_some()
                }
                Some(("prev" | "children", f)) => local.contains(&f),
                Some(("entity", a)) => ENTITY_ATTRS.contains(&a),
                Some(("notes" | "all", tid)) => schema.get(tid).is_some(),
                Some((tid, f)) => table_fields(tid, f) || (fields_only.is_empty() && local.contains(&f)),
            }
        };
        // A field's only_when condition reads the same record's fields.
        for f in t.fields() {
            let mut names = Vec::new();
            if let Some(e) = &f.only_when {
                e.refs(&mut names);
                let at = crate::base::files::find_text(sources, t.file, &format!("id = \"{}\"", f.id));
                for msg in call_errors(schema, e) {
                    diags.push(
                        Diagnostic::error("schema.rule_call", format!("字段 `{}` 的 only_when 中，{msg}", f.id)).at(at),
                    );
                }
                for msg in type_errors(schema, t, None, e) {
                    diags.push(
                        Diagnostic::error("schema.rule_type", format!("字段 `{}` 的 only_when 中，{msg}", f.id)).at(at),
                    );
                }
            }
            for n in names.into_iter().filter(|n| !local.contains(&n.as_str())) {
                diags.push(
                    Diagnostic::error(
                        "schema.rule_reference",
                        format!("字段 `{}` 的 only_when 引用了不存在的字段 `{n}`", f.id),
                    )
                    .at(crate::base::files::find_text(sources, t.file, &format!("id = \"{}\"", f.id)))
                    .note(format!("“{}”的字段：{}", t.title, local.join("、"))),
                );
            }
        }
        for r in &t.rules {
            let mut names = Vec::new();
            for e in r.checks.iter().chain(&r.when).chain(&r.tolerance) {
                e.refs(&mut names);
                for msg in call_errors(schema, e) {
                    diags.push(
                        Diagnostic::error("schema.rule_call", format!("规则 `{}` 中，{msg}", r.id))
                            .at(r.loc)
                            .note(NEVER),
                    );
                }
                for msg in type_errors(schema, t, r.scope, e) {
                    diags.push(
                        Diagnostic::error("schema.rule_type", format!("规则 `{}` 中，{msg}", r.id))
                            .at(r.loc)
                            .note(NEVER),
                    );
                }
            }
            // count_where(T, cond) evaluates cond over T's records.
            let mut foreign = Vec::new();
            for e in r.checks.iter().chain(&r.when) {
                collect_count_where(e, &mut foreign);
            }
            for n in names {
                let ok = known(&n) || foreign.iter().any(|tid| table_fields(tid, &n));
                if !ok {
                    diags.push(
                        Diagnostic::error("schema.rule_reference", format!("规则 `{}` 引用了不存在的名称 `{n}`", r.id))
                            .at(r.loc)
                            .note(format!("“{}”的字段：{}", t.title, local.join("、"))),
                    );
                }
            }
        }
    }
}

/// What is wrong with the calls in `e` that would evaluate to "not checked" everywhere, so that
/// their rule could never fail: a `matches(x, 'pattern')` whose pattern is not written out or
/// not a valid regular expression, a `count_where(t, …)` whose `t` is not a table, and a text,
/// `true`, `false`, `null` or (but for `sum`, `min`, `max`) a list written where a function takes
/// a number.
fn call_errors(schema: &Schema, e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    e.walk(&mut |x| {
        let Expr::Call(name, args) = x else { return };
        for (i, a) in args.iter().enumerate().filter(|&(i, _)| takes_number(name, i)) {
            let what = match a {
                Expr::Str(t) => format!("文本 '{t}'"),
                Expr::Bool(b) => format!(" `{b}`"),
                Expr::Null => " `null`".to_string(),
                // (sum, min and max take the numbers of a list)
                Expr::List(_) if !matches!(name.as_str(), "sum" | "min" | "max") => "列表".to_string(),
                _ => continue,
            };
            out.push(format!("函数 `{name}` 的第 {} 个参数应为数值，这里是{what}", i + 1));
        }
        match (name.as_str(), args.as_slice()) {
            ("matches", [_, Expr::Str(p)]) => {
                if let Err(err) = regex_lite::Regex::new(p) {
                    out.push(format!("matches 的模式 '{p}' 不是有效的正则表达式：{err}"));
                }
            }
            ("matches", _) => out.push("matches 应写成 matches(字段, '正则表达式')，模式须是写明的文本".to_string()),
            ("count_where", [t, ..]) => {
                let mut tables = Vec::new();
                collect_count_where(x, &mut tables);
                if tables.first().is_none_or(|t| schema.get(t).is_none()) {
                    let shown = match t {
                        Expr::Ident(t) => format!("`{t}`"),
                        Expr::Member(b, t) if matches!(b.as_ref(), Expr::Ident(a) if a == "all") => {
                            format!("`all.{t}`")
                        }
                        _ => "它".to_string(),
                    };
                    out.push(format!("count_where 的第一个参数应为表 id 或 all.表 id，{shown}不是已定义的表"));
                }
            }
            _ => {}
        }
    });
    out
}

fn collect_count_where(e: &Expr, out: &mut Vec<String>) {
    e.walk(&mut |x| {
        if let Expr::Call(name, args) = x
            && name == "count_where"
        {
            match args.first() {
                Some(Expr::Ident(t)) => out.push(t.id.clone()),
                Some(Expr::Member(a, t)) if matches!(a.as_ref(), Expr::Ident(x) if x == "all") => {
                    out.push(t.id.clone())
                }
                _ => {}
            }
        }
    });
}
