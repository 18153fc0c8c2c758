"""Masking of personal values and neutralising of spreadsheet formulas, value by value."""
import pytest

from pipelines.reporting.mask import csv_safe, mask_email, mask_field, mask_name, mask_phone


@pytest.mark.parametrize("value, masked", [
    ("+8613812348000", "138****8000"),
    ("13812348000", "138****8000"),
    ("１３８１２３４８０００", "138****8000"),         # full-width digits
    ("+14152463733", "******3733"),
    ("12345", "*****"),
    ("6688 1234", "****1234"),                        # a short number: never more than half its digits shown
    ("1234567", "****567"),
    ("<script>", "***"),                              # no digit of it survives, no markup either
    ("1" * 1_000_000, "111" + "*" * 12 + "…1111"),     # a pasted megabyte is a short mask
    (None, None),
])
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize("value, masked", [
    ("john@example.com", "j***@example.com"),
    ("lina598@", "l***@"),
    ("no-at-sign", "n***"),
    ("@example.com", "@***"),
    # free text after the '@' is no domain: shown, it would carry a phone and a name in clear
    ("zhang.san@qq.com / 张三 13812345678", "z***@q***"),
    ("x@y](http://evil.example/phish)", "x***@y***"),
    ("zhangsan@qq.com张三13812345678", "z***@q***"),
    ("li@例子.中国", "l***@例子.中国"),
    ("a@mail.example.co.uk", "a***@mail.example.co.uk"),
])
def test_mask_email(value, masked):
    assert mask_email(value) == masked


@pytest.mark.parametrize("value, masked", [
    ("张三", "张*"),
    ("欧阳娜娜", "欧***"),
    ("平 周", "平*"),
    ("John Smith", "J*** S***"),
    ("<script>alert(1)</script>", "<***"),
    ("王" * 100_000, "王" + "*" * 12 + "…"),
    ("a " * 100_000, " ".join(["a***"] * 12) + " …"),
])
def test_mask_name(value, masked):
    assert mask_name(value) == masked


def test_mask_field_keeps_codes_and_masks_the_rest():
    assert mask_field("gender", "F") == "F"
    assert mask_field("birth_date", "1974-09-04") == "1***"
    assert mask_field("street", "建国路88号") == "建***"
    assert mask_field("email", "ann@example.com") == "a***@example.com"


@pytest.mark.parametrize("value, cell", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+1 555", "'+1 555"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("ok=1", "ok=1"),
    (None, ""),
    (42, "42"),
])
def test_csv_safe(value, cell):
    assert csv_safe(value) == cell


def test_the_dagster_preview_shows_values_as_literal_markdown():
    from pipelines.reporting.report import preview

    rules = [{"rule": "invalid_email", "failures": 1,
              "examples": [{"name": "[U*** S***", "phone": "617***0101", "email": "x***@y](http://evil.example/x)"}]}]
    text = preview([], rules)
    row = text.splitlines()[2]
    assert "](" not in row.replace("\\](", "") and "\\[U\\*\\*\\*" in row and row.count(" | ") == 2


@pytest.mark.parametrize("field, value, shown", [
    ("city", "北京市", "北京市"), ("gender", "Female", "Female"),
    ("gender", "Zebedee\u202eyelxuuQ", "ZebedeeyelxuuQ"),          # no right-to-left override reaches the page
    ("city", "13800138000", "1***"), ("gender", "li@example.com", "l***"),   # columns shifted: personal text
    ("province", "Z" * 41, "Z***"),
    ("source_record_id", "0031234567", "0031234567"),               # the id a steward finds the record by
    ("created_at", "2024-03-05 10:20:30.123456", "2024-03-05 10:20:30.123456"),   # a timestamp is no number
])
def test_plain_fields_show_codes_and_places_not_personal_text(field, value, shown):
    assert mask_field(field, value) == shown


def test_numbers_written_with_separators_in_place_columns_are_masked():
    """A phone typed into a gender or country column (138 1234 5678, +1 (415) 555-0123) was shown as written."""
    from pipelines.reporting.mask import mask_field

    for field, value in (("gender", "138 1234 5678"), ("gender", "+1 (415) 555-0123"), ("country", "139-8765-4321")):
        assert mask_field(field, value).endswith("***"), value
    assert mask_field("country", "2024") == "2024" and mask_field("province", "北京市") == "北京市"


def test_the_dagster_preview_masks_place_text_like_the_reports():
    import pandas as pd

    from pipelines.defs.metadata import preview

    frame = pd.DataFrame({"source_system": ["hubspot"], "gender": ["M"], "province": ["zzprov.leak@evil-example.com"],
                          "country": ["137 5555 4433"]})
    shown = preview(frame).value.records[0].data
    assert shown["gender"] == "M" and "evil" not in shown["province"] and "5555" not in shown["country"]


def test_a_mask_shows_a_character_a_reader_sees_not_a_control_or_an_override():
    from pipelines.reporting.mask import mask_email, mask_name, mask_text

    assert mask_text("\x1bevil") == "e***" and mask_text("\u202eabc") == "a***"
    assert mask_email("\u200bjohn@example.com") == "j***@example.com"
    assert mask_name("\u202eJohn Smith") == "J*** S***"
