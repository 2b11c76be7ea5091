#!/usr/bin/env python3
"""Writes the office-style fixture files of tests/import.rs (`office_files_*`), as Chinese
finance offices export them. Run once from this folder; the files are committed. The .xls needs
the xlwt package (Debian: python3-xlwt); the .xlsx is written by the test itself with
PILU_WRITE_FIXTURES=1 (rust_xlsxwriter can merge cells)."""

import codecs

# 1. Excel 另存为 CSV on Chinese Windows: GB18030, title rows, a two-row merged header exported
#    as blanks (基本医疗保险费收入 over 金额 and 其中：…), a 填表人 footer.
gbk = (
    "附件2,,,,,,,,,\r\n"
    "医保基金收入情况表,,,,,,,,,\r\n"
    "填报单位：测试县医疗保障局（盖章）,,,,,,,,,\r\n"
    "统计期间：2023年1月1日—12月31日,,,,,,,,单位：万元,\r\n"
    "险种,基本医疗保险费收入,,,财政补贴收入,利息收入,其他收入,转移收入,本年收入小计,本年收入合计\r\n"
    ",金额,其中：单位缴费,其中：个人缴费,,,,,,\r\n"
    "职工,\"13,857.11\",9000.00,4857.11,19.02,126.18,22.87,7747.23,\"21,772.41\",\"21,772.41\"\r\n"
    "城乡居民,2000.00,,2000.00,6000.00,89.16,600.00,—,8689.16,8689.16\r\n"
    ",,,,,,,,,\r\n"
    "填表人：张三,,,审核人：李四,,,联系电话：0851-12345678,,,\r\n"
)
open("收入-gb18030.csv", "wb").write(gbk.encode("gb18030"))

# 2. CSV UTF-8（逗号分隔）from newer Excel/WPS: a BOM, △ for decreases, thousands separators.
bom = (
    "医保基金财务结余情况表\r\n"
    "2023年度　单位：万元\r\n"
    "险种,上年结余（年初滚存结余）,本年收入合计,本年支出合计,本年收支结余（当期结余）,年末滚存结余（累计结余）,其中：统筹基金累计结余,其中：个人账户累计结余,累计结余可支付月数\r\n"
    "职工,\"1,079.96\",\"21,772.41\",\"21,885.53\",△113.12,966.84,500.00,466.84,0.5\r\n"
    "城乡居民,354.15,\"8,689.16\",\"8,915.30\",△226.14,128.01,,,0.2\r\n"
)
open("结余-utf8-bom.csv", "wb").write(codecs.BOM_UTF8 + bom.encode("utf-8"))

# 3. 「Unicode 文本」: UTF-16LE with BOM, tab separated, a header typed with Alt+Enter (a quoted
#    line break), #DIV/0! where a ratio has no base, and a 医保编码 column for two institutions.
head = ["医保编码", "机构名称", "普通门诊结算人次", "普通门诊医疗总费用", "普通门诊统筹基金支付",
        "住院结算人次", '"住院医疗\n总费用"', "住院政策范围内费用", "住院统筹基金支付", "住院个人现金支付",
        "次均住院费用（元）", "平均住院日（天）", '"政策范围内住院费用\n报销比例（%）"',
        "医保结算总人次", "医保患者医疗总费用", "医保基金支付合计"]
rows = [
    ["2023年度定点医疗机构职工医保服务情况"] + [""] * (len(head) - 1),
    ["单位：万元"] + [""] * (len(head) - 1),
    head,
    ["H52039900001", "测试县人民医院", "1000", "20.00", "10.00", "50", "100.00", "80.00", "60.00", "40.00",
     "20000.00", "8.0", "75.00", "1050", "120.00", "70.00"],
    ["H52039900003", "测试县某某村卫生室", "300", "1.50", "1.20", "0", "0.00", "0.00", "0.00", "0.00",
     "#DIV/0!", "#DIV/0!", "#DIV/0!", "300", "1.50", "1.20"],
]
tsv = "".join("\t".join(r) + "\r\n" for r in rows)
open("住院-utf16.txt", "wb").write(codecs.BOM_UTF16_LE + tsv.encode("utf-16-le"))

# 5. A real Excel 97-2003 workbook (BIFF8) with a merged two-row header: each group's 总数
#    is the group's own total.
try:
    import xlwt
except ImportError:
    xlwt = None
if xlwt:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("附件6")
    ws.write_merge(0, 0, 0, 8, "医保定点医疗机构及定点零售药店情况表")
    ws.write(1, 0, "2023年度")
    ws.write_merge(2, 2, 0, 5, "定点医疗机构")
    ws.write_merge(2, 2, 6, 8, "定点零售药店")
    for c, h in enumerate(["总数", "其中：三级", "二级", "一级", "未定级（含村卫生室）", "其中：村卫生室", "总数", "其中：连锁药店门店", "单体药店"]):
        ws.write(3, c, h)
    for c, v in enumerate([12, 0, 2, 4, 6, 5, 9, 3, 6]):
        ws.write(4, c, v)
    ws.write(6, 0, "填表人：王五")
    wb.save("定点机构-biff.xls")

# 6. WPS 「另存为 网页」/ systems exporting .xls as HTML: office namespaces, rowspan/colspan
#    header, x:num attributes, &nbsp; padding, a 合计 row.
html = """<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns="http://www.w3.org/TR/REC-html40">
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><meta name="ProgId" content="Excel.Sheet"><meta name="Generator" content="WPS Office ET">
<style>.xl65{mso-number-format:"\\#\\,\\#\\#0\\.00";}</style></head>
<body><table x:str border=0 cellpadding=0 cellspacing=0 style='border-collapse:collapse'>
<tr><td colspan=7 class=xl66>医保基金财务结余情况表（2023年度）</td></tr>
<tr><td colspan=5>填报单位：测试县医疗保障局</td><td colspan=2>单位：万元</td></tr>
<tr><td rowspan=2>险种</td><td colspan=4>收入与支出</td><td colspan=2>结余</td></tr>
<tr><td>上年结余（年初滚存结余）</td><td>本年收入合计</td><td>本年支出合计</td><td>本年收支结余（当期结余）</td><td>年末滚存结余（累计结余）</td><td>累计结余可支付月数</td></tr>
<tr><td>职工基本医疗保险（含生育保险）</td><td class=xl65 x:num="1079.96">1,079.96</td><td class=xl65 x:num="21772.41">21,772.41</td><td class=xl65 x:num="21885.53">21,885.53</td><td class=xl65 x:num="-113.12">-113.12</td><td class=xl65 x:num="966.84">966.84&nbsp;</td><td x:num>0.5</td></tr>
<tr><td>合计</td><td>1,079.96</td><td>21,772.41</td><td>21,885.53</td><td>-113.12</td><td>966.84</td><td></td></tr>
</table></body></html>
"""
open("结余-wps.html", "wb").write(html.encode("utf-8"))

# 7. An .xlsx as a reporting system writes it without calculating: formula cells with no cached
#    value (<f> without <v>), strings inline. Excel would show the results; pilu cannot.
import zipfile

def cell(ref, v):
    if isinstance(v, str) and v.startswith("="):
        return f'<c r="{ref}"><f>{v[1:]}</f></c>'
    if isinstance(v, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'
    return f'<c r="{ref}"><v>{v}</v></c>'

sheet_rows = [
    ["2023年度 单位：万元"],
    ["险种", "上年结余（年初滚存结余）", "本年收入合计", "本年支出合计", "本年收支结余（当期结余）", "年末滚存结余（累计结余）"],
    ["职工", 1079.96, 21772.41, 21885.53, "=C3-D3", "=B3+E3"],
]
xml_rows = "".join(
    f'<row r="{i + 1}">' + "".join(cell(f"{chr(65 + j)}{i + 1}", v) for j, v in enumerate(r)) + "</row>"
    for i, r in enumerate(sheet_rows)
)
with zipfile.ZipFile("公式无结果.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
    z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    z.writestr("xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="附件5" sheetId="1" r:id="rId1"/></sheets></workbook>')
    z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    z.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{xml_rows}</sheetData></worksheet>')
