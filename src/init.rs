//! `pilu init DIR`: a new site with the default tables, a sample entity, both themes and a
//! Markdown page, all from what is embedded in the binary (no network, no repository).

use crate::base::embedded;
use std::fs;
use std::io;
use std::path::Path;

const SETTINGS: &str = r#"# 站点设置。说明见 pilu 的 README。
title = "示例县医疗保障局 医疗保障信息披露"
# 站点所有者：data/entities.toml 中的主体标识
owner = "520399"
description = "示例县医疗保障局依法公开医疗保障基金监管信息。"
language = "zh-CN"
# 发布地址（可选）：只用于规范链接（canonical）和 sitemap.xml
# base_url = "https://www.example.gov.cn/yibao/"
# 电脑版和手机版（手机版在 m/ 下）
themes = ["default", "wechat"]
output = "public"
# 示例数据：每个页面都标注“示例数据”。正式发布前请删除此行。
sample = true
# 表格下方“依据”所写的政策文件（可选）：内置表定义只写全国性文件，其余的表用这里的 default；
# 也可以按表指定，如 [basis.tables] 下写 fund_income = "……"，写 "" 则不显示。
# [basis]
# default = "××医保发〔2023〕1号"
"#;

const ENTITIES: &str = r#"# 披露主体登记表：每个主体一个 [[entities]]。
[[entities]]
code = "520399"
name = "示例县医疗保障局"
kind = "bureau_county"
region = "520399"
disclosure = "online_website"
website = "https://www.example.gov.cn/"
"#;

const SAMPLE_YEAR: &str = r#"# 示例县医疗保障局 2023 年度数据（示例数据）
published_on = 2024-10-20
source = "示例县医疗保障局"

[reporting_channels]
hotline = "0851-12345678；12393"
email = "jubao@example.gov.cn"
address = "示例县人民路 1 号示例县医疗保障局基金监管股"
reward_cap = 100000

[designated_institutions_summary]
inst_total = 12
inst_level3 = 0
inst_level2 = 2
inst_level1 = 4
inst_unrated = 6
inst_village_clinic = 5
inst_public = 10
inst_private = 2
pharmacy_total = 8
pharmacy_chain = 5
pharmacy_single = 3
"#;

const INTRO: &str = "+++\ntitle = \"简介\"\n+++\n示例县医疗保障局按照全省统一表格，逐年公开医疗保障基金收支、定点医药机构等信息。**以下为示例数据。**\n";
const PAGE: &str = "+++\ntitle = \"举报渠道\"\nweight = 1\n+++\n欺诈骗取医疗保障基金的行为，欢迎举报。\n\n- 举报电话：0851-12345678（工作日）\n- 全国医疗保障服务热线：12393\n";

/// Create a new site in `dir`, which must not exist or be empty.
pub fn init(dir: &Path) -> io::Result<()> {
    if dir.exists() && fs::read_dir(dir)?.next().is_some() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("目录 {} 已存在且不为空", dir.display())));
    }
    let write = |rel: &str, bytes: &[u8]| -> io::Result<()> {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(p, bytes)
    };
    write("pilu.toml", SETTINGS.as_bytes())?;
    write("data/entities.toml", ENTITIES.as_bytes())?;
    write("data/520399/2023.toml", SAMPLE_YEAR.as_bytes())?;
    write("content/_index.md", INTRO.as_bytes())?;
    write("content/jubao.md", PAGE.as_bytes())?;
    write("static/.gitkeep", b"")?;
    for (path, bytes) in embedded::FILES {
        write(path, bytes)?;
    }
    Ok(())
}
