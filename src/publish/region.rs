//! Region names for 行政区划代码 (GB/T 2260): from the site's bureaus first, else a small built-in
//! table. The built-in table holds only codes known for certain (Guizhou's province and city-level
//! units, and Zunyi's 14 county-level units); any other code is shown as written, never guessed.

use crate::inputs::registry::Registry;
use std::collections::BTreeMap;

const BUILT_IN: &[(&str, &str)] = &[
    ("520000", "贵州省"),
    ("520100", "贵阳市"),
    ("520200", "六盘水市"),
    ("520300", "遵义市"),
    ("520302", "红花岗区"),
    ("520303", "汇川区"),
    ("520304", "播州区"),
    ("520322", "桐梓县"),
    ("520323", "绥阳县"),
    ("520324", "正安县"),
    ("520325", "道真仡佬族苗族自治县"),
    ("520326", "务川仡佬族苗族自治县"),
    ("520327", "凤冈县"),
    ("520328", "湄潭县"),
    ("520329", "余庆县"),
    ("520330", "习水县"),
    ("520381", "赤水市"),
    ("520382", "仁怀市"),
    ("520400", "安顺市"),
    ("520500", "毕节市"),
    ("520600", "铜仁市"),
    ("522300", "黔西南布依族苗族自治州"),
    ("522600", "黔东南苗族侗族自治州"),
    ("522700", "黔南布依族苗族自治州"),
];

/// Suffixes that turn a bureau's name into its region's (遵义市汇川区医疗保障局 → 遵义市汇川区).
const BUREAU_SUFFIXES: [&str; 2] = ["医疗保障局", "医保局"];

/// Code → region name, built once per site.
pub struct Regions {
    names: BTreeMap<String, String>,
}

impl Regions {
    pub fn new(registry: &Registry) -> Self {
        let mut names: BTreeMap<String, String> =
            BUILT_IN.iter().map(|(c, n)| (c.to_string(), n.to_string())).collect();
        // A bureau of the site names its own region; a county within the city drops the city's
        // name (汇川区, not 遵义市汇川区), as the built-in table does.
        let region_of = |name: &str| BUREAU_SUFFIXES.iter().find_map(|s| name.strip_suffix(s)).map(str::to_string);
        for e in registry.entities.iter().filter(|e| e.kind.is_bureau()) {
            let Some(mut name) = region_of(&e.name).filter(|n| !n.is_empty()) else { continue };
            if let Some(parent) = e.parent.and_then(|p| region_of(&registry.get(p).name))
                && let Some(short) = name.strip_prefix(parent.as_str()).filter(|s| !s.is_empty())
            {
                name = short.to_string();
            }
            names.insert(e.code.to_string(), name.clone());
            if let Some(r) = e.region().filter(|r| *r != &*e.code) {
                names.entry(r.to_string()).or_insert(name);
            }
        }
        Regions { names }
    }

    pub fn name(&self, code: &str) -> Option<&str> {
        self.names.get(code.trim()).map(String::as_str)
    }

    /// `汇川区（520303）` when the code is known, else the code as written.
    pub fn display(&self, code: &str) -> String {
        match self.name(code) {
            Some(n) => format!("{n}（{}）", code.trim()),
            None => code.to_string(),
        }
    }
}
