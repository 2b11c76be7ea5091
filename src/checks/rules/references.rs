//! Checks of the definitions themselves, once when they are read: every name a rule or an
//! `only_when` reads must exist, or the rule would silently never apply. Needs no data.

use crate::base::diag::{Diagnostic, Diagnostics, Sources};
use crate::inputs::schema::expr::Expr;
use crate::inputs::schema::{Field, Layout, Schema};

use super::resolve::ENTITY_ATTRS;

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

fn collect_count_where(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Call(name, args) if name == "count_where" => match args.first() {
            Some(Expr::Ident(t)) => out.push(t.clone()),
            Some(Expr::Member(a, t)) if matches!(a.as_ref(), Expr::Ident(x) if x == "all") => out.push(t.clone()),
            _ => {}
        },
        Expr::Call(_, args) | Expr::List(args) => args.iter().for_each(|a| collect_count_where(a, out)),
        Expr::Bin(_, a, b) | Expr::Index(a, b) => {
            collect_count_where(a, out);
            collect_count_where(b, out);
        }
        Expr::Cmp(a, rest) => {
            collect_count_where(a, out);
            rest.iter().for_each(|(_, x)| collect_count_where(x, out));
        }
        Expr::Neg(a) | Expr::Not(a) | Expr::Member(a, _) => collect_count_where(a, out),
        Expr::In(a, l) => {
            collect_count_where(a, out);
            l.iter().for_each(|x| collect_count_where(x, out));
        }
        _ => {}
    }
}
