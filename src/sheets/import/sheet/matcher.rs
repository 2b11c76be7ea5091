//! Label matching: which field or matrix row a header or row label names (exact, loose,
//! truncated, shortened, or decided by context). Kept apart from the layouts because wide,
//! long and matrix sheets all match labels the same way.

use super::super::labels::{exact, loose, split_unit};
use crate::inputs::schema::{Block, FieldType, Table};
use std::collections::{BTreeSet, HashMap};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum How {
    Exact,
    Loose,
    Prefix,
    /// The header's characters appear in this order in exactly one label (`政策范围内报销比例`
    /// for `政策范围内住院费用报销比例`): taken, with a warning to check.
    Partial,
    /// Decided by the columns around it (`政策范围内费用` right after `住院医疗总费用`).
    Context,
}

/// Candidates (fields, matrix rows) by exact and loose key.
pub(super) struct Matcher {
    pub(super) exact: HashMap<String, BTreeSet<usize>>,
    pub(super) loose: HashMap<String, BTreeSet<usize>>,
    pub(super) loose_list: Vec<(String, usize)>,
}

/// Whether every character of `short` appears in `long` in the same order.
pub(super) fn subsequence(short: &str, long: &str) -> bool {
    let mut it = long.chars();
    short.chars().all(|c| it.any(|x| x == c))
}

impl Matcher {
    /// Items: (index, texts matched exactly, labels matched loosely).
    pub(super) fn new(items: impl IntoIterator<Item = (usize, Vec<String>, Vec<String>)>) -> Matcher {
        let mut m = Matcher { exact: HashMap::new(), loose: HashMap::new(), loose_list: Vec::new() };
        for (i, exacts, labels) in items {
            for e in exacts {
                m.exact.entry(exact(&e)).or_default().insert(i);
            }
            for label in labels {
                let l = loose(&label);
                if !l.is_empty() {
                    m.loose.entry(l.clone()).or_default().insert(i);
                    m.loose_list.push((l, i));
                }
            }
        }
        m
    }
    /// All candidates for a text, with how they matched (the first rule that gives any).
    pub(super) fn all(&self, text: &str) -> (Vec<usize>, How) {
        let t = text.trim();
        // Numbers and dates name nothing; skipping them keeps a large sheet fast.
        if t.is_empty() || !t.chars().any(|c| c.is_ascii_alphabetic() || c > '\u{2e7f}') {
            return (vec![], How::Exact);
        }
        let keys = keys_of(t);
        let (ex, bare, l) = (&keys.0, &keys.1, &keys.2);
        for k in [ex, bare] {
            if let Some(s) = self.exact.get(k) {
                return (s.iter().copied().collect(), How::Exact);
            }
        }
        if l.is_empty() {
            return (vec![], How::Exact);
        }
        if let Some(s) = self.loose.get(l) {
            return (s.iter().copied().collect(), How::Loose);
        }
        if l.chars().count() < 4 {
            return (vec![], How::Exact);
        }
        // A truncated label (`要求行政机关确认或重新出具` for `…已获取信息`).
        let hits = self.hits(|k| k.starts_with(l.as_str()));
        if !hits.is_empty() {
            return (hits, How::Prefix);
        }
        // A shortened label (`政策范围内报销比例`, `医疗总费用`): the context may decide among several.
        (self.hits(|k| subsequence(l, k)), How::Partial)
    }
    pub(super) fn hits(&self, f: impl Fn(&str) -> bool) -> Vec<usize> {
        let mut hits: Vec<usize> = self.loose_list.iter().filter(|(k, _)| f(k)).map(|(_, i)| *i).collect();
        hits.sort();
        hits.dedup();
        hits
    }
}

/// (exact key, exact key without unit, loose key) of a text. Every table is tried against the
/// same header cells, so the keys are computed once per text.
pub(super) type Keys = std::rc::Rc<(String, String, String)>;

pub(super) fn keys_of(t: &str) -> Keys {
    thread_local! {
        static CACHE: std::cell::RefCell<HashMap<String, Keys>> = std::cell::RefCell::new(HashMap::new());
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(k) = c.get(t) {
            return k.clone();
        }
        if c.len() > 100_000 {
            c.clear();
        }
        let k = std::rc::Rc::new((exact(t), split_unit(t).0, loose(t)));
        c.insert(t.to_string(), k.clone());
        k
    })
}

pub(super) fn field_matcher(t: &Table) -> Matcher {
    Matcher::new(t.fields().iter().enumerate().map(|(i, f)| {
        let aliases = t.aliases(i);
        let mut exacts = vec![f.id.clone(), f.label.clone(), f.label_with_unit()];
        exacts.extend(aliases.iter().cloned());
        let mut labels = vec![f.label.clone()];
        labels.extend(aliases.iter().cloned());
        (i, exacts, labels)
    }))
}

/// Up to three field labels nearest to a header that matched none, for the message.
pub(super) fn nearest_labels(t: &Table, text: &str) -> Vec<String> {
    let k = loose(text);
    if k.is_empty() {
        return vec![];
    }
    let mut scored: Vec<(f64, String)> = t
        .fields()
        .iter()
        .map(|f| {
            let l = loose(&f.label);
            let common = k.chars().filter(|c| l.contains(*c)).count() as f64 / k.chars().count().max(1) as f64;
            (strsim::normalized_levenshtein(&k, &l).max(common * 0.9), f.label.clone())
        })
        .filter(|(sc, _)| *sc >= 0.3)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(3).map(|(_, l)| l).collect()
}

pub(super) fn nearest_text(t: &Table, text: &str) -> String {
    let near = nearest_labels(t, text);
    if near.is_empty() {
        String::new()
    } else {
        format!("（最接近的名称：{}）", near.iter().map(|l| format!("“{l}”")).collect::<Vec<_>>().join("、"))
    }
}

/// Whether a header names a percentage (`报销比例`, `药占比`, `（%）`).
pub(super) fn says_percent(levels: &[String]) -> bool {
    levels.iter().any(|l| {
        let k = loose(l);
        split_unit(l).1.as_deref() == Some("%") || k.ends_with("比例") || k.ends_with('率') || k.contains("占比")
    })
}

/// Among several candidate fields, the one the context names: a percent header takes a percent
/// field; a group above (`住院`) or the column before (`住院医疗总费用`) takes the field that
/// starts like it.
pub(super) fn by_context(t: &Table, cands: &[usize], levels: &[String], prev: Option<usize>) -> Option<usize> {
    let fields = t.fields();
    let mut c: Vec<usize> = cands.to_vec();
    if says_percent(levels) {
        let pct: Vec<usize> = c.iter().copied().filter(|&i| fields[i].ty == FieldType::Percent).collect();
        if !pct.is_empty() {
            c = pct;
        }
    }
    if c.len() == 1 {
        return c.first().copied();
    }
    let groups: Vec<String> = levels[..levels.len().saturating_sub(1)].iter().map(|l| loose(l)).collect();
    let in_group: Vec<usize> = c
        .iter()
        .copied()
        .filter(|&i| groups.iter().any(|g| g.chars().count() >= 2 && loose(&fields[i].label).starts_with(g.as_str())))
        .collect();
    if let [one] = in_group.as_slice() {
        return Some(*one);
    }
    let prev = loose(&fields[prev?].label);
    let common = |i: usize| prev.chars().zip(loose(&fields[i].label).chars()).take_while(|(a, b)| a == b).count();
    let best = c.iter().map(|&i| common(i)).max().unwrap_or(0);
    let top: Vec<usize> = c.iter().copied().filter(|&i| common(i) == best).collect();
    match top.as_slice() {
        [one] if best >= 2 => Some(*one),
        _ => None,
    }
}

pub(super) fn row_matcher(b: &Block, fmt: &str) -> Matcher {
    Matcher::new(
        b.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.applies(fmt))
            .map(|(i, r)| (i, vec![r.id.clone(), r.label.clone()], vec![r.label.clone()])),
    )
}
