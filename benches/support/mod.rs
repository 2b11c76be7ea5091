//! A generated site for benchmarks: one city bureau, county bureaus, hospitals and pharmacies,
//! each with data for several years, all passing validation. Deterministic: the same arguments
//! give the same files.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

pub struct Generated {
    /// Ids of the hospitals, whose `data/<id>/<year>.toml` files the benchmarks edit.
    pub hospitals: Vec<String>,
    pub years: Vec<i32>,
}

/// Write a site with `entities` entities (about 2% bureaus, 70% hospitals, the rest pharmacies)
/// and `years` years of data into `dir`.
pub fn generate(dir: &Path, entities: usize, years: usize) -> Generated {
    generate_with(dir, entities, years, false)
}

/// As [`generate`]; with `links`, every county bureau also gives the disclosure links (附件11) of
/// itself and of its level-2 and level-3 hospitals, which a site rule checks for every such
/// discloser against the links of the whole site.
pub fn generate_with(dir: &Path, entities: usize, years: usize, links: bool) -> Generated {
    let years: Vec<i32> = (0..years as i32).map(|i| 2019 + i).collect();
    let counties = (entities / 50).max(1);
    let hospitals = (entities - counties - 1) * 7 / 10;
    let pharmacies = entities - counties - 1 - hospitals;
    let mut reg =
        String::from("[[entities]]\ncode = \"520300\"\nname = \"测试市医疗保障局\"\nkind = \"bureau_city\"\n");
    let county_code = |c: usize| format!("5{:05}", 10_000 + c);
    for c in 0..counties {
        let code = county_code(c);
        let _ = write!(
            reg,
            "\n[[entities]]\ncode = \"{code}\"\nname = \"第{c}县医疗保障局\"\nkind = \"bureau_county\"\nparent = \"520300\"\n"
        );
    }
    let mut hospital_ids = Vec::new();
    for h in 0..hospitals {
        let parent = county_code(h % counties);
        // The sequence number counts within the county, so codes keep their 12 characters at any size.
        let code = format!("H{}{:05}", parent, h / counties);
        let level = ["level3", "level2", "level2", "level1"][h % 4];
        let _ = write!(
            reg,
            "\n[[entities]]\ncode = \"{code}\"\nname = \"第{h}医院\"\nkind = \"medical_institution\"\nlevel = \"{level}\"\ncategory = \"general\"\nownership = \"public\"\nregion = \"{parent}\"\nparent = \"{parent}\"\ndisclosure = \"online_website\"\naddress = \"第{h}路{h}号\"\n"
        );
        hospital_ids.push(code);
    }
    let mut pharmacy_codes = Vec::new();
    for p in 0..pharmacies {
        let parent = county_code(p % counties);
        let code = format!("P{}{:05}", parent, p / counties);
        let _ = write!(
            reg,
            "\n[[entities]]\ncode = \"{code}\"\nname = \"第{p}药店\"\nkind = \"retail_pharmacy\"\nbusiness_type = \"single\"\nregion = \"{parent}\"\nparent = \"{parent}\"\ndisclosure = \"delegated_county\"\naddress = \"第{p}街\"\n"
        );
        pharmacy_codes.push(code);
    }
    // The generated city bureau publishes no fund tables (附件2–6), which is reported as a warning.
    write(
        dir,
        "pilu.toml",
        "title = \"基准测试站点\"\nowner = \"520300\"\nthemes = [\"default\", \"wechat\"]\n\n[completeness]\nmissing = \"warning\"\n",
    );
    write(dir, "data/entities.toml", &reg);
    for &y in &years {
        for (h, id) in hospital_ids.iter().enumerate() {
            write(dir, &format!("data/{id}/{y}.toml"), &hospital_year(h, y));
        }
        for c in 0..counties {
            let n = hospitals / counties;
            let mut text = format!(
                "published_on = {}-10-20\n\n[designated_institutions_summary]\ninst_total = {n}\ninst_level3 = 0\ninst_level2 = 0\ninst_level1 = 0\ninst_unrated = {n}\npharmacy_total = {}\n\n[reporting_channels]\nhotline = \"0851-2{c:07}；12393\"\n\n[notes]\ndisqualified_list = \"本年度无解除医保服务协议的定点医药机构。\"\n",
                y + 1,
                pharmacies / counties
            );
            if links {
                let _ = write!(text, "{}", county_links(c, hospitals, counties));
            }
            write(dir, &format!("data/{}/{y}.toml", county_code(c)), &text);
        }
        let mut sheet = String::from("pharmacy_code,settle_visits,total_amount,account_pay,cash_pay,avg_amount\n");
        for (p, code) in pharmacy_codes.iter().enumerate() {
            // total = account + cash; avg (元) = total (万元) × 10000 ÷ visits, exactly
            let visits = 100 * (50 + (p * 37 + y as usize) % 200);
            let _ = writeln!(
                sheet,
                "{code},{visits},{}.00,{}.00,{}.00,100.00",
                visits / 100,
                visits / 200,
                visits / 100 - visits / 200
            );
        }
        write(dir, &format!("data/{y}/pharmacy_service.csv"), &sheet);
    }
    fs::create_dir_all(dir.join("content")).expect("content dir");
    write(dir, "content/jubao.md", "+++\ntitle = \"举报渠道\"\n+++\n举报电话：12393。\n");
    Generated { hospitals: hospital_ids, years }
}

/// County `c`'s disclosure links: its own and those of its level-2 and level-3 hospitals
/// (hospital `h` is in county `h % counties`, of level `h % 4` as in the registry).
fn county_links(c: usize, hospitals: usize, counties: usize) -> String {
    let link = |name: &str, kind: &str, level: &str| {
        format!(
            "\n[[disclosure_links]]\ncounty = \"第{c}县\"\nunit_name = \"{name}\"\nunit_type = \"{kind}\"\n{level}channel = \"website\"\nmodule_name = \"医疗保障信息披露\"\nurl = \"https://example.org.cn/{c}/ybxxpl/\"\n"
        )
    };
    let mut out = link(&format!("第{c}县医疗保障局"), "bureau", "");
    for h in (c..hospitals).step_by(counties) {
        if let Some(level) = ["level3", "level2", "level2"].get(h % 4) {
            out.push_str(&link(&format!("第{h}医院"), "county_institution", &format!("level = \"{level}\"\n")));
        }
    }
    out
}

/// One hospital-year whose figures satisfy every rule of the overview and service tables.
pub fn hospital_year(h: usize, y: i32) -> String {
    let visits = 1000 + (h * 13 + y as usize) % 9000;
    // Some hospital-years have no inpatients: their inpatient rate and averages are 不适用.
    let ip = if (visits / 10) % 7 == 3 { 0 } else { visits / 10 };
    // the reimbursement rate of the figures below, (ip / 2) ÷ ip × 100, at 2 places
    let rate = match ip {
        0 => "\"—\"".to_string(),
        _ => {
            let r = ((ip / 2) * 20_000 + ip) / (2 * ip);
            format!("{}.{:02}", r / 100, r % 100)
        }
    };
    let (avg_cost, avg_los) = if ip == 0 { ("\"—\"", "\"—\"") } else { ("10000.00", "8.0") };
    // published by the 25 October deadline
    let mut s = format!("published_on = {}-10-{:02}\n\n", y + 1, 1 + h % 25);
    let _ = write!(
        s,
        "[institution_overview]\ncomplaint_phone = \"0851-3{h:07}\"\nhi_settlement_visits = {}\nhi_total_cost = {}.00\nhi_fund_pay = {}.00\n\n",
        2 * (visits + ip),
        2 * (visits / 10 + ip),
        2 * (visits / 20 + ip / 2)
    );
    // 附件8 and 附件9 (both mandatory for grade-2 and above) with the same figures; the overview
    // above holds their sums.
    for table in ["institution_employee_service", "institution_resident_service"] {
        let _ = write!(
            s,
            "[{table}]\nop_visits = {visits}\nop_total_cost = {}.00\nop_fund_pay = {}.00\nip_visits = {ip}\nip_total_cost = {ip}.00\nip_policy_scope_cost = {ip}.00\nip_fund_pay = {}.00\nip_cash_pay = {}.00\nip_avg_cost = {avg_cost}\nip_avg_los = {avg_los}\nip_bed_days = {}\npolicy_reimb_rate = {rate}\ntotal_visits = {}\ntotal_cost = {}.00\ntotal_fund_pay = {}.00\n\n",
            visits / 10,
            visits / 20,
            ip / 2,
            ip - ip / 2,
            ip * 8,
            visits + ip,
            visits / 10 + ip,
            visits / 20 + ip / 2
        );
    }
    s
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).expect("create folder");
    }
    fs::write(p, text).expect("write file");
}
