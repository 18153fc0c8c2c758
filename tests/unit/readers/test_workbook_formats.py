"""Workbooks other than .xlsx (Excel 97-2003 .xls, Excel binary .xlsb, OpenDocument .ods) read end to end through
the ingest path, and the files that only carry a workbook's name (delimited text, an HTML table, a password)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest

from pipelines.ingest import ingest_partition
from pipelines.readers import read_file
from pipelines.readers.base import LINE, FileError
from pipelines.readers.excel import cell_text

FIXTURES = Path(__file__).parents[2] / "fixtures" / "workbooks"
NIGHT = "2026-11-25"


@pytest.fixture()
def wukong(rules):
    """The 悟空CRM source reading every workbook ending, its report footer known."""
    return {"wukong": dataclasses.replace(rules.sources["wukong"], file_pattern=["*.xls", "*.xlsb", "*.ods", "*.xlsx"],
                                          format="auto", footer_lines=["^本报表由悟空CRM生成$"])}


def _land(root: Path, name: str, data: bytes | Path) -> str:
    folder = root / "wukong" / NIGHT
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, Path):
        shutil.copy(data, folder / name)
    else:
        (folder / name).write_bytes(data)
    return f"wukong/{NIGHT}/{name}"


# (source_line, full_name, phone, email, address, birth_date, created_at) as a steward sees them in the sheet
RECORDS = [(4, "张三", "13800138000", "z3@example.com", "北京市朝阳区建国路88号", "1990-03-07", "2024-05-06 07:08:09"),
           (5, "李四", "13912345678", None, "广东省深圳市南山区科技园", "1985-12-31", "2024-05-07 18:30:00"),
           (7, "王五", "+86 137 0013 7000", "w5@example.com", None, None, "13:45:00")]
FIELDS = ("source_line", "full_name", "phone", "email", "address", "birth_date", "created_at")


@pytest.mark.parametrize("name", ["customers.xls", "customers.ods"])
def test_an_xls_or_ods_export_is_read_as_its_xlsx_would_be(tmp_path, wukong, name):
    """Saved by LibreOffice from one 悟空CRM-style workbook: title row, a header over two rows with merged cells
    (客户名称 merged down, 联系方式 across 邮箱 and 地址), a section heading merged across (华南区), a footer and a
    hidden sheet. Lines are the sheet's rows; phones stored as numbers read without '.0'; dates and date-times as
    ISO text; a time of day alone as the time; an #N/A cell empty; Chinese intact."""
    rel = _land(tmp_path, name, FIXTURES / name)
    result = ingest_partition(tmp_path, NIGHT, wukong)
    entry = result.files.iloc[0]
    assert (entry["source_file"], entry["status"], entry["rows_read"]) == (rel, "read", 3)
    assert json.loads(entry["columns"])[:4] == ["客户名称", "手机", "邮箱", "地址"]
    for said in ("hidden sheet(s) not read: 旧数据", "row(s) 6 not read", "header written over rows 2-3",
                 "footer: line 9 not read", "number formats are not applied"):
        assert said in entry["notes"]
    rows = result.raw.to_pylist()
    assert [tuple(r[f] for f in FIELDS) for r in rows] == RECORDS
    extra = json.loads(rows[0]["extra"])
    assert extra["证件号"] == "110101199003071234" and extra["邮编"] == "2134"   # text kept; 000000 not applied


def test_an_xlsb_export_is_read_with_its_rows_as_lines(tmp_path, wukong):
    """An Excel binary workbook: one header row under a title, the hidden sheet left out, the footer dropped; a
    phone stored as a number, dates, booleans and a number of 18 digits as a spreadsheet shows them."""
    _land(tmp_path, "customers.xlsb", FIXTURES / "customers.xlsb")
    result = ingest_partition(tmp_path, NIGHT, wukong)
    entry = result.files.iloc[0]
    assert entry["status"] == "read" and "hidden sheet(s) not read: 旧数据" in entry["notes"]
    assert "an Excel binary workbook: merged cells and number formats are not read" in entry["notes"]
    rows = result.raw.to_pylist()
    assert [tuple(r[f] for f in FIELDS) for r in rows] == [
        (3, "张三", "13800138000", "z3@example.com", "北京市朝阳区建国路88号", "1990-03-07", "2024-05-06 07:08:09"),
        (4, "李四", "13912345678", None, "广东省深圳市南山区科技园", "1985-12-31", "2024-05-07 18:30:00")]
    assert [json.loads(r["extra"])["VIP"] for r in rows] == ["true", "false"]
    # 18 digits stored as a number kept 15-17 of them in the file: it reads in exponent form, never as an id
    assert json.loads(rows[1]["extra"])["证件号"].endswith("e+17")


def test_an_xls_under_an_xlsx_name_is_read_as_the_xls_it_is(tmp_path):
    shutil.copy(FIXTURES / "customers.xls", tmp_path / "客户.xlsx")
    table = read_file(tmp_path / "客户.xlsx", "auto", expected={"客户名称", "手机"})
    assert table.frame["客户名称"].to_pylist()[:2] == ["张三", "李四"] and table.frame[LINE].to_pylist()[:2] == [4, 5]


def test_a_password_protected_xls_is_a_rejected_file_saying_so(tmp_path, wukong):
    rel = _land(tmp_path, "encrypted.xls", FIXTURES / "encrypted.xls")
    files = ingest_partition(tmp_path, NIGHT, wukong).files
    assert files["status"].tolist() == ["rejected"]
    assert files["error"][0] == f"{rel}: a password-protected (encrypted) workbook: save it without a password"


def test_an_excel_95_workbook_reads_in_its_code_page_unless_that_is_gbk_or_another_double_byte_one(tmp_path):
    """An Excel 5.0/95 .xls holds 8-bit text in the code page it names. calamine reads cp1252 right, but turns
    each GBK character into U+FFFD and a NUL: such a file is refused, naming the code page, not read as garbage."""
    table = read_file(FIXTURES / "excel95_latin.xls", "auto", expected={"Name"})
    assert table.frame.select(["Name", "Phone", LINE]).to_pylist() == [
        {"Name": "José", "Phone": "13800138000", LINE: 2}]
    with pytest.raises(FileError, match=re.escape("an Excel 5.0/95 workbook whose text is in code page 936 (GBK, "
                                                  "Chinese), which cannot be read faithfully: open it in Excel")):
        read_file(FIXTURES / "excel95_gbk.xls", "auto", expected={"客户名称"})


TSV = "客户名称\t手机\t邮箱\n张三\t13800138000\tz3@example.com\n\n李四\t13912345678\t\n"


@pytest.mark.parametrize("codec", ["gbk", "utf-16"])
def test_tab_separated_text_named_xls_is_read_as_text(tmp_path, wukong, codec):
    """A web system's 'export to Excel' is often tab-separated text named .xls (GBK, or UTF-16 as Excel saves
    'Unicode text'): read as the delimited text it is, its lines the text's lines, with a note saying so."""
    rel = _land(tmp_path, "客户.xls", TSV.encode(codec))
    result = ingest_partition(tmp_path, NIGHT, wukong)
    entry = result.files.iloc[0]
    assert entry["status"] == "read" and entry["notes"].startswith("a delimited text file under an .xls name")
    assert [(r["source_file"], r["source_line"], r["full_name"], r["phone"]) for r in result.raw.to_pylist()] == [
        (rel, 2, "张三", "13800138000"), (rel, 4, "李四", "13912345678")]


def test_a_source_reading_xls_files_as_xlsx_also_reads_text_named_xls(tmp_path):
    """Before .xls had a format of its own, a source read its .xls files with format: xlsx."""
    path = tmp_path / "客户.xls"
    path.write_bytes(TSV.encode("gbk"))
    table = read_file(path, "xlsx", expected={"客户名称", "手机"})
    assert table.frame.select(["客户名称", LINE]).to_pylist() == [{"客户名称": "张三", LINE: 2},
                                                                 {"客户名称": "李四", LINE: 4}]


@pytest.mark.parametrize("content, said", [
    ('<html><head><meta charset="gbk"></head><body><table><tr><td>客户名称</td></tr></table></body></html>'
     .encode("gbk"), "an HTML or XML page saved with an Excel name (a web system's 'export to Excel'"),
    (b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
     "an Excel 2003 XML spreadsheet saved with an Excel name"),
    (b"MIME-Version: 1.0\r\nContent-Type: multipart/related\r\n", "a web page archive (MHTML)"),
    (b"\x01\x02\x03garbage\x00\x00", "corrupt, or not a workbook"),
])
def test_a_page_or_junk_named_xls_is_a_file_error_saying_what_it_is(tmp_path, content, said):
    path = tmp_path / "客户.xls"
    path.write_bytes(content)
    with pytest.raises(FileError, match=re.escape(said)):
        read_file(path, "auto", expected={"客户名称"})


def test_an_ods_with_a_value_far_from_the_data_is_refused_not_read_into_memory(tmp_path):
    """A value in the sheet's last cell (XFD1048576) makes its range 17 billion cells: it is refused before
    calamine allocates it, and the error says what to do, not 'corrupt'."""
    with pytest.raises(FileError, match="spans 17,179,869,184 cells .* of which 5 are written: a value far from"):
        read_file(FIXTURES / "far_cell.ods", "auto", expected={"客户名称"})


def test_an_ods_stretched_below_calamines_own_limit_is_refused_as_an_xlsx_is():
    """A stray value in U1000000: 21 million cells, under calamine's limit of 100 million, which it would
    allocate (gigabytes for a sheet of two rows; at its limit 6 GB and 40 s). Refused by the rule an XLSX's
    sheet meets, from content.xml, before calamine reads it."""
    with pytest.raises(FileError, match=r"sheet Sheet spans 21,000,000 cells \(to row 1,000,000, column 21\) of "
                                        "which 5 are written: a value far from the data"):
        read_file(FIXTURES / "far_rows.ods", "auto", expected={"客户名称"})
    # a sheet of real data is measured without being read row by row, and read
    assert read_file(FIXTURES / "customers.ods", "auto", expected={"客户名称", "手机"}).frame.num_rows > 0


def test_a_time_of_day_alone_reads_as_the_time_and_a_date_time_as_both():
    assert cell_text(dt.datetime(1899, 12, 30, 13, 45)) == "13:45:00"
    assert cell_text(dt.datetime(1900, 1, 1, 13, 45)) == "1900-01-01 13:45:00"
    assert cell_text(dt.time(8, 5)) == "08:05:00" and cell_text(13912345678.0) == "13912345678"


@pytest.mark.parametrize("fmt", ["xls", "xlsb", "ods"])
def test_a_source_may_set_a_workbook_format_and_a_sheet(tmp_path, fmt):
    from pipelines.rules import load_rules

    rules_dir = tmp_path / "rules"
    shutil.copytree(Path(__file__).parents[3] / "rules", rules_dir)
    sources = rules_dir / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    old = '    file_pattern: ["*.xlsx", "*.xls"]\n    format: xlsx\n'
    assert old in text
    sources.write_text(text.replace(old, f'    file_pattern: "*.{fmt}"\n    format: {fmt}\n    sheet: 客户\n', 1),
                       encoding="utf-8")
    source = load_rules(rules_dir).sources["wukong"]
    assert (source.format, source.sheet) == (fmt, "客户")
