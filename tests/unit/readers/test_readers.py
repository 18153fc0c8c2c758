import datetime as dt

import pytest
from openpyxl import Workbook

from pipelines.readers import FileError, read_file
from pipelines.readers.base import ERROR, LINE, unique_headers


def test_csv_record_starts_on_its_physical_line(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('Id,Name,Note\n1,Ann,"two\nlines"\n\n2,Bob,x\n3,too,many,fields\n', encoding="utf-8")
    table = read_file(path, "csv")
    assert table.frame[LINE].to_pylist() == [2, 5, 6]  # blank line 4 is not a record
    assert table.frame[ERROR].to_pylist()[:2] == [None, None]
    assert "4 fields where the header has 3" in table.frame[ERROR][2].as_py()


def test_gbk_detected_and_bom_stripped(tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("姓名,手机\n张三,13800138000\n欧阳娜娜,13900139000\n".encode("gbk"))
    table = read_file(gbk, "csv")
    assert table.headers == ["姓名", "手机"]
    assert table.frame["姓名"].to_pylist() == ["张三", "欧阳娜娜"]
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffId;Name\n1;Ann\n".encode("utf-8"))
    assert read_file(bom, "csv").headers == ["Id", "Name"]


def test_declared_encoding_mismatch_names_file_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Id,Name\n1,Ann\n2," + "张三".encode("gbk") + b"\n")
    with pytest.raises(FileError) as err:
        read_file(path, "csv", encoding="utf-8")
    assert err.value.line == 3
    assert "bad.csv:3" in str(err.value)


def test_tab_delimiter_sniffed(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("Id\tName\n1\tAnn\n", encoding="utf-8")
    assert read_file(path, "csv").frame["Name"].to_pylist() == ["Ann"]


def test_xlsx_title_row_excel_row_numbers_and_numbers_as_text(tmp_path):
    path = tmp_path / "k.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["客户信息"])
    ws.append(["客户名称", "手机", "创建时间"])
    ws.append(["张三", 13800138000, dt.datetime(2024, 1, 5, 10, 0)])
    ws.append([None, None, None])
    ws.append(["李四", "1.38001E+10", "2024-01-05"])
    wb.save(path)
    table = read_file(path, "xlsx", expected={"客户名称"})
    assert table.header_line == 2
    assert table.frame[LINE].to_pylist() == [3, 5]
    assert table.frame["手机"].to_pylist() == ["13800138000", "1.38001E+10"]
    assert table.frame["创建时间"][0].as_py() == "2024-01-05 10:00:00"


def test_corrupt_xlsx_is_a_file_error(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(FileError):
        read_file(path, "xlsx")


@pytest.mark.parametrize("content, said", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "a password-protected .xls, a damaged one"),
    # a password-protected XLSX is an OLE file holding the encrypted workbook beside its EncryptionInfo
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptionInfo".encode("utf-16-le"),
     r"password-protected \(encrypted\) workbook"),
    ("<html><body><table><tr><td>客户名称</td></tr></table></body></html>".encode(), "HTML or XML page"),
    (b"not a zip", "corrupt, or not a workbook"),
])
def test_a_file_that_is_no_workbook_says_what_it_looks_like(tmp_path, content, said):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    with pytest.raises(FileError, match=said):
        read_file(path, "xlsx")


def test_a_missing_sheet_or_header_row_names_what_there_is(tmp_path):
    from pipelines.readers.excel import read_workbook

    wb = Workbook()
    wb.active.title = "客户"
    wb.active.append(["客户名称", "手机"])
    wb.active.append(["张三", "13800138000"])
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(FileError, match="no sheet named '客户列表' \\(sheets: 客户\\)"):
        read_workbook(tmp_path / "x.xlsx", "客户列表", None, {"客户名称"})
    with pytest.raises(FileError, match="header_row 40 is below the sheet's last row \\(2\\)"):
        read_workbook(tmp_path / "x.xlsx", 0, 40, {"客户名称"})
    assert read_workbook(tmp_path / "x.xlsx", "客户", None, {"客户名称"}).frame.num_rows == 1


def test_jsonl_lines(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": 1, "name": "Ann"}\n\n{broken\n{"id": 2, "name": "Bob"}\n', encoding="utf-8")
    table = read_file(path, "jsonl")
    assert table.frame[LINE].to_pylist() == [1, 3, 4]
    assert table.frame[ERROR][1].as_py().startswith("invalid JSON")


LINES_CSV = ('Id,Name,Note\n'
             '1,Ann,"a, ""quoted"" note"\n'
             '\n'
             '   \n'
             ',,\n'
             '2,Bob,=HYPERLINK("http://evil.example")\n'
             '3,too,many,fields\n'
             '4,王伟,北京朝阳\n'
             '5,"",""\n'
             '6,short\n'
             '7,Cy,last\n')


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_broken_lines_read_by_arrow_as_the_exact_reader_reads_them(tmp_path, newline):
    """One bad line no longer sends a file of one-line records through Python's csv module: the rows, their
    line numbers and the errors are exactly what the line-by-line reader gives."""
    from pipelines.readers import delimited

    text = LINES_CSV.replace("\n", newline)
    fast = delimited._line_read(text.replace("\r\n", "\n") if newline == "\n" else text, ",", 0,
                                ["Id", "Name", "Note"])
    exact = delimited._exact_read(tmp_path / "x.csv", text, ",", None, {"Id"}, []).frame
    assert fast is not None
    assert fast.to_pylist() == exact.to_pylist()
    assert fast[LINE].to_pylist() == [2, 6, 7, 8, 9, 10, 11]
    path = tmp_path / "lines.csv"
    path.write_bytes(text.encode("utf-8"))
    assert read_file(path, "csv").frame.to_pylist() == exact.to_pylist()


def test_line_reader_on_many_blocks_finds_each_refused_line(tmp_path):
    """Arrow reads a big file in blocks on several threads and does not number the lines it refuses; they are
    found by their text. Equal bad lines in several blocks, blank lines and a bad last line without a line
    break: the rows, line numbers and errors are the exact reader's."""
    import random

    from pipelines.readers import delimited

    rng = random.Random(5)
    lines = ["Id,Name,Note"]
    for i in range(150_000):
        shape = rng.random()
        lines.append("" if shape < 0.001 else "x,too,many,fields" if shape < 0.002 else f"{i},short" if shape < 0.003
                     else f'{i},"王伟 {i % 97}",note {i}')
    lines.append("last,bad")
    text = "\n".join(lines)
    assert len(text.encode()) > 3 * 2**20   # several of Arrow's 1 MiB blocks
    fast = delimited._line_read(text, ",", 0, ["Id", "Name", "Note"])
    exact = delimited._exact_read(tmp_path / "big.csv", text, ",", None, {"Id"}, []).frame
    assert fast is not None
    assert fast.to_pylist() == exact.to_pylist()
    assert sum(e is not None for e in fast[ERROR].to_pylist()) > 100


def test_a_line_that_may_open_a_multiline_value_is_left_to_the_exact_reader():
    from pipelines.readers import delimited

    assert delimited._line_read('Id,Note\n1,"two\nlines"\n2,a,b\n', ",", 0, ["Id", "Note"]) is None
    assert delimited._line_read('Id,Note\n1,"ab"c\n2,a,b\n', ",", 0, ["Id", "Note"]) is None


@pytest.mark.parametrize("delim, newline", [(",", "\n"), (";", "\r\n"), ("\t", "\n"), ("|", "\n"), ("^", "\r\n")])
def test_line_reader_agrees_with_the_exact_reader_on_a_seeded_corpus(tmp_path, delim, newline):
    """Files of one-line records with hostile lines mixed in (blank, short, long, quotes inside and around
    fields, escaped quotes, CJK, formulas, NUL): whenever the line reader answers, it answers what the csv
    module's reader does, line numbers and errors included."""
    import random

    from pipelines.readers import delimited

    rng = random.Random(11)
    cells = ["a", "王伟", "", " ", '"q"', f'"a{delim} b"', '"x""y"', '=HYPERLINK("http://e.x")', 'ab"c', "  ", '""',
             "北京 朝阳", "1.38E+10", "a\x00b", "\u3000"]
    broken = ['"ab"c', '"a" ', '"multi', '"a"""x', '""x', 'ab"c', '"', '"x""', "a\rb"]
    answered = 0
    for case in range(600):
        lines = [delim.join(["Id", "Name", "Note"])]
        for _ in range(rng.randint(1, 12)):
            shape = rng.random()
            if shape < 0.1:
                lines.append(rng.choice(["", "   ", delim * 2, delim.join(['""'] * 3)]))
            else:
                width = 3 if shape < 0.8 else rng.choice([1, 2, 4])
                lines.append(delim.join(rng.choice(broken if rng.random() < 0.03 else cells) for _ in range(width)))
        text = newline.join(lines) + newline
        head = delimited._preamble(text, delim)   # read_csv's way to the line reader
        if not head or not all(row and any(c.strip() for c in row) for row in head):
            continue
        fast = delimited._line_read(text, delim, 0, unique_headers(delimited.fit_width(head[0], head[1:])))
        if fast is None:
            continue
        answered += 1
        exact = delimited._exact_read(tmp_path / f"{case}.csv", text, delim, None, {"Id"}, []).frame
        assert fast.to_pylist() == exact.to_pylist(), text
    assert answered >= 60


@pytest.mark.parametrize("codec, data", [("utf-8-sig", "\ufeffId,名\n1,王\n".encode("utf-8")),
                                         ("utf-8-sig", "Id,名\n".encode("utf-8")),
                                         ("utf-8", "\ufeffId\n".encode("utf-8")), ("ascii", b"Id\n1\n"),
                                         ("gb18030", "Id,名\n1,王\n".encode("gb18030"))])
def test_arrow_gets_the_decoded_text_in_utf8(codec, data):
    from pipelines.readers.delimited import utf8_buffer

    text = data.decode(codec)
    assert utf8_buffer(data, text, codec).to_pybytes() == text.encode("utf-8")


def test_a_formula_without_a_stored_value_makes_its_row_an_error(tmp_path):
    """calamine reads a formula cell that no program computed (openpyxl, some exporters write them so) as empty:
    the value would be lost silently. A formula Excel computed, "" included, is read as its value."""
    import zipfile

    from pipelines.readers.excel import read_workbook

    wb = Workbook()
    wb.active.title = "客户 & 联系人"   # a name XML escapes
    wb.active.append(["客户名称", "手机", "邮箱"])
    wb.active.append(["张三", "13800138000", '=HYPERLINK("mailto:zs@qq.com","zs@qq.com")'])
    wb.active.append(["李四", "13900139000", "ls@qq.com"])
    wb.active.append(["王五", "13700137000", '=IF(TRUE,"","x")'])
    wb.save(tmp_path / "program.xlsx")
    table = read_workbook(tmp_path / "program.xlsx", 0, None, {"客户名称"}).frame
    errors = table["__error"].to_pylist()
    assert errors[0].startswith("cell C2 holds a formula without a stored value") and errors[1] is None
    assert errors[2].startswith("cell C4 holds a formula")
    # the same cells as Excel stores them after computing: a value, or an empty one
    with zipfile.ZipFile(tmp_path / "program.xlsx") as src, zipfile.ZipFile(tmp_path / "saved.xlsx", "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("sheet1.xml"):
                data = data.replace(b"</f><v /></c>", b"</f><v>zs@qq.com</v></c>", 1).replace(b"<v />", b"<v></v>")
            dst.writestr(item, data)
    table = read_workbook(tmp_path / "saved.xlsx", 0, None, {"客户名称"}).frame
    assert table["__error"].to_pylist() == [None, None, None]
    assert table["邮箱"].to_pylist() == ["zs@qq.com", "ls@qq.com", None]


def test_a_small_gbk_file_that_happens_to_be_valid_utf8_is_read_as_gbk():
    """郑伟 in GBK is valid UTF-8 by chance ('ΰ,֣'): a nightly file of a few such rows was read as UTF-8, the
    names garbled, nothing flagged. UTF-8 names of other scripts (Vietnamese ơ ư, pinyin's ǎ) stay UTF-8."""
    from pipelines.readers.encoding import detect

    for given, family in (("伟", "郑"),):
        data = f"Record ID,First Name,Last Name\n7001,{given},{family}\n".encode("gbk")
        data.decode("utf-8")   # valid UTF-8 all the same
        assert detect(data) == "gb18030"
    for text in ("José,Müller,Łódź\n", "Ολγα,Иван\n", "שרה,محمد\n", "Nguyễn Văn\n", "1,Trương,Tâm\n2,Dương,Vân\n",
                 "Zhāng Xiǎo\n"):
        assert detect(text.encode("utf-8")) == "utf-8"


def test_a_row_of_formulas_alone_is_an_error_row_not_lost(tmp_path):
    """calamine reads such a row as empty; it is a row of the export all the same (nothing is lost)."""
    from pipelines.readers.excel import read_workbook

    wb = Workbook()
    wb.active.append(["Record ID", "First Name", "Email"])
    wb.active.append([301, "Ann", "ann@example.com"])
    wb.active.append(["=A2+1", "=B2", "=C2"])
    wb.active.append([None, None, '=CONCATENATE("x","@example.com")'])
    wb.save(tmp_path / "f.xlsx")
    table = read_workbook(tmp_path / "f.xlsx", 0, None, {"Record ID"}).frame
    assert table[LINE].to_pylist() == [2, 3, 4]
    errors = table["__error"].to_pylist()
    assert errors[0] is None and errors[1].startswith("cell A3 holds a formula") and errors[2].startswith("cell C4")


def test_an_instructions_sheet_naming_a_column_loses_to_the_sheet_of_records(tmp_path):
    """The header is the row naming the most mapped columns, on the sheet naming the most: an instructions sheet
    ('Email | the contact's e-mail') and an instructions row above the header name one."""
    wb = Workbook()
    wb.active.title = "Instructions"
    wb.active.append(["Column", "Meaning"])
    wb.active.append(["Email", "the contact's e-mail"])
    data = wb.create_sheet("Contacts")
    data.append(["Email: the contact's e-mail address, one per row"])
    data.append(["Email"])
    data.append(["Record ID", "First Name", "Email"])
    data.append([301, "Ann", "ann@example.com"])
    wb.save(tmp_path / "h.xlsx")
    table = read_file(tmp_path / "h.xlsx", "xlsx", expected={"Record ID", "First Name", "Email"})
    assert table.header_line == 3 and table.frame["First Name"].to_pylist() == ["Ann"]
    assert table.frame[LINE].to_pylist() == [4]
    assert table.notes[0].startswith("sheet Contacts")


def test_cells_merged_over_several_customers_rows_are_read_in_each_row(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["客户信息"])
    ws.merge_cells("A1:C1")   # the title: left alone
    ws.append(["客户名称", "省市区", "手机"])
    ws.append(["张三", "北京市海淀区", "13800138000"])
    ws.append(["李四", None, "13900139000"])
    ws.append(["王五", None, "13700137000"])
    ws.merge_cells("B3:B5")
    ws.append(["赵六", "1 Main St", None, None])
    ws.merge_cells("B6:D6")   # one address over three columns: a value of the first, not of each
    wb.save(tmp_path / "m.xlsx")
    table = read_file(tmp_path / "m.xlsx", "xlsx", expected={"客户名称", "省市区"})
    assert table.header_line == 2 and table.frame["省市区"].to_pylist() == ["北京市海淀区"] * 3 + ["1 Main St"]
    assert table.frame["手机"].to_pylist() == ["13800138000", "13900139000", "13700137000", None]
    assert "2 merged cell range(s) below the header" in "; ".join(table.notes)
