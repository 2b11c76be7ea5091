//! Reading settings-like TOML files (pilu.toml, entities.toml, table definitions, front matter)
//! into typed structs, with every error located and unknown keys answered with the nearest
//! valid key.

use crate::diag::{Diagnostic, FileId, Loc, Sources, suggest};
use serde::de::DeserializeOwned;

/// Deserialize the whole of source `file`, or the part of it from `offset` (front matter).
pub fn parse<T: DeserializeOwned>(sources: &Sources, file: FileId, text: &str, offset: usize) -> Result<T, Diagnostic> {
    toml::from_str::<T>(text).map_err(|e| to_diag(e, sources, file, text, offset))
}

fn to_diag(e: toml::de::Error, _sources: &Sources, file: FileId, text: &str, offset: usize) -> Diagnostic {
    let msg = e.message().trim().to_string();
    let span = e.span().unwrap_or(0..0);
    let loc = Loc::new(file, span.start + offset..span.end + offset);
    // serde reports unknown keys as "unknown field `x`, expected one of `a`, `b`" (or "expected `a`").
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (unknown, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        let mut d = Diagnostic::error("toml.unknown_key", format!("未知的设置项 `{unknown}`")).at(loc).label("此处");
        if let Some(s) = suggest(unknown, expected.iter().copied()) {
            d = d.note(format!("是否应为 `{s}`？"));
        }
        if !expected.is_empty() {
            d = d.note(format!("可用的设置项：{}", expected.join("、")));
        }
        return d;
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or(rest);
        return Diagnostic::error("toml.missing_key", format!("缺少必填设置项 `{key}`"))
            .at(loc)
            .label("应在此表中填写");
    }
    let _ = text;
    Diagnostic::error("toml.syntax", format!("TOML 格式错误：{msg}")).at(loc).label("此处")
}
