"""Steward decisions: overrides in the golden columns' standard forms, and a file spreadsheets open safely."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines.matching.decisions import Decisions, load_decisions, override_text, record_decision, typed_override
from pipelines.matching.master import _salesforce_ids
from pipelines.rules import RulesError


@pytest.mark.parametrize("field_name, value, typed", [
    ("phone", "+86 138-0013-8000", "+8613800138000"),
    ("phone", "＋１ (617) 555 0101", "+16175550101"),
    ("phone", "+86 755-2688 8888 ext. 8001", "+8675526888888 ext. 8001"),
    ("email", " ＺＳ＠QQ.com ", "zs@qq.com"),
    ("gender", "f", "F"),
    ("country", "cn", "CN"),
    ("birth_date", "1990-02-03", dt.date(1990, 2, 3)),
    ("email_opt_out", "TRUE", True),
    ("company", "  Acme   Ltd ", "Acme Ltd"),
])
def test_an_override_takes_the_form_the_golden_record_holds(field_name, value, typed, tmp_path):
    assert typed_override(tmp_path / "d.csv", 2, field_name, value) == typed
    # written as text and read back, it is the same value
    assert typed_override(tmp_path / "d.csv", 2, field_name, override_text(typed)) == typed


@pytest.mark.parametrize("value", ["+86 755-2688 8888 转 8001", "+86 755 2688 8888 分机8001", "+86-755-26888888-8001",
                                   "+86 (755) 2688 8888 x8001", "+86 755 2688 8888 ext: 8001"])
def test_a_phone_override_reads_its_extension_as_the_nightly_standardisation_does(value, tmp_path):
    """转 and 分机 (the rules' extension markers), a CN landline's second dash, x and ext: all give the extension."""
    from pipelines.rules import load_standardization
    from tests.conftest import REPO

    markers = load_standardization(REPO / "rules").phone_extension_markers
    assert typed_override(tmp_path / "d.csv", 2, "phone", value, markers) == "+8675526888888 ext. 8001"
    path = tmp_path / "decisions.csv"
    path.write_text(f"decision,master_id,field,value\noverride,CM-1,phone,{value}\n", encoding="utf-8")
    assert load_decisions(path, markers).overrides == [("CM-1", "phone", "+8675526888888 ext. 8001")]


@pytest.mark.parametrize("field_name, value", [
    ("phone", "138 1234 5678"),   # no country code: which country's number is it?
    ("phone", "0755-26888888-8001"),
    ("phone", "12345"),
    ("email", "not an address"),
    ("gender", "male"),
    ("country", "China"),
    ("birth_date", "03/02/1990"),
])
def test_an_override_without_a_standard_form_is_refused_naming_file_and_line(field_name, value, tmp_path):
    with pytest.raises(RulesError, match=r"d\.csv:7: " + field_name):
        typed_override(tmp_path / "d.csv", 7, field_name, value)


def test_a_value_that_reads_as_a_formula_is_quoted_in_the_file_and_read_back_as_written(tmp_path):
    path = tmp_path / "decisions.csv"
    record_decision(path, "override", master_id="CM-1", field_name="company", value='=HYPERLINK("http://x","y")',
                    decided_by="@steward", note="+1 call back")
    text = path.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'@steward" in text and "'+1 call back" in text
    assert load_decisions(path).overrides == [("CM-1", "company", '=HYPERLINK("http://x","y")')]
    # a steward's own value that starts with a quote keeps it
    record_decision(path, "override", master_id="CM-2", field_name="company", value="'Quoted' Ltd")
    assert load_decisions(path).overrides[1] == ("CM-2", "company", "'Quoted' Ltd")


def test_fifteen_character_salesforce_ids_in_decisions_name_the_18_character_records():
    con = duckdb.connect()
    decisions = Decisions(must_link=[("salesforce:0035g00000A1b2c", "hubspot:0035g00000A1b2c")],
                          cannot_link=[("salesforce:0035g00000A1b2cAAB", "salesforce:003000000000001")])
    out = _salesforce_ids(con, decisions, frozenset({"salesforce"}))
    # the same 18-character form ingest gives (tests/unit/readers/test_export_layouts.py), other sources as named
    assert out.must_link == [("salesforce:0035g00000A1b2cAAB", "hubspot:0035g00000A1b2c")]
    assert out.cannot_link == [("salesforce:0035g00000A1b2cAAB", "salesforce:003000000000001AAA")]
    assert _salesforce_ids(con, decisions, frozenset()) == decisions


def test_a_decisions_file_saved_by_excel_is_read_or_named_with_its_line(tmp_path):
    """Excel's "CSV UTF-8" starts the file with a byte-order mark: read as any other. Its plain CSV on Chinese
    Windows is GBK: an error naming the line, not a crash. An error names the line a decision starts on, however
    many lines its note spans."""
    header = "decision,record_a,record_b,master_id,field,value,decided_by,decided_at,note\r\n"
    path = tmp_path / "decisions.csv"
    path.write_bytes(("\ufeff" + header + "cannot_link,salesforce:003A,hubspot:51,,,,steward,,x\r\n").encode("utf-8"))
    assert load_decisions(path).cannot_link == [("salesforce:003A", "hubspot:51")]
    path.write_bytes((header + "cannot_link,salesforce:003A,hubspot:51,,,,张三,,不同的人\r\n").encode("gbk"))
    with pytest.raises(RulesError, match=r"decisions\.csv:2: not UTF-8 text \(byte 0xd5\)"):
        load_decisions(path)
    path.write_text(header + "\r\ncannot_link,salesforce:003A,hubspot:51,,,,s,,ok\r\n"
                    'must_link,salesforce:003B,,,,,s,,"a note\r\nover\r\nthree lines"\r\n', encoding="utf-8")
    with pytest.raises(RulesError, match=r"decisions\.csv:4: must_link needs record_a and record_b"):
        load_decisions(path)
