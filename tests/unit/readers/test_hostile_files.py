"""Export files that once broke the reader or the night: each is read like any other file."""
from __future__ import annotations

import codecs
import dataclasses
import json

import duckdb
import pytest

from pipelines.ingest import ingest_partition
from pipelines.readers import read_file
from pipelines.readers.base import ERROR, LINE, REPEATED_HEADER, FileError
from pipelines.readers.encoding import detect

NIGHT = "2026-11-25"
HEADER = '"Id","LastName","Email"'


def _land(root, name: str, text: str | bytes, source: str = "salesforce"):
    folder = root / source / NIGHT
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_headers_named_like_the_readers_own_columns_are_ordinary_columns(tmp_path, rules):
    _land(tmp_path, "odd.csv", '"Id","LastName","__line","__ERROR","email","EMAIL"\n'
                               '"P1","Zhang","not a line","boom","a@example.com","b@example.com"\n')
    _land(tmp_path, "plain.csv", f'{HEADER}\n"P2","Li","li@example.com"\n')
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert set(result.files["status"]) == {"read"}
    rows = {r["source_record_id"]: r for r in result.raw.to_pylist()}
    assert rows["P1"]["source_line"] == 2 and rows["P1"]["parse_error"] is None
    extra = json.loads(rows["P1"]["extra"])
    assert extra["__line__2"] == "not a line" and extra["__ERROR__2"] == "boom"
    assert rows["P1"]["email"] == "a@example.com" and extra["EMAIL__2"] == "b@example.com"
    assert rows["P2"]["source_line"] == 2


def test_unmapped_columns_with_hostile_names_and_values_are_kept_as_json(tmp_path, rules):
    """extra holds every non-empty unmapped value under its header, whatever the characters of either."""
    headers = ["Id", "LastName", 'say "hi"', "back\\slash", "客户 备注", "tab\there", "=cmd()", "empty"]
    values = ["P1", "Zhang", 'a "quoted" value', "C:\\dir\\", "北京市\u3000朝阳", "<script>x</script>", "=HYPERLINK(1)", ""]
    quote = lambda v: '"' + v.replace('"', '""') + '"'
    _land(tmp_path, "hostile.csv", ",".join(map(quote, headers)) + "\n" + ",".join(map(quote, values)) + "\n")
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    extra = json.loads(result.raw.to_pylist()[0]["extra"])
    assert extra == {h: v.strip() for h, v in zip(headers[2:], values[2:]) if v.strip()}


def test_a_line_separator_in_the_title_row_does_not_shift_the_records(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(f"Contacts export\u2028generated 2026-11-23\n{HEADER}\n\"P1\",\"Zhang\",\"z@example.com\"\n"
                    "\"P2\",\"Li\",\"li@example.com\"\n", encoding="utf-8")
    table = read_file(path, "csv", expected={"Id", "LastName"})
    assert table.frame["Id"].to_pylist() == ["P1", "P2"]
    assert table.frame[LINE].to_pylist() == [3, 4]


def test_a_long_cell_is_read_not_rejected(tmp_path):
    path = tmp_path / "long.csv"
    note = "N" * 300_000
    path.write_text(f'{HEADER},"Note"\n"P1","Zhang","z@example.com","{note}"\n"P2","Li","l@example.com","x"\n',
                    encoding="utf-8")
    table = read_file(path, "csv", expected={"Id"})
    assert table.frame["Note"].to_pylist() == [note, "x"]
    assert table.frame["__error"].to_pylist() == [None, None]


def test_encoding_is_judged_by_the_non_ascii_rows_wherever_they_are():
    ascii_rows = "\n".join(f"P{i},Zhang,z{i}@example.com" for i in range(8000))
    late = f"Id,LastName,Email\n{ascii_rows}\nPX,张伟,zw@example.com\n".encode("gb18030")
    assert len(late) > 200_000 and detect(late) == "gb18030"
    assert late.decode(detect(late)).endswith("PX,张伟,zw@example.com\n")
    assert detect("Id,名字\n1,欧阳娜娜\n".encode("gbk")) == "gb18030"
    assert detect("Id,名字\n1,歐陽娜娜,臺北市\n".encode("big5")) == "big5"
    no_bom = "Id,名字,地址\n1,欧阳娜娜,北京市朝阳区建国路88号\n".encode("utf-16-le")
    assert no_bom.decode(detect(no_bom)).startswith("Id,名字")


def test_a_late_gb18030_row_lands_in_raw_customers(tmp_path, rules):
    rows = "\n".join(f'"P{i}","Zhang","z{i}@example.com"' for i in range(4000))
    _land(tmp_path, "gb.csv", f'{HEADER}\n{rows}\n"PX","张伟","zw@example.com"\n'.encode("gb18030"))
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert result.files["status"].tolist() == ["read"], result.files["error"].tolist()
    con = duckdb.connect()
    con.register("raw", result.raw)
    assert con.execute("select family_name, source_line from raw where source_record_id = 'PX'").fetchall() == [
        ("张伟", 4002)]


def test_a_cover_sheet_before_the_data_is_skipped_and_the_error_names_the_sheets(tmp_path, rules):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["本文件由悟空CRM导出"])
    data = wb.create_sheet("客户")
    data.append(["客户名称", "手机"])
    data.append(["张三", "13800138000"])
    path = tmp_path / "k.xlsx"
    wb.save(path)
    table = read_file(path, "xlsx", expected={"客户名称"})
    assert table.frame["客户名称"].to_pylist() == ["张三"] and table.frame[LINE].to_pylist() == [2]
    assert "sheet 客户 (of 说明, 客户)" in table.notes
    del wb["客户"]
    _land(tmp_path / "landing", "客户.xlsx", b"", source="wukong")
    wb.save(tmp_path / "landing" / "wukong" / NIGHT / "客户.xlsx")
    result = ingest_partition(tmp_path / "landing", NIGHT, rules.sources)
    assert result.files["status"].tolist() == ["rejected"]
    assert "missing required column" in result.files["error"][0] and "sheet 说明" in result.files["error"][0]


def _land_workbook(root, sheets: dict[str, list[list]], name: str = "客户.xlsx", hidden: tuple[str, ...] = ()):
    """A 悟空CRM workbook of these sheets (name: rows), landed for the night; the hidden ones hidden."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        sheet = wb.create_sheet(title)
        sheet.sheet_state = "hidden" if title in hidden else "visible"
        for row in rows:
            sheet.append(row)
    folder = root / "wukong" / NIGHT
    folder.mkdir(parents=True, exist_ok=True)
    wb.save(folder / name)
    return f"wukong/{NIGHT}/{name}"


SUMMARY_SHEET = [["省份", "客户数"], ["北京", 1]]


def test_a_workbook_of_records_on_several_sheets_is_read_sheet_by_sheet(tmp_path, rules):
    """One sheet per region: every sheet of records is read, each a file of its own in the ledger and the lineage
    (<file>#<sheet>, the sheet's Excel rows); a cover and a summary sheet are not; a sheet naming mapped columns
    but not the required one (a lookup list) is not read, and the file's notes name it."""
    base = _land_workbook(tmp_path, {
        "说明": [["本文件由悟空CRM导出"]],
        "华北": [["客户名称", "手机", "邮箱", "省份"], ["张三", "13800138000", "z3@example.com", "北京"],
               ["李四", "13900139000", None, "天津"]],
        "华南": [["客户列表"], ["客户名称", "手机", "省份"], ["王五", "13700137000", "广东"]],
        "华东": [["姓名?", "手机", "邮箱", "省份"], ["赵六", "13600136000", "z6@example.com", "上海"]],
        "汇总": SUMMARY_SHEET})
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    files = result.files.set_index("source_file")
    assert list(files.index) == [f"{base}#华北", f"{base}#华南"]
    assert files["status"].tolist() == ["read", "read"] and files["rows_read"].tolist() == [2, 1]
    assert "sheet 华东 not read: it names 3 mapped columns but not 客户名称" in files["notes"].iloc[0]
    rows = sorted((r["source_file"], r["source_line"], r["full_name"]) for r in result.raw.to_pylist())
    assert rows == [(f"{base}#华北", 2, "张三"), (f"{base}#华北", 3, "李四"), (f"{base}#华南", 3, "王五")]


def test_a_hidden_sheet_is_not_read(tmp_path, rules):
    """A hidden sheet holds an old copy or a lookup list, not the records a reader of the workbook sees: it is
    neither read beside the visible sheet nor preferred to it, and the file's notes name it."""
    header = ["客户名称", "手机", "邮箱", "省份"]
    base = _land_workbook(tmp_path, {"旧数据": [header, ["张三", "13800138000", "old@example.com", "北京"],
                                               ["李四", "13900139000", "old2@example.com", "天津"]],
                                     "客户": [["客户名称", "手机"], ["张三", "13800138000"]]}, hidden=("旧数据",))
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert result.files["source_file"].tolist() == [base] and result.files["status"].tolist() == ["read"]
    assert "hidden sheet(s) not read: 旧数据" in result.files["notes"][0]
    assert [(r["source_line"], r["email"]) for r in result.raw.to_pylist()] == [(2, None)]


def test_a_workbook_with_one_sheet_of_records_keeps_its_plain_name(tmp_path, rules):
    base = _land_workbook(tmp_path, {"客户": [["客户名称", "手机", "省份"], ["张三", "13800138000", "北京"]],
                                     "汇总": SUMMARY_SHEET})
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert result.files["source_file"].tolist() == [base]
    assert result.raw.column("source_file").to_pylist() == [base]


def test_a_file_name_in_gbk_is_read_and_named_in_chinese(tmp_path, rules):
    """A zip made on Chinese Windows unpacks GBK file names: the file is read (the night's other files too), and
    named as a steward sees it (客户.csv); a name that is no GB18030 either, or that reads as another file's
    UTF-8 name, keeps its bytes escaped: two files stay two."""
    import os

    folder = tmp_path / "salesforce" / NIGHT
    folder.mkdir(parents=True)
    for i, name in enumerate(("客户".encode("gbk") + b".csv", b"\xff\xfe.csv")):
        with open(os.path.join(os.fsencode(folder), name), "wb") as fh:
            fh.write(f'{HEADER}\n"P{i}","Zhang","z@example.com"\n'.encode())
    _land(tmp_path, "plain.csv", f'{HEADER}\n"P9","Li","li@example.com"\n')
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert sorted(result.files["source_file"]) == sorted(
        [f"salesforce/{NIGHT}/客户.csv", f"salesforce/{NIGHT}/\\xff\\xfe.csv", f"salesforce/{NIGHT}/plain.csv"])
    assert set(result.files["status"]) == {"read"} and result.raw.num_rows == 3
    _land(tmp_path, "客户.csv", f'{HEADER}\n"P2","Wu","wu@example.com"\n')
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert sorted(result.files["source_file"]) == sorted(
        [f"salesforce/{NIGHT}/" + ("客户".encode("gbk") + b".csv").decode("utf-8", "backslashreplace"),
         f"salesforce/{NIGHT}/\\xff\\xfe.csv",
         f"salesforce/{NIGHT}/客户.csv", f"salesforce/{NIGHT}/plain.csv"])
    assert sorted(result.raw.column("source_record_id").to_pylist()) == ["P0", "P1", "P2", "P9"]


def test_a_link_to_a_missing_file_is_a_rejected_file(tmp_path, rules):
    import os

    _land(tmp_path, "plain.csv", f'{HEADER}\n"P2","Li","li@example.com"\n')
    os.symlink(tmp_path / "gone.csv", tmp_path / "salesforce" / NIGHT / "contacts.csv")
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    files = result.files.set_index("source_file")
    assert files.loc[f"salesforce/{NIGHT}/plain.csv", "status"] == "read"
    assert files.loc[f"salesforce/{NIGHT}/contacts.csv", "status"] == "rejected"
    assert "gone.csv, which is not there" in files.loc[f"salesforce/{NIGHT}/contacts.csv", "error"]


def test_a_link_loop_and_a_link_to_a_folder_are_rejected_files_said_as_such(tmp_path, rules):
    import os

    _land(tmp_path, "plain.csv", f'{HEADER}\n"P2","Li","li@example.com"\n')
    night = tmp_path / "salesforce" / NIGHT
    os.symlink("loop.csv", night / "loop.csv")
    os.symlink(".", night / "self.csv")
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    files = result.files.set_index("source_file")
    assert files.loc[f"salesforce/{NIGHT}/plain.csv", "status"] == "read"
    assert "leads back to itself" in files.loc[f"salesforce/{NIGHT}/loop.csv", "error"]
    assert "a link to a folder" in files.loc[f"salesforce/{NIGHT}/self.csv", "error"]
    assert set(files["status"]) == {"read", "rejected"} and len(files) == 3


def test_a_named_pipe_in_the_landing_folder_is_a_rejected_file_not_a_hang(tmp_path, rules):
    """A FIFO was skipped without a word (and one named .xlsx would have been opened, waiting forever)."""
    import os

    _land(tmp_path, "plain.csv", f'{HEADER}\n"P2","Li","li@example.com"\n')
    for name in ("feed.csv", "book.xlsx"):
        os.mkfifo(tmp_path / "salesforce" / NIGHT / name)
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    files = result.files.set_index("source_file")
    assert files.loc[f"salesforce/{NIGHT}/plain.csv", "status"] == "read"
    for name in ("feed.csv", "book.xlsx"):
        assert files.loc[f"salesforce/{NIGHT}/{name}", "status"] == "rejected"
        assert "not a regular file" in files.loc[f"salesforce/{NIGHT}/{name}", "error"]


def test_a_line_of_many_delimiters_is_read_as_any_other(tmp_path, rules):
    """A quoted record followed by 100,000 empty fields (the line csv.Sniffer's quote pattern backtracked over for
    40 s): the delimiter is sniffed from each line's start, and the line is an error row of its own."""
    _land(tmp_path, "commas.csv", f'{HEADER}\n"P1","Zhang","z@example.com"\n"P2","Li","li@example.com"'
                                  + "," * 100_000 + "\n")
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert result.files["status"].tolist() == ["read"]
    rows = result.raw.to_pylist()
    assert [(r["source_line"], r["source_record_id"]) for r in rows] == [(2, "P1"), (3, None)]
    assert rows[0]["parse_error"] is None and rows[1]["parse_error"]


def test_a_very_wide_file_keeps_the_same_extra_json(tmp_path, rules, monkeypatch):
    """A file of thousands of columns has its unmapped ones unpivoted into the extra JSON (one expression per
    column costs DuckDB's planning the square of their number): the same keys, values and order as the
    expressions give, hostile names and values (one named as the unpivot's own column), a second phone column
    kept when the first won, included."""
    import pipelines.ingest as ingest

    header = ('"Id","LastName","Email","Phone","MobilePhone","Note ""quoted""","备注","Tab\tName","空",'
              '"Ünïcode \\ back","Last","_wide_line"')
    rows = ['"P1","Li","li@example.com","13800138000","13900139000","say ""hi""","客户\\n","\t x ","  ","é\u0001","","w"',
            '"P2","Wu","wu@example.com","","13700137000","","","","","","",""',
            '"P3","Ma","ma@example.com","","","<script>","=HYPERLINK(1)","a,b","","","z",""']
    _land(tmp_path, "wide.csv", header + "\n" + "\n".join(rows) + "\n")
    narrow = ingest_partition(tmp_path, NIGHT, rules.sources).raw
    monkeypatch.setattr(ingest, "WIDE_EXTRA", 1)
    wide = ingest_partition(tmp_path, NIGHT, rules.sources).raw
    assert wide.column("extra").to_pylist() != [None] * 3
    as_items = [list(json.loads(e).items()) for e in narrow.column("extra").to_pylist()]
    assert [list(json.loads(e).items()) for e in wide.column("extra").to_pylist()] == as_items
    assert as_items[0][:2] == [("Phone", "13800138000"), ('Note "quoted"', 'say "hi"')]
    assert as_items[1] == []   # MobilePhone is the phone; the other one was empty
    assert wide.drop(["extra"]).equals(narrow.drop(["extra"]))


def test_latin_1_text_is_not_taken_for_chinese():
    for text in ("Id,City\n1,São Paulo\n", "Id,Name\n1,Ñoño Peña\n", "Id|Name|Note\n1|Ångström|x\n"):
        data = text.encode("cp1252")
        assert data.decode(detect(data)) == text


def test_generated_header_names_never_repeat():
    from pipelines.readers.base import unique_headers

    for headers in (["Phone", "PHONE", "phone__2"], ["__line", "__line__2"], ["", "column_1", None]):
        names = unique_headers(headers)
        assert len({n.casefold() for n in names}) == len(names), names


def test_jsonl_and_parquet_odd_values(tmp_path):
    import pandas as pd

    jsonl = tmp_path / "x.jsonl"
    jsonl.write_text('{"id": "1", "note": "a\u2028b", "tags": ["x", 2]}\n\n{"id": "2", "Email": "a@b.c", '
                     '"email": "c@d.e"}\nnot json\n', encoding="utf-8")
    table = read_file(jsonl, "jsonl")
    assert table.frame[LINE].to_pylist() == [1, 3, 4]
    assert table.frame["note"][0].as_py() == "a\u2028b" and table.frame["tags"][0].as_py() == '["x", 2]'
    assert table.headers[-2:] == ["Email", "email__2"]
    assert table.frame["__error"].to_pylist()[:2] == [None, None] and table.frame["__error"][2].as_py()
    parquet = tmp_path / "x.parquet"
    pd.DataFrame({"id": pd.array([1, None], dtype="Int64"), "seen": [pd.Timestamp("2024-01-05"), pd.NaT],
                  "name": pd.array(["Ann", None], dtype="string"), "tags": [["a", "b"], []]}).to_parquet(parquet)
    table = read_file(parquet, "parquet")
    assert table.frame["id"].to_pylist() == ["1", None]
    assert table.frame["seen"].to_pylist() == ["2024-01-05 00:00:00", None]
    assert table.frame["name"].to_pylist() == ["Ann", None]
    assert table.frame["tags"].to_pylist() == ['["a", "b"]', "[]"]


def test_a_gbk_family_answer_is_read_as_gb18030(monkeypatch):
    import pipelines.readers.encoding as encoding

    class Match:
        encoding, chaos = "gb2312", 0.0

    monkeypatch.setattr(encoding, "from_bytes", lambda sample: [Match()])
    monkeypatch.setattr(encoding, "_mostly_common_chinese", lambda sample, codec: False)
    assert detect(b"Id,Name\n1,\x81\x30\x81\x30\x81\x30\n") == "gb18030"


def _records(path) -> list[tuple[int, str | None, str | None]]:
    """(line, Id, error) of each record read."""
    frame = read_file(path, "csv", expected={"Id"}).frame
    return list(zip(frame[LINE].to_pylist(), frame["Id"].to_pylist(), frame["__error"].to_pylist()))


def _rows(n: int, sep: str = ",", end: str = "") -> list[str]:
    return [sep.join([f"{i:03d}", f"Name{i}", f"p{i}@example.com"]) + end for i in range(1, n + 1)]


def test_a_stray_quote_costs_its_own_line_not_the_records_after_it(tmp_path):
    rows = _rows(10)
    rows[2] = '003,"Bob,p3@example.com'          # a quote typed by a user, never closed (line 4)
    rows[6] = '007,"A "nick" B",p7@example.com'  # a quote inside a quoted value (line 8)
    got = _records(_land(tmp_path, "stray.csv", "\n".join(["Id,LastName,Email"] + rows) + "\n"))
    assert [line for line, _, _ in got] == list(range(2, 12))
    errors = {line: error for line, _, error in got if error}
    assert set(errors) == {4, 8}
    assert all(error.startswith("broken quoting") for error in errors.values())
    assert [i for line, i, _ in got if line not in errors] == ["001", "002", "004", "005", "006", "008", "009",
                                                                "010"]
    rows[6] = "007,Plain,p7@example.com"          # now the quote on line 4 runs to the end of the file
    got = _records(_land(tmp_path, "open.csv", "\n".join(["Id,LastName,Email"] + rows) + "\n"))
    assert [(line, error) for line, _, error in got if error] == [
        (4, "broken quoting: a quote opened on this line is never closed")]
    assert len(got) == 10


def test_two_stray_quotes_do_not_merge_the_records_between_them(tmp_path):
    """A quote typed at a value's start (line 4) and one typed at a value's end three lines down read, to the
    csv module, as one value holding line breaks: three customers in one clean row. Each line between them is a
    record of the header's width, so it is a stray quote: line 4 is broken, the others are records."""
    rows = _rows(10)
    rows[2] = '003,"Brien,p3@example.com'   # line 4
    rows[5] = '006,Smith",p6@example.com'   # line 7
    got = _records(_land(tmp_path, "stray2.csv", "\n".join(["Id,LastName,Email"] + rows) + "\n"))
    assert [line for line, _, _ in got] == list(range(2, 12))
    assert [(line, error.split(":")[0]) for line, _, error in got if error] == [(4, "broken quoting")]
    assert [i for line, i, _ in got if line != 4] == ["001", "002", "004", "005", "006", "007", "008", "009", "010"]
    rows[5] = _rows(10)[5]
    rows[3] = '004,Name4",p4@example.com'   # closed on the very next line
    got = _records(_land(tmp_path, "stray3.csv", "\n".join(["Id,LastName,Email"] + rows) + "\n"))
    assert [(line, error is not None) for line, _, error in got][:4] == [(2, False), (3, False), (4, True), (5, False)]
    assert len(got) == 10


def test_a_value_over_several_lines_stays_one_record(tmp_path):
    """A quoted address or note over lines (Excel's Alt+Enter) is one value: its lines are not records."""
    rows = _rows(6)
    rows[1] = '002,"Room 1\nBuilding 2, Gate 3",p2@example.com'    # the second line holds a comma, not two
    rows[3] = '"004\nsecond line",Name4,p4@example.com'            # a first column over two lines
    got = _records(_land(tmp_path, "multi.csv", "\n".join(["Id,LastName,Email"] + rows) + "\n"))
    assert [(line, i, error) for line, i, error in got] == [
        (2, "001", None), (3, "002", None), (5, "003", None), (6, "004\nsecond line", None), (8, "005", None),
        (9, "006", None)]


def test_blank_lines_anywhere_are_not_records(tmp_path):
    rows = _rows(15)
    text = "\r\n".join(["Id,LastName,Email"] + rows[:11] + [""] + rows[11:]) + "\r\n\r\n"
    got = _records(_land(tmp_path, "blank.csv", text))
    assert [i for _, i, _ in got] == [f"{i:03d}" for i in range(1, 16)]
    assert [line for line, _, _ in got] == list(range(2, 13)) + list(range(14, 18))
    assert all(error is None for _, _, error in got)


def test_a_trailing_delimiter_on_the_rows_or_on_the_header_only_is_not_an_error(tmp_path):
    rows_only = _records(_land(tmp_path, "rows.csv", "\n".join(["Id,LastName,Email"] + _rows(3, end=",")) + "\n"))
    header_only = _records(_land(tmp_path, "header.csv", "\n".join(["Id,LastName,Email,"] + _rows(3)) + "\n"))
    assert rows_only == header_only == [(2, "001", None), (3, "002", None), (4, "003", None)]


def test_a_repeated_header_is_an_error_row_not_a_customer(tmp_path):
    """Two Excel 'CSV UTF-8' exports joined with cat: the second one's BOM and header sit mid-file."""
    part = "\ufeff" + HEADER + "\r\n" + "\r\n".join(_rows(2)) + "\r\n"
    got = _records(_land(tmp_path, "joined.csv", part + part))
    assert [(line, error) for line, _, error in got] == [(2, None), (3, None), (4, REPEATED_HEADER), (5, None),
                                                         (6, None)]
    # a narrow file: a customer named like a column is a customer, the whole header again is not
    narrow = read_file(_land(tmp_path, "narrow.csv", "Id,Name\n5,Name\nId,Bob\nId,Name\n"), "csv",
                       expected={"Id"}).frame
    assert narrow["__error"].to_pylist() == [None, None, REPEATED_HEADER]


def test_a_utf8_file_with_a_few_damaged_lines_is_read_as_utf8_and_only_those_rows_are_errors(tmp_path):
    """A row pasted from a GBK or Latin-1 file, a last row cut mid-character: the file stays UTF-8 (it was
    once read whole as GB18030 or cp1252, garbling every good row, or rejected naming the wrong line)."""
    good = [f"{i:03d},张三丰{i},José São Paulo" for i in range(1, 21)]
    head = "Id,LastName,Email\n" + "\n".join(good) + "\n"
    cases = {"gbk.csv": head.encode() + "021,欧阳娜娜,x\n".encode("gbk"),
             "latin.csv": head.encode() + "021,Jürgen Müller,x\n".encode("cp1252") + b"022,Ann,y\n",
             "cut.csv": head.encode() + "021,王".encode()[:-1] + b"\n",
             "bom.csv": b"\xef\xbb\xbf" + head.encode() + "021,欧阳娜娜,x\n".encode("gbk"),
             "crlf.csv": head.replace("\n", "\r\n").encode() + "021,欧阳娜娜,x\r\n".encode("gbk"),
             "cr.csv": head.replace("\n", "\r").encode() + "021,欧阳娜娜,x\r".encode("gbk")}
    for name, data in cases.items():
        table = read_file(_land(tmp_path, name, data), "csv", expected={"Id"})
        assert "encoding utf-8" in table.notes[0], name
        frame = table.frame
        assert frame["LastName"].to_pylist()[:20] == [f"张三丰{i}" for i in range(1, 21)], name
        errors = [(line, e) for line, e in zip(frame[LINE].to_pylist(), frame["__error"].to_pylist()) if e]
        assert len(errors) == 1 and errors[0][0] == 22 and errors[0][1].startswith("bytes not valid UTF-8 on line 22")
        assert frame["LastName"][20].as_py() is None   # the damaged row's text is not passed on garbled
    # a BOM says UTF-8 though no other line shows UTF-8 text: English rows and one pasted GBK row
    english = read_file(_land(tmp_path, "english.csv", b"\xef\xbb\xbfId,LastName,Email\n1,Lee,a@x.com\n2,Li,b@x.com\n"
                              + "3,张,c@x.com\n".encode("gbk")), "csv", expected={"Id"}).frame
    assert english["LastName"].to_pylist()[:2] == ["Lee", "Li"]
    assert english["__error"].to_pylist()[:2] == [None, None] and english["__error"][2].as_py().startswith(
        "bytes not valid UTF-8 on line 4")
    assert detect("Id,名字\n1,欧阳娜娜\n2,张伟\n".encode("gbk")) == "gb18030"   # a GBK file is still GBK
    jsonl = read_file(_land(tmp_path, "j.jsonl", '{"id": "1", "n": "张"}\n{"id": "2", "n": "王"}\n{"id": "3", "n": "李"}\n'
                            .encode() + '{"id": "4", "n": "赵"}\n'.encode("gbk")), "jsonl")
    assert jsonl.frame["__error"].to_pylist()[:3] == [None] * 3
    assert jsonl.frame["__error"][3].as_py().startswith("bytes not valid UTF-8 on line 4")


@pytest.mark.parametrize("rows", [10, 1500])
def test_a_gb18030_file_with_a_few_damaged_lines_is_gb18030_and_only_those_rows_are_errors(tmp_path, rows):
    """A GB18030 export with a few lines of bytes GB18030 rejects: it was taken for a single-byte codec, every row
    read garbled (ISO-8859-5: 张 as 'Хв'), or for UTF-8 with every Chinese row an error."""
    names = ["张伟", "李娜", "王芳", "刘洋", "陈静"]
    lines = [f"{i},{names[i % 5]},上海市".encode("gb18030") for i in range(1, rows + 1)]
    for i in (rows // 3, rows // 2):
        lines[i - 1] += b"\xff\x81\xfe"
    path = _land(tmp_path, "gb.csv", b"Id,LastName,MailingCity\r\n" + b"\r\n".join(lines) + b"\r\n")
    table = read_file(path, "csv", expected={"Id"})
    assert "encoding gb18030" in table.notes[0]
    frame = table.frame
    errors = {line: e for line, e in zip(frame[LINE].to_pylist(), frame[ERROR].to_pylist()) if e}
    assert sorted(errors) == [rows // 3 + 1, rows // 2 + 1]
    assert all(e.startswith(f"bytes not valid GB18030 on line {line} ") for line, e in errors.items())
    good = [(n, c) for n, c, e in zip(frame["LastName"].to_pylist(), frame["MailingCity"].to_pylist(),
                                     frame[ERROR].to_pylist()) if not e]
    assert len(good) == rows - 2 and {c for _, c in good} == {"上海市"} and {n for n, _ in good} == set(names)


def test_a_utf16_file_cut_off_or_with_a_lone_surrogate_loses_only_its_damaged_line(tmp_path, rules):
    """Excel's Unicode Text (UTF-16 with a BOM, tabs) cut off mid-character by a copy, or holding a lone
    surrogate: the whole file was rejected, its error advising to set the encoding its BOM names."""
    text = "Id\tLastName\tEmail\r\n" + "".join(f"U{i}\t名{i}\tu{i}@example.com\r\n" for i in range(5))
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    _land(tmp_path, "cut.csv", data[:-7])                            # the last row cut inside its e-mail
    _land(tmp_path, "surrogate.csv", data[:60] + b"\x00\xd8" + data[60:])   # a lone high surrogate on line 2
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert set(result.files["status"]) == {"read"}
    rows = [(r["source_file"].rsplit("/", 1)[1], r["source_line"], r["source_record_id"], r["family_name"],
             r["parse_error"]) for r in result.raw.to_pylist()]
    cut = [r for r in rows if r[0] == "cut.csv"]
    assert [r[1:4] for r in cut[:4]] == [(i + 2, f"U{i}", f"名{i}") for i in range(4)]
    assert cut[4][1] == 6 and cut[4][4].startswith("bytes not valid UTF-16 on line 6 (byte offset 252)")
    surrogate = [r for r in rows if r[0] == "surrogate.csv"]
    assert surrogate[0][1] == 2 and surrogate[0][4].startswith("bytes not valid UTF-16 on line 2 (byte offset 60)")
    assert [r[1:4] for r in surrogate[1:]] == [(i + 2, f"U{i}", f"名{i}") for i in range(1, 5)]


@pytest.mark.parametrize("codec", ["utf-32", "utf-32-be"])
def test_a_utf32_file_with_its_bom_is_read_as_utf32_not_as_utf16_full_of_nuls(tmp_path, codec):
    bom = codecs.BOM_UTF32_BE if codec.endswith("be") else b""
    text = "Id,LastName,Email\n001,张,a@example.com\n002,Li,b@example.com\n"
    table = read_file(_land(tmp_path, "u32.csv", bom + text.encode(codec)), "csv", expected={"Id"})
    assert "encoding utf-32" in table.notes[0]
    assert table.frame[ERROR].to_pylist() == [None, None] and table.frame[LINE].to_pylist() == [2, 3]
    assert table.frame["LastName"].to_pylist() == ["张", "Li"]


def test_an_empty_file_or_csv_text_under_a_workbook_or_parquet_name_says_what_it_is(tmp_path, rules):
    csv_text = f"{HEADER}\n\"P1\",\"Li\",\"l@example.com\"\n"
    _land(tmp_path, "empty.xlsx", b"")
    _land(tmp_path, "text.xlsx", csv_text)
    _land(tmp_path, "empty.parquet", b"", source="pq")
    _land(tmp_path, "text.parquet", csv_text, source="pq")
    pq_source = dataclasses.replace(rules.sources["salesforce"], name="pq", file_pattern=["*.parquet"],
                                    format="parquet")
    files = ingest_partition(tmp_path, NIGHT, {**rules.sources, "pq": pq_source}).files
    errors = dict(zip(files["source_file"].str.rsplit("/", n=1).str[1], files["error"]))
    assert set(files["status"]) == {"rejected"}
    assert errors["empty.xlsx"].endswith("empty.xlsx: not a readable workbook (ZipError): the file is empty (0 bytes): "
                                         "the export was cut off or is still being copied; deliver it again")
    assert errors["text.xlsx"].endswith("delimited text (a CSV export?) under a workbook's name: give it its .csv "
                                        "ending, or deliver the workbook itself")
    assert "empty.parquet: not a readable Parquet file (ArrowInvalid): the file is empty (0 bytes)" in errors[
        "empty.parquet"]
    assert errors["text.parquet"].endswith("delimited text (a CSV export?) under a Parquet file's name: give it its "
                                           ".csv ending, or deliver the Parquet file itself")


@pytest.mark.parametrize("rows", [4, 200])
def test_a_classic_mac_csv_of_cr_lines_is_read_as_mac_roman(tmp_path, rows):
    """Excel for Mac's CSV: lines ending at CR, text in Mac Roman (ü = 0x9F). Its accented rows were quarantined
    as damaged UTF-8, or read garbled in a Windows codec the detector answered (Mźller, FranŤois)."""
    names = ["Müller", "François", "Ångström", "Zoë"]
    text = "Id,LastName,Email\r" + "".join(f"{i:03d},{'Smith' if i % 2 else names[i % 4]},n{i}@example.com\r"
                                            for i in range(rows))
    table = read_file(_land(tmp_path, "mac.csv", text.encode("mac_roman")), "csv", expected={"Id"})
    assert "encoding mac_roman" in table.notes[0]
    assert table.frame[ERROR].null_count == rows and table.frame[LINE].to_pylist() == list(range(2, rows + 2))
    assert table.frame["LastName"].to_pylist() == ["Smith" if i % 2 else names[i % 4] for i in range(rows)]


def test_json_lines_files_joined_with_their_byte_order_marks_read_every_line(tmp_path):
    """Two exports saved with a BOM and joined (cat a.jsonl b.jsonl): the second one's first record opens with a
    BOM, which json rejects; it was quarantined as invalid JSON."""
    bom = codecs.BOM_UTF8
    path = _land(tmp_path, "joined.jsonl",
                 bom + b'{"id": "1"}\r\n{"id": "2"}\r\n' + bom + b'{"id": "3"}\r\n{"id": "4"}\r\n')
    frame = read_file(path, "jsonl").frame
    assert frame["id"].to_pylist() == ["1", "2", "3", "4"] and frame[ERROR].null_count == 4
    assert frame[LINE].to_pylist() == [1, 2, 3, 4]


def test_an_api_response_wrapping_the_records_is_rejected_naming_its_keys_not_a_header_row(tmp_path, rules):
    """A Users API page saved as the export ({"users": [...], "next_page": …}) reads as one record without an id:
    its error spoke of header rows and the first 30 rows, which a JSON file has none of."""
    _land(tmp_path, "users.json", json.dumps({"users": [{"id": 1, "name": "A"}], "next_page": None, "count": 1}),
          source="zendesk")
    error = ingest_partition(tmp_path, NIGHT, rules.sources).files["error"][0]
    assert error.startswith("zendesk/2026-11-25/users.json: missing required column(s) id: no key or column of the "
                            "source's mapping in the file (it has: users, next_page, count); a JSON file whose "
                            "records are wrapped in an object")
    assert "header row" not in error


@pytest.mark.parametrize("codec", ["utf-8", "cp1252", "utf-16"])
def test_a_dos_end_of_file_mark_is_no_record(tmp_path, codec):
    """Old Windows and FoxPro exports end with Ctrl-Z (0x1A): it was read as a record of one field, quarantined."""
    text = "Id,LastName,Email\r\n1,Müller,a@example.com\r\n2,Li,b@example.com\r\n\x1a"
    table = read_file(_land(tmp_path, "dos.csv", text.encode(codec)), "csv", expected={"Id"})
    assert table.frame["LastName"].to_pylist() == ["Müller", "Li"] and table.frame[ERROR].null_count == 2


def test_files_in_a_folder_below_the_night_are_reported_and_junk_files_are_ignored(tmp_path, rules):
    _land(tmp_path, "contacts.csv", f'{HEADER}\n"P1","Li","l@example.com"\n')
    _land(tmp_path, "resent/contacts.csv", f'{HEADER}\n"P2","Wu","w@example.com"\n')
    _land(tmp_path, ".DS_Store", b"\x00\x00\x00\x01Bud1")
    _land(tmp_path, "~$contacts.csv", b"\x05owner")
    _land(tmp_path, ".git/config.csv", "x")
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    ledger = dict(zip(result.files["source_file"], zip(result.files["status"], result.files["error"])))
    assert set(ledger) == {f"salesforce/{NIGHT}/contacts.csv", f"salesforce/{NIGHT}/resent/contacts.csv"}
    status, error = ledger[f"salesforce/{NIGHT}/resent/contacts.csv"]
    assert status == "rejected" and "folder below the night's folder" in error
    assert result.raw.column("source_record_id").to_pylist() == ["P1"]


def test_a_header_below_a_long_title_block_is_found(tmp_path, rules):
    """Exports that open with a title, the filters used and blank rows: the header on row 12 (XLSX) or line
    15 (CSV) is found by name; a file with no header row at all says so instead of naming row 1."""
    from openpyxl import Workbook

    wb = Workbook()
    for i in range(11):
        wb.active.append([f"筛选条件 {i}"] if i % 3 else [None])
    wb.active.append(["客户名称", "手机"])
    wb.active.append(["张三", "13800138000"])
    path = tmp_path / "k.xlsx"
    wb.save(path)
    table = read_file(path, "xlsx", expected={"客户名称"})
    assert table.frame["客户名称"].to_pylist() == ["张三"] and table.frame[LINE].to_pylist() == [13]
    title = "".join(f"Report line {i}\n" for i in range(14))
    csv_path = _land(tmp_path, "late.csv", title + HEADER + '\n"P1","Li","l@example.com"\n')
    assert _records(csv_path) == [(16, "P1", None)]
    _land(tmp_path / "l", "none.csv", "a,b\n1,2\n")
    result = ingest_partition(tmp_path / "l", NIGHT, rules.sources)
    assert "no header row, none of the first 30 rows" in result.files["error"][0]


def test_the_file_pattern_ignores_case(tmp_path, rules):
    _land(tmp_path, "CONTACTS.CSV", f'{HEADER}\n"P1","Li","l@example.com"\n')
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert result.files["status"].tolist() == ["read"]


def test_a_broken_title_line_above_the_header_does_not_hide_it(tmp_path):
    for name, title in (("open.csv", '"Export customers\n'), ("closed.csv", '"Report" Q1\n'),
                        ("two.csv", '"Report" Q1\nfilters: none\n')):
        path = _land(tmp_path, name, title + HEADER + '\n"P1","Li","l@example.com"\n')
        table = read_file(path, "csv", expected={"Id"})
        header = title.count("\n") + 1
        assert (table.headers, table.header_line) == (["Id", "LastName", "Email"], header), name
        assert table.frame.to_pylist() == [{"Id": "P1", "LastName": "Li", "Email": "l@example.com",
                                            LINE: header + 1, "__error": None}], name


def test_a_gbk_file_whose_few_characters_happen_to_be_valid_utf8_is_still_gbk(tmp_path):
    """女 in GBK is C5 AE, which UTF-8 reads as Ů: lines holding only such pairs are no evidence of UTF-8."""
    rows = "".join(f"{i},Li Na {i},{'男' if i % 4 == 0 else '女'},u{i}@x.com\n" for i in range(1, 31))
    table = read_file(_land(tmp_path, "gbk.csv", ("id,name,gender,email\n" + rows).encode("gbk")), "csv",
                      expected={"id"})
    assert table.notes[0] == "encoding gb18030"
    assert table.frame["gender"].to_pylist()[:4] == ["女", "女", "女", "男"]
    assert all(e is None for e in table.frame["__error"].to_pylist())


def test_parquet_ids_keep_every_digit_when_the_column_has_an_empty_value(tmp_path):
    """pandas made an int64 column with a null float64: 4876876000000123456 became …904 and distinct customers
    shared an id (quarantined as duplicates)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({
        "customer_id": pa.array([4876876000000123456, 4876876000000123457, None, 9007199254740993], pa.int64()),
        "mobile": pa.array([13800138000, None, 13800138003, 13800138005], pa.int64()),
        "score": pa.array([1.0, 13800138000.0, None, 1.5]),
        "blob": pa.array([b"abc", b"\xff", None, b"x"]),
        "tier": pa.array(["gold", "silver", "gold", None]).dictionary_encode()}), path)
    table = read_file(path, "parquet").frame
    assert table["customer_id"].to_pylist() == ["4876876000000123456", "4876876000000123457", None,
                                                "9007199254740993"]
    assert table["mobile"].to_pylist() == ["13800138000", None, "13800138003", "13800138005"]
    assert table["score"].to_pylist() == ["1", "13800138000", None, "1.5"]
    assert table["blob"].to_pylist() == ["abc", "ff", None, "x"]
    assert table["tier"].to_pylist() == ["gold", "silver", "gold", None]
    assert table[LINE].to_pylist() == [1, 2, 3, 4]


def test_a_jsonl_file_without_one_object_is_a_file_error_saying_what_it_is(tmp_path):
    import pytest
    from pipelines.readers.base import FileError

    for name, text, said in [("array.jsonl", '[1, 2]\n', "not a JSON object"),   # an array read, its elements no records
                             ("pretty.jsonl", '{\n  "id": "1"\n}\n', "line 1: invalid JSON"),
                             ("empty.jsonl", "", "the file is empty")]:
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(FileError, match=said):
            read_file(tmp_path / name, "jsonl")


def test_jsonl_keys_equal_but_for_case_are_one_column_and_a_repeated_key_is_kept(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "1", "name": "A"}\n{"id": "2", "Name": "B"}\n{"id": "3", "name": "C1", "name": "C2"}\n'
                    '{}\n', encoding="utf-8")
    table = read_file(path, "jsonl")
    assert table.headers == ["id", "name", "name__2"]
    assert table.frame["name"].to_pylist() == ["A", "B", "C1", None]
    assert table.frame["name__2"].to_pylist() == [None, None, "C2", None]
    assert table.frame["__error"].to_pylist() == [None] * 4    # {} is a record (quarantined later: no id)


def test_nested_objects_are_spread_out_as_parent_child_columns_a_mapping_can_name(tmp_path):
    """API-style exports nest the address ({"address": {"city": …}}); the whole object used to land as JSON text
    in the one field it was mapped to. Parquet struct columns are spread out the same way."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shutil
    from pathlib import Path

    from pipelines.rules import load_sources

    rules = tmp_path / "rules"
    shutil.copytree(Path(__file__).resolve().parents[3] / "rules", rules)
    with (rules / "sources.yaml").open("a", encoding="utf-8") as fh:
        fh.write("  webforms:\n    file_pattern: \"*.jsonl\"\n    format: jsonl\n    record_id: id\n"
                 "    columns:\n      full_name: name\n      province: address.province\n      city: address.city\n"
                 "      street: address.street\n")
    _land(tmp_path / "landing", "forms.jsonl", '{"id": "w3", "name": "王五", "address": {"province": "北京市", '
          '"city": "北京市", "street": "建国路88号", "geo": {"lat": 39.9}}, "tags": ["vip"]}\n', source="webforms")
    result = ingest_partition(tmp_path / "landing", NIGHT, load_sources(rules))
    row = result.raw.to_pylist()[0]
    assert (row["full_name"], row["province"], row["city"], row["street"]) == ("王五", "北京市", "北京市", "建国路88号")
    assert json.loads(row["extra"]) == {"address.geo.lat": "39.9", "tags": '["vip"]'}
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"id": [1], "default_address": [{"city": "Ottawa", "zip": "K1A 0B1"}]}), path)
    assert read_file(path, "parquet").headers == ["id", "default_address.city", "default_address.zip"]


def test_the_spreadsheet_text_mark_is_dropped_from_ids_phones_and_postcodes(tmp_path):
    """Shopify's customer export writes '7291234567890, '+16135550123, 'K1A 0B1: the apostrophe only tells a
    spreadsheet to keep the text. A name keeps its own ('t Hooft)."""
    from pathlib import Path

    from pipelines.rules import load_sources

    sources = load_sources(Path(__file__).resolve().parents[3] / "rules")
    _land(tmp_path, "contacts.csv", "Id,FirstName,LastName,MobilePhone,MailingPostalCode\n"
                                    "'7291234567890,Gerard,'t Hooft,'+16135550123,'K1A 0B1\n")
    row = ingest_partition(tmp_path, NIGHT, sources).raw.to_pylist()[0]
    assert (row["source_record_id"], row["phone"], row["postcode"], row["family_name"]) == (
        "7291234567890", "+16135550123", "K1A 0B1", "'t Hooft")


def test_record_ids_a_spreadsheet_or_a_report_respelled_are_one_id(tmp_path):
    """A numeric id written as a float (8102.0: a file saved from pandas or Excel) is the id 8102; a Salesforce
    report's 15-character id is the Data Loader's 18-character one (case-sensitive: its last three characters
    encode the case of its letters)."""
    from pathlib import Path

    from pipelines.rules import load_sources

    sources = load_sources(Path(__file__).resolve().parents[3] / "rules")
    _land(tmp_path, "contacts.csv", "Id,FirstName,LastName\n0015000000Gv7qJ,Ann,Lee\n0015000000Gv7qJAAR,Ann,Lee\n"
                                    "0015000000gv7qj,Bo,Ng\n8102.0,Cy,Ho\n")
    ids = [r["source_record_id"] for r in ingest_partition(tmp_path, NIGHT, sources).raw.to_pylist()]
    assert ids == ["0015000000Gv7qJAAR", "0015000000Gv7qJAAR", "0015000000gv7qjAAA", "8102"]


def test_a_source_exporting_csv_or_xlsx_reads_both(tmp_path):
    """HubSpot exports contacts as CSV or XLSX: the preset takes both (file_pattern a list, format: auto); a file
    of another kind is rejected saying how to take it."""
    from pathlib import Path

    from openpyxl import Workbook

    from pipelines.rules import load_sources

    sources = load_sources(Path(__file__).resolve().parents[3] / "rules")
    _land(tmp_path, "contacts.csv", "Record ID,First Name,Last Name,Email\n101,Ann,Lee,ann@x.com\n", source="hubspot")
    book = Workbook()
    book.active.append(["Record ID", "First Name", "Last Name", "Email"])
    book.active.append(["102", "Bo", "Ng", "bo@x.com"])
    book.save(_land(tmp_path, "contacts.xlsx", b"", source="hubspot"))
    _land(tmp_path, "contacts.pdf", b"%PDF-1.4", source="hubspot")
    result = ingest_partition(tmp_path, NIGHT, sources)
    assert sorted(r["source_record_id"] for r in result.raw.to_pylist()) == ["101", "102"]
    rejected = result.files[result.files["status"] == "rejected"]["error"].tolist()
    assert len(rejected) == 1 and "contacts.pdf" in rejected[0] and "file_pattern" in rejected[0]


def test_an_encoding_error_names_the_physical_line_whatever_the_line_ends_and_codec(tmp_path):
    """Line breaks are counted in the decoded text: CR-only line ends count, and a UTF-16 character whose byte
    is 0x0A (上 is U+4E0A) is no line break."""
    import pytest

    from pipelines.readers.base import FileError

    utf16 = tmp_path / "u16.csv"
    rows = "".join(f'"00{i}","上海市{i}","x{i}@example.com"\r\n' for i in range(5))
    utf16.write_bytes(("\ufeffId,LastName,Email\r\n" + rows).encode("utf-16-le") + b"\x00\xd8")
    with pytest.raises(FileError) as err:
        read_file(utf16, "csv", encoding="utf-16")
    assert err.value.line == 7
    cr = tmp_path / "cr.csv"
    cr.write_bytes(b'Id,LastName,Email\r"1","Li","a@x.org"\r"2","Wang","b@x.org"\r"3","Ren\xe9","c@x.org"\r')
    with pytest.raises(FileError) as err:
        read_file(cr, "csv", encoding="utf-8")
    assert err.value.line == 4


def test_a_json_line_with_half_a_character_is_its_own_error_not_the_files(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id":"s1","last_name":"Lee","email":"ann@example.com"}\n'
                    '{"id":"s2","last_name":"Ben \\ud83d","email":"ben@example.com"}\n'
                    '{"id":"s3","last_name":"Kim \\ud83d\\ude00","email":"kim@example.com"}\n', encoding="utf-8")
    table = read_file(path, "jsonl")
    assert table.frame[LINE].to_pylist() == [1, 2, 3]
    errors = table.frame["__error"].to_pylist()
    assert errors[0] is None and "character cut in half" in errors[1] and errors[2] is None
    assert table.frame["last_name"].to_pylist()[2] == "Kim \U0001F600"


def test_json_and_parquet_numbers_are_read_as_written_never_with_digits_made_up(tmp_path):
    """A JSON number is its text as written (1.38001E+10 is Excel's damage, which the rules flag, not the phone
    13800100000; 8102.0 is the id 8102); a float beyond a double's exact digits reads as a spreadsheet's
    does (1.2345678901234568e+16, which rounded_record_id quarantines), not as digits a float made up. A line
    nested too deeply to be a record is an error of its own, not the file's."""
    import pandas as pd

    path = tmp_path / "a.jsonl"
    path.write_text('{"id": 8102.0, "phone": 1.38001E+10}\n'
                    '{"id": 12345678901234567890.0, "phone": 13800138000}\n'
                    + '{"id": ' + "[" * 5000 + "]" * 5000 + '}\n'
                    '{"id": 3, "score": 1.50, "phones": [1.38001E+10, 8102.0, {"x": 2.50}, "\\u0000"]}\n',
                    encoding="utf-8")
    table = read_file(path, "jsonl")
    assert table.frame["id"].to_pylist() == ["8102", "12345678901234567890", None, "3"]
    assert table.frame["phone"].to_pylist() == ["1.38001E+10", "13800138000", None, None]
    assert table.frame["score"].to_pylist()[3] == "1.50"
    assert table.frame["phones"].to_pylist()[3] == '[1.38001E+10, 8102.0, {"x": 2.50}, "\\u0000"]'   # nested too
    errors = table.frame["__error"].to_pylist()
    assert errors[2] == "invalid JSON: nested too deeply to be a record" and errors.count(None) == 3
    parquet = tmp_path / "a.parquet"
    pd.DataFrame({"id": [12345678901234567.0, 8102.0], "phone": [13800138000.0, 1.5]}).to_parquet(parquet)
    table = read_file(parquet, "parquet")
    assert table.frame["id"].to_pylist() == ["1.2345678901234568e+16", "8102"]
    assert table.frame["phone"].to_pylist() == ["13800138000", "1.5"]


def test_a_bom_or_zero_width_space_inside_a_header_is_no_part_of_its_name(tmp_path, rules):
    """Exports pasted together leave a BOM before a later header; a zero-width space hides in a copied one."""
    _land(tmp_path, "bom.csv", 'Id,LastName,\ufeffEmail,No\u200bte\n"P1","Li","li@example.com","vip"\n')
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert result.files["status"].tolist() == ["read"]
    assert result.raw.to_pylist()[0]["email"] == "li@example.com"


def test_a_nul_in_a_header_is_no_part_of_its_name(tmp_path, rules):
    _land(tmp_path, "nul.csv", 'Id,LastName,Email,No\x00te\n"P1","Li","li@example.com","vip"\n')
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert result.files["status"].tolist() == ["read"]
    assert json.loads(result.raw.to_pylist()[0]["extra"]) == {"Note": "vip"}


def test_a_workbook_with_a_stray_cell_far_from_its_data_is_refused_not_read(tmp_path, rules):
    """Its reader would build one rectangle of every cell up to XFD100000 (1.6 billion) and abort the process;
    the file is refused with where its cells end, and the night's other files are read."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["客户名称", "手机"])
    sheet.append(["王小明", "13800138000"])
    sheet["XFD100000"] = "x"
    folder = tmp_path / "wukong" / NIGHT
    folder.mkdir(parents=True)
    book.save(folder / "far.xlsx")
    _land(tmp_path, "plain.csv", f'{HEADER}\n"P2","Li","li@example.com"\n')
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    files = result.files.set_index("source_file")
    far = files.loc[f"wukong/{NIGHT}/far.xlsx"]
    assert far["status"] == "rejected" and "column 16,384" in far["error"] and "row 100,000" in far["error"]
    assert files.loc[f"salesforce/{NIGHT}/plain.csv", "status"] == "read"
    assert result.raw.num_rows == 1


def test_jsonl_records_with_keys_of_their_own_share_one_column_not_a_column_each(tmp_path):
    """A column per key would make a table of rows x keys cells (15,000 lines of one custom key each: 5.5 GB).
    Beyond MAX_COLUMNS, the keys one record holds go to 'other keys' as JSON; the shared keys keep columns."""
    from pipelines.readers.columnar import MAX_COLUMNS, OTHER_KEYS

    n = 2 * MAX_COLUMNS
    path = tmp_path / "custom.jsonl"
    path.write_text("\n".join(json.dumps({"Record ID": str(i), "Email": f"a{i}@x.com",
                                          "custom": {f"field_{i:x}": f"v{i}"}}) for i in range(n)), encoding="utf-8")
    table = read_file(path, "jsonl")
    assert table.headers == ["Record ID", "Email", OTHER_KEYS]
    assert table.frame.num_rows == n
    assert json.loads(table.frame[OTHER_KEYS][7].as_py()) == {"custom.field_7": "v7"}
    assert any(OTHER_KEYS in note for note in table.notes)


def test_a_mapped_jsonl_key_keeps_its_column_however_rare(tmp_path):
    """Beyond MAX_COLUMNS, a key the source maps (an e-mail one record in a thousand holds) keeps its own column:
    in 'other keys' it was left unmapped and the customer's e-mail lost."""
    from pipelines.readers.columnar import MAX_COLUMNS, OTHER_KEYS

    path = tmp_path / "wide.jsonl"
    path.write_text("\n".join(json.dumps({"customer_id": i, f"k{i}": 1, **({"EMAIL": "a@b.cn"} if i == 0 else {})})
                              for i in range(MAX_COLUMNS + 1)), encoding="utf-8")
    table = read_file(path, "jsonl", expected={"customer_id", "email"})
    assert table.headers == ["customer_id", "EMAIL", OTHER_KEYS]
    assert table.frame["EMAIL"][0].as_py() == "a@b.cn"


def test_jsonl_nan_and_infinity_are_kept_as_written(tmp_path):
    path = tmp_path / "nan.jsonl"
    path.write_text('{"customer_id": "1", "score": NaN, "limit": Infinity, "low": -Infinity}\n', encoding="utf-8")
    frame = read_file(path, "jsonl").frame
    assert [frame[c][0].as_py() for c in ("score", "limit", "low")] == ["NaN", "Infinity", "-Infinity"]


def test_a_compressed_or_parquet_file_named_jsonl_says_what_it_is(tmp_path):
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    zipped = tmp_path / "a.jsonl"
    zipped.write_bytes(gzip.compress(b'{"id": 1}\n'))
    parquet = tmp_path / "b.jsonl"
    pq.write_table(pa.table({"id": [1]}), parquet)
    for path, kind in ((zipped, "gzip"), (parquet, "Parquet")):
        with pytest.raises(FileError, match=f"not a text file: a {kind}"):
            read_file(path, "jsonl")


def test_parquet_float32_values_are_written_as_the_file_holds_them(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "f32.parquet"
    pq.write_table(pa.table({"cust_no": [1, 2, 3], "price": pa.array([0.1, 19.99, None], pa.float32())}), path)
    assert read_file(path, "parquet").frame["price"].to_pylist() == ["0.1", "19.99", None]


def test_a_later_sheet_with_fewer_columns_but_the_required_ones_is_read(tmp_path, rules):
    """A workbook continued on a sheet that holds fewer columns (an export split at Excel's row limit by hand): its
    rows were left out silently when it named less than half the first sheet's mapped columns."""
    base = _land_workbook(tmp_path, {
        "客户": [["客户名称", "手机", "邮箱", "省份", "城市", "区县", "详细地址"],
                ["张三", "13800138000", "z3@example.com", "北京", "北京", "朝阳区", "建国路1号"]],
        "客户 (2)": [["客户名称", "手机"], ["李四", "13900139000"], ["王五", "13700137000"]]})
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    files = result.files.set_index("source_file")
    assert list(files.index) == [f"{base}#客户", f"{base}#客户 (2)"]
    assert files["rows_read"].tolist() == [1, 2]


def test_a_utf8_file_with_as_many_damaged_lines_as_chinese_ones_is_utf8(tmp_path):
    """500 English rows, one Chinese row in UTF-8 and one pasted from a GBK (or Latin-1) file: the file was read
    in the legacy codec whole (张伟 became mojibake in a clean row) or refused with the wrong line named. It is
    UTF-8 with the pasted line reported."""
    head = "Id,FirstName,LastName,Email\n" + "".join(f"003{i:015d},Ann,Lee,a{i}@x.com\n" for i in range(500))
    for pasted in ("003000000000000900,娜,李,l@x.com\n".encode("gbk"),
                   "003000000000000900,José,Muñoz,j@x.com\n".encode("cp1252")):
        path = tmp_path / "mixed.csv"
        path.write_bytes(head.encode() + "003000000000000800,伟,张,z@x.com\n".encode() + pasted)
        table = read_file(path, "csv", expected={"Id", "Email"})
        rows = table.frame.to_pylist()
        assert rows[500]["FirstName"] == "伟" and rows[500]["__error"] is None
        assert rows[501]["__line"] == 503 and "not valid UTF-8 on line 503" in rows[501]["__error"]


def test_a_header_and_rows_differing_by_several_empty_trailing_fields_fit(tmp_path):
    """Excel pads a header with ',,,' where a column below was ever used, or the rows: every row became an error
    ("5 fields where the header has 8") and its values were lost."""
    for text in ("Id,FirstName,LastName,Email,MobilePhone,,,\n003000000000000AAA,Ann,Smith,a@example.com,1\n",
                 "Id,FirstName,LastName,Email,MobilePhone\n003000000000000AAA,Ann,Smith,a@example.com,1,,\n"):
        path = tmp_path / "padded.csv"
        path.write_text(text, encoding="utf-8")
        rows = read_file(path, "csv", expected={"Id", "Email"}).frame.to_pylist()
        assert len(rows) == 1 and rows[0]["__error"] is None and rows[0]["Email"] == "a@example.com"


def test_a_workbook_or_archive_under_a_csv_name_says_what_it_is(tmp_path):
    """Read as text it was refused for a byte with the advice to set an encoding."""
    import gzip

    import pytest

    from pipelines.readers.base import FileError

    for name, data, said in (("book.csv", b"PK\x03\x04" + b"\x00" * 40, "ZIP archive"),
                             ("dump.csv", gzip.compress(b"Id,Email\n1,a@x.com\n"), "gzip")):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(FileError, match=said):
            read_file(path, "csv", expected={"Id", "Email"})


def test_a_few_gbk_rows_with_a_rare_character_are_gbk_not_korean_or_latin1():
    """喆, 堃, 昇, 玥, 翀 are outside GB2312's common rows: one such name beside a common family name was read as
    Korean (넺 珙), Latin-1 or Big5, and stored so in a clean row. Latin-1 text stays Latin-1."""
    for name in ("喆", "堃", "昇", "玥", "翀"):
        data = f"Id,FirstName,LastName,Email\n003000000000001AAA,{name},王,a@x.com\n".encode("gbk")
        assert detect(data) == "gb18030", name
    for text in ("Id,Name\n1,José Muñoz\n2,Ana Pérez\n", "Id,Name\n1,Müller\n2,Søren\n"):
        assert detect(text.encode("cp1252")) == "cp1252"


def test_a_malformed_records_values_are_kept_in_extra_as_read(tmp_path, rules, monkeypatch):
    """A row of the wrong number of fields, a line of broken quoting or a line that is not JSON was quarantined
    with its values lost: only the landed file still held them. Their content as read is in extra."""
    from pipelines.readers import delimited

    lines = ['"P1","Zhang","z@example.com"', '"P2","Li","extra","li@example.com"', '"P3","Wang,w@example.com',
             '"P4","Zhao","zh@example.com"']
    _land(tmp_path, "multi.csv", HEADER + '\n"P5","Line\nbreak","m@example.com"\n' + "\n".join(lines) + "\n")
    _land(tmp_path, "c.jsonl", '{"Record ID": "H1", "Email": "h@example.com"}\n{"Record ID": "H2", "Email": \n',
          source="hubspot_jsonl")
    sources = dict(rules.sources)
    sources["hubspot_jsonl"] = dataclasses.replace(rules.sources["hubspot"], name="hubspot_jsonl", format="jsonl",
                                                   file_pattern=("*.jsonl",), required_columns=[])
    result = ingest_partition(tmp_path, NIGHT, sources)
    assert set(result.files["status"]) == {"read"}, result.files
    rows = {(r["source_file"].split("/")[-1], r["source_line"]): r for r in result.raw.to_pylist()}
    wide, broken = rows[("multi.csv", 5)], rows[("multi.csv", 6)]
    assert wide["parse_error"] == "4 fields where the header has 3"
    assert json.loads(wide["extra"]) == {"(row as read)": ["P2", "Li", "extra", "li@example.com"]}
    assert broken["parse_error"].startswith("broken quoting")
    assert json.loads(broken["extra"]) == {"(row as read)": '"P3","Wang,w@example.com'}
    assert json.loads(rows[("multi.csv", 4)]["extra"]) == {} and rows[("multi.csv", 7)]["email"] == "zh@example.com"
    bad = rows[("c.jsonl", 2)]
    assert bad["parse_error"].startswith("invalid JSON")
    assert json.loads(bad["extra"]) == {"(row as read)": '{"Record ID": "H2", "Email": '}
    # a file of one line per record is read by the line reader (Arrow), its wrong-width rows kept the same way
    path = _land(tmp_path / "one", "lines.csv", HEADER + "\n" + "\n".join(lines[:2] + lines[3:]) + "\n")
    monkeypatch.setattr(delimited, "_exact_read", lambda *a, **k: pytest.fail("read by the csv module"))
    table = read_file(path, "csv", expected={"Id", "Email"}).frame.to_pylist()
    assert [r["__unplaced"] for r in table] == [None, '["P2", "Li", "extra", "li@example.com"]', None]


def test_a_mapped_field_whose_headers_are_all_absent_is_noted_with_the_closest_header(tmp_path, rules):
    """A typo in a mapping (Default Adress City) left the field empty in every row without a word."""
    _land(tmp_path, "c.csv", '"Id","LastName","Email","Mailing City"\n"P1","Li","li@example.com","Paris"\n')
    source = rules.sources["salesforce"]
    columns = {**source.columns, "city": ["Maling City"]}
    result = ingest_partition(tmp_path, NIGHT, {"salesforce": dataclasses.replace(source, columns=columns)})
    notes = result.files["notes"].iloc[0]
    assert "mapped fields with none of their headers in the file, left empty: " in notes
    assert "city (Maling City; closest header: 'Mailing City')" in notes
    assert "email (" not in notes and "family_name (" not in notes and "above the header" not in notes


def test_lines_above_the_header_are_noted(tmp_path, rules):
    """A title and the report's filters above the header were left out without a note (a footer had one)."""
    _land(tmp_path, "c.csv", 'Contacts report\nFilter: all\n"Id","LastName","Email"\n"P1","Li","li@example.com"\n')
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert "lines 1-2 above the header (line 3) not read" in result.files["notes"].iloc[0]
    assert result.raw.to_pylist()[0]["source_line"] == 4


def test_a_header_row_set_on_the_wrong_row_says_so(tmp_path, rules):
    """The message said to set header_row, which was set (to the title's row)."""
    _land(tmp_path, "c.csv", 'Contacts report\n"Id","LastName","Email"\n"P1","Li","li@example.com"\n')
    source = dataclasses.replace(rules.sources["salesforce"], header_row=1)
    result = ingest_partition(tmp_path, NIGHT, {"salesforce": source})
    error = result.files["error"].iloc[0]
    assert error.startswith(f"salesforce/{NIGHT}/c.csv:1: missing required column(s)")
    assert "header_row: 1" in error and "is the header on another row?" in error


def _patch_member(path, member: str, flag: int = 0, method: int | None = None) -> None:
    """Set a flag bit (1: encrypted) or the compression method of one member, in its local and central headers."""
    import struct
    import zipfile

    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as book:
        local = book.getinfo(member).header_offset
    starts = [local] + [i for i in range(len(data)) if data[i:i + 4] == b"PK\x01\x02"
                        and data[i + 46:i + 46 + struct.unpack_from("<H", data, i + 28)[0]] == member.encode()]
    for start in starts:
        at = start + (6 if start == local else 8)
        struct.pack_into("<H", data, at, struct.unpack_from("<H", data, at)[0] | flag)
        if method is not None:
            struct.pack_into("<H", data, at + 2, method)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [dict(flag=1), dict(method=9)])   # password-protected; deflate64
def test_a_workbook_zip_python_cannot_open_is_a_rejected_file_not_a_failed_night(tmp_path, rules, damage):
    base = _land_workbook(tmp_path, {"客户": [["客户名称", "手机"], ["张三", "13800138000"]]})
    _patch_member(tmp_path / base, "xl/worksheets/sheet1.xml", **damage)
    _land(tmp_path, "plain.csv", f'{HEADER}\n"P2","Li","li@example.com"\n')
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    files = result.files.set_index("source_file")
    assert files.loc[f"salesforce/{NIGHT}/plain.csv", "status"] == "read"
    assert files.loc[base, "status"] == "rejected" and base in files.loc[base, "error"], files.loc[base, "error"]


def test_a_placeholder_in_a_fields_first_column_gives_way_to_the_next_column(tmp_path, rules):
    """手机 无 beside 电话 010-62345678, Mobile N/A beside Phone: the number is the phone, not lost in extra."""
    _land(tmp_path, "contacts.csv", '"Id","LastName","MobilePhone","Phone"\n"P1","Lee","N/A","+1 617-555-0199"\n'
                                    '"P2","Wu","-",""\n"P3","Li","138 0013 8000","010-62345678"\n'
                                    '"P4","Ma","无","暂无"\n')
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    rows = {r["source_record_id"]: r for r in result.raw.to_pylist()}
    assert rows["P1"]["phone"] == "+1 617-555-0199" and "Phone" not in json.loads(rows["P1"]["extra"])
    assert rows["P2"]["phone"] == "-"   # placeholders alone: the first as written
    assert rows["P3"]["phone"] == "138 0013 8000" and json.loads(rows["P3"]["extra"])["Phone"] == "010-62345678"
    assert rows["P4"]["phone"] == "无"


def test_a_one_field_line_is_not_taken_for_a_record_id(tmp_path, rules):
    """A lone phone number on a line of its own is a malformed record whose field is kept as read in extra: as
    its record id it was shown unmasked in the steward report."""
    _land(tmp_path, "short.csv", f'{HEADER}\n"P1","Li","li@example.com"\n"13987654321"\n"P3","Wu","wu@example.com"\n')
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    rows = {r["source_line"]: r for r in result.raw.to_pylist()}
    assert rows[3]["source_record_id"] is None and rows[3]["parse_error"].startswith("1 fields where")
    assert json.loads(rows[3]["extra"]) == {"(row as read)": ["13987654321"]}
    assert [rows[2]["source_record_id"], rows[4]["source_record_id"]] == ["P1", "P3"]


def test_a_workbook_row_of_full_width_spaces_is_blank_as_one_of_ascii_spaces(tmp_path, rules):
    base = _land_workbook(tmp_path, {"客户": [["客户名称", "手机"], ["张三", "13800138000"], ["   ", None],
                                             ["\u3000\u3000", None], ["李四", "13900139000"]]})
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert [(r["source_line"], r["full_name"]) for r in result.raw.to_pylist()] == [(2, "张三"), (5, "李四")]
    assert result.files.set_index("source_file").loc[base, "rows_read"] == 2


def test_a_repeated_mapped_header_is_the_fields_next_column(tmp_path, rules):
    """Two Email columns, the first empty: the second's value is the e-mail, not only an extra."""
    _land(tmp_path, "dup.csv", '"Id","LastName","Email","Email"\n"P1","Li","","second@example.org"\n'
                               '"P2","Wu","first@example.org","other@example.org"\n')
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    rows = {r["source_record_id"]: r for r in result.raw.to_pylist()}
    assert rows["P1"]["email"] == "second@example.org" and json.loads(rows["P1"]["extra"]) == {}
    assert rows["P2"]["email"] == "first@example.org"
    assert json.loads(rows["P2"]["extra"]) == {"Email__2": "other@example.org"}


def test_a_json_file_of_one_array_is_read_element_by_element_on_their_lines(tmp_path):
    """A .json export (an API dump) is one array: each object is a record, its line the one it starts on; a
    broken element is one malformed record, not half the file silently, nor every element after it (they were
    one malformed record, cut at 64 KB): reading goes on at the next element starting a line as the others do.
    Past a broken element with no such line after it (one array on one line), the rest is one malformed record."""
    path = tmp_path / "contacts.json"
    path.write_text('[\n  {"id": "j1", "name": "Li"},\n  {"id": "j2",\n   "name": "Wu"},\n'
                    '  {"id": "j3", "name": broken,\n   "address": {"city": "Xi\'an"}},\n  {"id": "j4"},\n'
                    '  {"id": "j5", "name": "Zhao"}\n]\n', encoding="utf-8")
    table = read_file(path, "auto", expected={"id"})
    frame = table.frame.to_pandas()
    assert frame[LINE].tolist() == [2, 3, 5, 7, 8] and frame["id"].tolist() == ["j1", "j2", None, "j4", "j5"]
    assert frame["__error"].isna().tolist() == [True, True, False, True, True]
    assert "j3" in frame["__unplaced"].iloc[2] and "j4" not in frame["__unplaced"].iloc[2]   # kept as read
    path.write_text('[{"id": "j1"}, {"id": "j2", broken}, {"id": "j3"}]', encoding="utf-8")
    frame = read_file(path, "auto", expected={"id"}).frame.to_pandas()
    assert frame[LINE].tolist() == [1, 1] and "j3" in frame["__unplaced"].iloc[1]


def test_a_row_merged_across_every_column_is_a_section_heading_not_a_customer(tmp_path, rules):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    for row in [["客户名称", "手机", "邮箱"], ["华南区", None, None], ["张三", "13800138000", "z3@example.com"],
                ["华北区", None, None], ["李四", "13900139000", None], ["王五", "13700137000", None]]:
        ws.append(row)
    ws.merge_cells("A2:C2")
    ws.merge_cells("A4:C4")
    ws.merge_cells("B5:B6")   # a value over two customers' rows stays each row's
    folder = tmp_path / "wukong" / NIGHT
    folder.mkdir(parents=True)
    wb.save(folder / "客户.xlsx")
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert [(r["source_line"], r["full_name"], r["phone"]) for r in result.raw.to_pylist()] == [
        (3, "张三", "13800138000"), (5, "李四", "13900139000"), (6, "王五", "13900139000")]
    assert "row(s) 2, 4 not read" in result.files["notes"].iloc[0]


def test_a_section_heading_is_no_customer_when_the_used_range_is_wider_than_the_table(tmp_path, rules):
    """A note beside the title (导出人 in column G) widened every row past the table: a heading merged across the
    table's five columns was read as a customer named 华南区."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["客户列表", None, None, None, None, None, "导出人: admin"])
    ws.append(["客户名称", "手机", "邮箱", "详细地址", "创建时间"])
    ws.append(["华南区"])
    ws.append(["张三", "13911452876", "z3@qq.com", "深圳市南山区科技园", "2025-01-01 10:00:00"])
    ws.merge_cells("A3:E3")
    folder = tmp_path / "wukong" / NIGHT
    folder.mkdir(parents=True)
    wb.save(folder / "客户.xlsx")
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert [(r["source_line"], r["full_name"]) for r in result.raw.to_pylist()] == [(4, "张三")]
    assert "row(s) 3 not read" in result.files["notes"].iloc[0]


def test_a_parquet_file_with_a_column_named_twice_is_rejected_naming_it(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "dup.parquet"
    pq.write_table(pa.table([pa.array(["a"]), pa.array(["b"])], names=["name", "name"]), path)
    with pytest.raises(FileError, match=r"named twice \(name\)"):
        read_file(path, "parquet")


def test_an_ascii_file_with_a_line_of_stray_bytes_is_not_decoded_as_an_odd_codec(tmp_path, rules):
    """The detector fits six stray bytes to cp1125 (Ukrainian DOS): the file is read as UTF-8 and only that line
    is a malformed record, not every name decoded as Cyrillic."""
    _land(tmp_path, "contacts.csv", b'"Id","LastName","Email"\n"P1","Li","li@example.com"\n'
                                    b'"P2","Z\x81\x8d\x8f\x90\x9d\xff","z@example.com"\n"P3","Wu","wu@example.com"\n')
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    rows = {r["source_line"]: r for r in result.raw.to_pylist()}
    assert rows[2]["parse_error"] is None and rows[4]["family_name"] == "Wu"
    assert rows[3]["parse_error"] is not None


@pytest.mark.parametrize("name, body", [
    ("nul.csv", f'{HEADER}\n"P1","A\x00nn","a@example.com"\n"P2","Li","li@example.com"\n'),
    ("nul_multiline.csv", f'{HEADER}\n"P1","A\x00nn\nLee","a@example.com"\n"P2","Li","li@example.com"\n'),
    ("nul.jsonl", '{"Id": "P1", "LastName": "A\\u0000nn", "Email": "a@example.com"}\n'
                  '{"Id": "P2", "LastName": "Li", "Email": "li@example.com"}\n'),
])
def test_a_record_holding_a_zero_byte_is_an_error_row_naming_its_line(tmp_path, name, body):
    """A NUL read as a space changed the name silently (A nn): the record is damaged, and says so."""
    raw = read_file(_land(tmp_path, name, body), "auto")
    rows = raw.frame.to_pylist()
    assert [r[LINE] for r in rows] == ([2, 4] if "multiline" in name else [1, 2] if name.endswith("jsonl") else [2, 3])
    assert "NUL character" in rows[0]["__error"] and f"line {rows[0][LINE]}" in rows[0]["__error"]
    assert rows[0]["LastName"] is None and rows[1]["LastName"] == "Li" and rows[1]["__error"] is None


def test_random_bytes_under_a_csv_name_are_not_text_not_an_encoding_to_set(tmp_path):
    import random

    junk = random.Random(5).randbytes(5000)
    with pytest.raises(FileError, match="not a text file: binary data"):
        read_file(_land(tmp_path, "junk.csv", junk), "csv")
    # a GBK file of the wrong declared codec still gets the advice to set the encoding
    with pytest.raises(FileError, match="set the source's encoding"):
        read_file(_land(tmp_path, "gbk.csv", f"{HEADER}\n\"P1\",\"张三\",\"a@example.com\"\n".encode("gbk")), "csv",
                  encoding="utf-8")


@pytest.mark.parametrize("ends", ["\n", "\r\n"])
def test_a_lone_cr_inside_a_cell_is_no_line_break_in_a_file_of_lf_lines(tmp_path, ends):
    """grep, editors and spreadsheets count a file's lines at LF: a CR typed inside a quoted cell (a Mac line
    break) numbered every record after it a line too far. A file without any LF still ends its lines at CR."""
    rows = [HEADER, '"P1","Li","li@example.com"', '"P2","Carl\rReturn","\rfoo@example.com"',
            '"P3","Wang","w@example.com"', '"P4","Zhao","z@example.com"']
    raw = read_file(_land(tmp_path, "cr.csv", ends.join(rows) + ends), "csv")
    assert raw.frame[LINE].to_pylist() == [2, 3, 4, 5]
    assert raw.frame["LastName"].to_pylist()[1] == "Carl\rReturn"
    old_mac = read_file(_land(tmp_path, "mac.csv", "\r".join(rows[:2] + rows[3:]) + "\r"), "csv")
    assert old_mac.frame[LINE].to_pylist() == [2, 3, 4]


def test_a_damaged_line_after_a_lone_cr_is_named_as_editors_number_it(tmp_path):
    body = (HEADER + '\n"P1","Carl\rReturn","c@example.com"\n"P2","Li","li@example.com"\n').encode("utf-8") + \
        b'"P3","\xff\xfe","x@example.com"\n"P4","\xe5\xbc\xa0","z@example.com"\n'
    raw = read_file(_land(tmp_path, "damaged.csv", body), "csv")
    lines = raw.frame[LINE].to_pylist()
    errors = dict(zip(lines, raw.frame["__error"].to_pylist()))
    assert lines == [2, 3, 4, 5] and "on line 4" in errors[4] and errors[5] is None


def test_parquet_binary_bytes_that_decode_with_control_characters_are_hex_not_a_damaged_record(tmp_path):
    """An IP address kept as bytes (10.0.0.1 is \\n\\0\\0\\1) decodes as UTF-8 with a NUL in it: the record read as
    damaged and was quarantined. Bytes of text stay text."""
    import ipaddress

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "logins.parquet"
    ips = [ipaddress.ip_address(i).packed for i in ["10.0.0.1", "192.168.1.20", "10.1.2.3"]] + ["王小明".encode()]
    pq.write_table(pa.table({"id": ["i1", "i2", "i3", "i4"], "last_login_ip": pa.array(ips, pa.binary())}), path)
    table = read_file(path, "parquet").frame
    assert table["last_login_ip"].to_pylist() == ["0a000001", "c0a80114", "0a010203", "王小明"]
    assert table[ERROR].to_pylist() == [None] * 4


def test_a_workbook_formatted_far_below_its_data_is_read(tmp_path, rules):
    """A border drawn down to row 1,048,576 (a cell formatted, holding nothing) made the sheet span 27 million cells
    and the file was refused; its reader skips such cells."""
    from openpyxl import Workbook
    from openpyxl.styles import Border, Side

    book = Workbook()
    sheet = book.active
    sheet.append(["客户名称", "手机", "邮箱", "创建时间"])
    sheet.append(["王小明", "13911452876", "wxm@qq.com", "2025-01-01 10:00:00"])
    sheet.cell(row=1048576, column=1).border = Border(bottom=Side(style="thin"))
    sheet.cell(row=1, column=16384).border = Border(bottom=Side(style="thin"))
    folder = tmp_path / "wukong" / NIGHT
    folder.mkdir(parents=True)
    book.save(folder / "客户.xlsx")
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert result.files["status"].tolist() == ["read"], result.files["error"].tolist()
    assert [r["full_name"] for r in result.raw.to_pylist()] == ["王小明"]


def test_numbers_formatted_with_leading_zeros_are_read_as_shown(tmp_path):
    """Excel's Zip Code format shows 2134 as 02134 (a US ZIP code, a 邮编 formatted 000000): the number alone lost
    the zero a steward sees and a postcode compares on. Other number cells stay as they are."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Contact ID", "Last Name", "Mailing Zip/Postal Code", "Phone"])
    sheet.append(["0035g00000A1b2c", "Doe", 2134, 4155552671])
    sheet.append(["0035g00000A1b2d", "Lee", 98101, 4155552672])
    sheet.append(["0035g00000A1b2e", "Wu", "02139", None])
    for row in (2, 3):
        sheet.cell(row=row, column=3).number_format = "00000"
    path = tmp_path / "report.xlsx"
    book.save(path)
    frame = read_file(path, "xlsx", expected={"Contact ID"}).frame
    assert frame["Mailing Zip/Postal Code"].to_pylist() == ["02134", "98101", "02139"]
    assert frame["Phone"].to_pylist() == ["4155552671", "4155552672", None]


@pytest.mark.parametrize("layout", ["group above", "name merged down only"])
def test_a_header_written_over_two_rows_names_each_column_by_its_lowest_cell(tmp_path, rules, layout):
    """联系方式 merged across 邮箱 and 详细地址, the other headers merged down over both rows: the e-mail and street
    went to extra under 联系方式 / column_4, and the second header row was read as a customer."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if layout == "group above":
        sheet.append(["客户名称", "手机", "联系方式", None, "创建时间"])
        sheet.append([None, None, "邮箱", "详细地址", None])
        for cells in ("A1:A2", "B1:B2", "C1:D1", "E1:E2"):
            sheet.merge_cells(cells)
    else:   # only 客户名称 merged down; the others on the second row (the header found there)
        sheet.append(["客户名称", None, None, None, None])
        sheet.append([None, "手机", "邮箱", "详细地址", "创建时间"])
        sheet.merge_cells("A1:A2")
    sheet.append(["王伟", "13911452876", "ww@qq.com", "南山区科技园1号", "2025-01-01 10:00:00"])
    folder = tmp_path / "wukong" / NIGHT
    folder.mkdir(parents=True)
    book.save(folder / "客户.xlsx")
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert result.files["status"].tolist() == ["read"], result.files["error"].tolist()
    rows = result.raw.to_pylist()
    assert [(r["source_line"], r["full_name"], r["email"], r["street"]) for r in rows] == [
        (3, "王伟", "ww@qq.com", "南山区科技园1号")]
    assert "header written over rows 1-2" in result.files["notes"].iloc[0]


def test_a_header_cell_merged_across_over_a_record_is_still_one_header_row(tmp_path, rules):
    """地址 merged over two columns, the records below filling them: the first record is no second header row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["客户名称", "手机", "地址", None, "创建时间"])
    sheet.merge_cells("C1:D1")
    sheet.append(["王伟", "13911452876", "广东省深圳市", "南山区科技园1号", "2025-01-01 10:00:00"])
    sheet.append(["李娜", "13911452877", "北京市", "朝阳区建国路88号", "2025-01-02 10:00:00"])
    folder = tmp_path / "wukong" / NIGHT
    folder.mkdir(parents=True)
    book.save(folder / "客户.xlsx")
    result = ingest_partition(tmp_path, NIGHT, rules.sources)
    assert [(r["source_line"], r["full_name"]) for r in result.raw.to_pylist()] == [(2, "王伟"), (3, "李娜")]
    assert "header written over" not in result.files["notes"].iloc[0]


@pytest.mark.parametrize("rows", [1, 3, 300])
def test_a_korean_cp949_export_is_read_as_korean_not_as_chinese(tmp_path, rows):
    """Hangul's cp949 bytes (0xB0-0xC8 pairs) are also common GB2312 characters: a Korean export was read as
    GB18030, every name and address gibberish Chinese. A Chinese GBK export of the same shape stays GB18030."""
    people = [("김민수", "서울특별시 강남구 테헤란로 123"), ("이영희", "부산광역시 해운대구 우동"),
              ("박지성", "대구광역시 중구 동성로")]
    chinese = [("王小明", "北京市朝阳区建国路88号"), ("李娜", "上海市浦东新区张江路"), ("张伟", "广州市天河区体育西路")]
    for codec, rows_of in (("cp949", people), ("gbk", chinese)):
        text = "Id,Name,Address\n" + "".join(f"{i},{rows_of[i % 3][0]},{rows_of[i % 3][1]}\n" for i in range(rows))
        table = read_file(_land(tmp_path, f"{codec}.csv", text.encode(codec)), "csv", expected={"Id"})
        assert f"encoding {'cp949' if codec == 'cp949' else 'gb18030'}" in table.notes[0]
        assert table.frame["Name"].to_pylist() == [rows_of[i % 3][0] for i in range(rows)]
