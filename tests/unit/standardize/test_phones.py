import pandas as pd
import pytest

from pipelines.standardize.phones import standardize_phone, standardize_phones


@pytest.mark.parametrize("raw, region, expected, issue", [
    ("138 0013 8000", "CN", "+8613800138000", None),
    ("+86-138-0013-8000", "CN", "+8613800138000", None),
    ("１３８００１３８０００", "CN", "+8613800138000", None),  # full-width digits
    ("13800138000.0", "CN", "+8613800138000", None),        # Excel float
    ("1.3800138000E+10", "CN", "+8613800138000", None),     # Excel scientific notation, every digit present
    ("1.38001E+10", "CN", None, "excel_truncated"),          # digits lost: never guessed
    ("1.38001380011E+10", "CN", None, "invalid"),            # 13800138001.1: no phone number, not cut to one
    ("1.380013800100E+10", "CN", "+8613800138001", None),    # zeros after the point change nothing
    ("008613800138000", "CN", "+8613800138000", None),
    ("8613800138000", "CN", "+8613800138000", None),         # lost '+'
    ("010-88888888", "CN", "+861088888888", None),
    ("(415) 555-2671", "US", "+14155552671", None),
    ("1-415-555-2671", "US", "+14155552671", None),
    ("7911 123456", "GB", "+447911123456", None),            # lost trunk 0
    ("6462675097", "CN", None, "invalid"),                  # 10 digits: not read as +64 (a lost '+' needs 11+)
    ("12345", "CN", None, "invalid"),
    ("call me", "CN", None, "unparseable"),
    ("138OO138OOO", "CN", "+8613800138000", None),         # letter O typed for zero: not keypad 6 (+86 138 6613 8666)
    ("400-8oo-1234", "CN", "+864008001234", None),
    ("13800138000 (o)", "CN", "+8613800138000", None),      # an o standing alone is a note (office), no zero
    ("1-800-FLOWERS", "US", "+18003569377", None),           # a vanity number spells words: keypad letters
    ("12345678901", "CN", None, "invalid"),                 # a CN placeholder, not +1 234 567 8901
    ("128 1234 5678", "CN", None, "invalid"),               # a mistyped CN mobile, not +1 281 234 5678
])
def test_standardize_phone(raw, region, expected, issue):
    phone, valid, _type, _extension, got_issue = standardize_phone((raw, region))
    assert phone == expected
    assert valid is (expected is not None)
    assert got_issue == issue


def test_one_call_per_distinct_value_and_nulls_kept():
    raw = pd.Series(["138 0013 8000", "138-0013-8000", None, "1.38001E+10"])
    out = standardize_phones(raw, pd.Series(["CN"] * 4))
    assert out["phone"].tolist() == ["+8613800138000", "+8613800138000", None, None]
    assert out["phone_valid"].tolist() == [True, True, False, False]
    assert out.loc[0, "phone_type"] == "mobile"


@pytest.mark.parametrize("raw, region", [
    ("+86 138 0013 8000", "CN"), ("0086-138-0013-8000", "CN"), ("13800138000", "CN"), ("(415) 555-2671", "US"),
    ("1-415-555-2671", "US"), ("011 44 20 7946 0958", "US"), ("00 44 20 7946 0958", "GB"), ("7911 123456", "GB"),
    ("1.38001E+10", "CN"), ("12345", "US"),
    ("14155552671", "CN"),          # NANPA-shaped in a CN row: read in CN, keyed +86
    ("+0044 7911 123456", "GB"),    # '+00…' read through the region's IDD
    ("+00657322", "IT"), ("13812345678", "CN"), ("000612345678", "FR"),
])
def test_canonical_keys_give_the_same_answer_as_the_value_itself(raw, region):
    direct = standardize_phone((raw, region))
    via_keys = standardize_phones(pd.Series([raw]), pd.Series([region])).iloc[0].tolist()
    assert via_keys == list(direct)


def test_chinese_extension_words_keep_the_number(rules):
    markers = rules.standardization.phone_extension_markers
    raw = pd.Series(["138-0013-8000 转 123", "010-65529988分机8", "(010) 6552 9988 轉 12", "转"])
    out = standardize_phones(raw, pd.Series(["CN"] * 4), None, markers)
    assert out["phone"].tolist() == ["+8613800138000", "+861065529988", "+861065529988", None]
    assert out["phone_extension"].tolist() == ["123", "8", "12", None]
    # without the markers the word is a note after the number: the number is read, its extension lost
    assert standardize_phones(raw[:1], pd.Series(["CN"]))["phone"].tolist() == ["+8613800138000"]


def test_canonical_keys_agree_with_the_value_itself_on_a_seeded_corpus():
    """Spellings the exports produce, combined at random (seeded): the canonical keys never change the answer."""
    import random

    from pipelines.standardize.phones import first_number

    rng = random.Random(7)
    numbers = ["13800138000", "4155552671", "2079460958", "7911123456", "1088888888", "6462675097", "12345",
               "85212345678", "0612345678", "13912345678", "19912345678", "212555123", "8613800138000"]
    shapes = ["{n}", "+{n}", "00{n}", "011{n}", "0{n}", "1{n}", "{n}.0", "{n}.00", "+86 {n}", "+1-{n}",
              "({a}) {b}", "{a}-{b}", "{a} {b}", "{a}.{b}", "{a}/{b}", "１{n}", "{n} ext. 12", "tel {n}", "{a}·{b}",
              "00", "+", "0", " {n} ", "{n}\u200b"]
    regions = ["CN", "US", "GB", "CA", "HK", "FR", "DE", None, "ZZ"]
    raws, regs = [], []
    for _ in range(1500):
        n = rng.choice(numbers)
        cut = rng.randint(1, len(n) - 1)
        raws.append(rng.choice(shapes).format(n=n, a=n[:cut], b=n[cut:]))
        regs.append(rng.choice(regions))
    got = standardize_phones(pd.Series(raws), pd.Series(regs, dtype=object))
    cells = first_number(pd.Series(raws)).tolist()   # the cell's number, as standardize_phones reads it
    for i, (raw, region) in enumerate(zip(cells, regs)):
        assert got.iloc[i].tolist() == list(standardize_phone((raw, region))), (raw, region)


def test_a_cell_with_more_than_a_number_gives_its_first_number():
    """Lists of numbers, notes and labels in one cell (13800138000/13900139000, 13800138000(微信), 电话:… 手机:…)
    and a CN landline's extension after a second dash; a number's own extension and Excel's damage are left
    to the rest of the reading."""
    import pandas as pd

    from pipelines.standardize.phones import standardize_phones

    cells = ["13800138000/13900139000", "13800138000，13900139000", "13800138000(微信)", "138 0013 8000 张先生",
             "电话:010-12345678 手机:13800138000", "0755-26888888-8001", "138-0013-8000 (mobile)",
             "1.38001E+10", "微信同号"]
    out = standardize_phones(pd.Series(cells, dtype=object), pd.Series(["CN"] * len(cells)))
    assert out["phone"].tolist() == ["+8613800138000", "+8613800138000", "+8613800138000", "+8613800138000",
                                     "+861012345678", "+8675526888888", "+8613800138000", None, None]
    assert out["phone_issue"].tolist()[-2:] == ["excel_truncated", "unparseable"]
    us = standardize_phones(pd.Series(["(415) 555-2671 ext 12", "+1 415 555 2671; +1 415 555 2672"]),
                            pd.Series(["US", "US"]))
    assert us["phone"].tolist() == ["+14155552671", "+14155552671"]
    assert us["phone_extension"].tolist() == ["12", None]
    assert out["phone_extension"].tolist()[5] == "8001"   # 0755-26888888-8001


def test_a_number_shown_with_thousands_separators_is_read_as_its_digits():
    """A phone column formatted as a number in a spreadsheet and saved as shown: 13,800,138,001. A list of numbers
    separated by commas is still a list."""
    from pipelines.standardize.phones import several_numbers, standardize_phones

    cells = ["13,800,138,001", " 4,155,552,671 ", "13800138000,13900139000"]
    out = standardize_phones(pd.Series(cells, dtype=object), pd.Series(["CN", "US", "CN"]))
    assert out["phone"].tolist() == ["+8613800138001", "+14155552671", "+8613800138000"]
    assert several_numbers(pd.Series(cells[:3])).tolist() == [False, False, True]


def test_extensions_in_the_spellings_exports_use_are_read_with_their_number():
    """RFC 3966's ';ext=', 'EXT:', 'ext=', '×', a CN landline's dash extension with the area code in brackets, in
    groups or after +86 (with or without the trunk 0); a marker without digits leaves the number alone. A
    landline written in three groups (0755-2688-8888) and a mobile in four (+86-138-0013-8000) have none, nor has
    a number of another country written with a dash."""
    import pandas as pd

    from pipelines.standardize.phones import standardize_phones

    cases = {("+1-415-555-0100;ext=99", "US"): ("+14155550100", "99"),
             ("tel:+1-415-555-0100;ext=5", "US"): ("+14155550100", "5"),
             ("+1 415 555 0100 ext=99", "US"): ("+14155550100", "99"),
             ("+1 415 555 0100 EXT:23", "US"): ("+14155550100", "23"),
             ("+1 415 555 0100 ×23", "US"): ("+14155550100", "23"),
             ("+1 (415) 555-0100 ext", "US"): ("+14155550100", None),
             ("+1 415 555 0100 x", "US"): ("+14155550100", None),
             ("(0755)26888888-8001", "CN"): ("+8675526888888", "8001"),
             ("0755 2688 8888-8001", "CN"): ("+8675526888888", "8001"),
             ("+86-755-26888888-8001", "CN"): ("+8675526888888", "8001"),
             ("+86 0755-26888888-8001", "CN"): ("+8675526888888", "8001"),
             ("010-12345678-123", "CN"): ("+861012345678", "123"),
             ("0755-2688-8888", "CN"): ("+8675526888888", None),
             ("+86-138-0013-8000", "CN"): ("+8613800138000", None),
             ("0086-138-0013-8000", "CN"): ("+8613800138000", None),
             ("13800138000;", "CN"): ("+8613800138000", None),
             # a German direct dial after the dash is part of the number (DIN 5008), not an extension
             ("030 1234567-89", "DE"): ("+4930123456789", None),
             ("(089) 1234567-12", "DE"): ("+4989123456712", None),
             ("0221-1234567-0", "DE"): ("+4922112345670", None)}
    out = standardize_phones(pd.Series([raw for raw, _ in cases], dtype=object),
                             pd.Series([region for _, region in cases]))
    assert dict(zip(cases, zip(out["phone"], out["phone_extension"]))) == cases
    assert out["phone_valid"].all()


def test_00_is_read_as_plus_in_a_region_that_dials_another_prefix():
    """Most of the world dials 00 abroad: 0044 7911 123456 in a US source is +44 7911 123456 (US dials 011)."""
    assert standardize_phone(("00447911123456", "US"))[:2] == ("+447911123456", True)
    assert standardize_phone(("011447911123456", "US"))[:2] == ("+447911123456", True)


@pytest.mark.parametrize("cell, region, expected", [
    ("+49 (0)6221/1234567", "DE", "+4962211234567"),   # one German number written with a slash
    ("0049 6221/1234567", "DE", "+4962211234567"),
    ("089/1234567 privat", "DE", "+49891234567"),      # a note after it
    ("138 0013 8000/139 0013 9000", "CN", "+8613800138000"),
    ("13800138000 13900139000", "CN", "+8613800138000"),   # two whole numbers with a space between: the first
    ("6175550101  6175550102", "US", "+16175550101"),
    ("+86 13800138000 13900139000", "CN", "+8613800138000"),
    ("138 0013 8000", "CN", "+8613800138000"),             # spaces inside one number are its own
])
def test_a_slash_inside_a_number_is_not_a_list(cell, region, expected):
    assert standardize_phones(pd.Series([cell]), pd.Series([region]))["phone"].tolist() == [expected]


@pytest.mark.parametrize("cell, region, expected", [
    ("0755—26888888", "CN", "+8675526888888"),      # a Chinese input method's dash (破折号)
    ("010——65529988", "CN", "+861065529988"),
    ("138—0013—8000", "CN", "+8613800138000"),
    ("0755–26888888-8001", "CN", "+8675526888888"),   # an en dash, then the extension's own dash
])
def test_dashes_of_other_kinds_are_dashes(cell, region, expected):
    assert standardize_phones(pd.Series([cell]), pd.Series([region]))["phone"].tolist() == [expected]


@pytest.mark.parametrize("cell, region, expected", [
    ("010-65529988 13800138000", "CN", "+861065529988"),
    ("13800138000 0755-26888888", "CN", "+8613800138000"),
    ("138-0013-8000 139-0013-9000", "CN", "+8613800138000"),
    ("+86 138 0013 8000 +86 139 0013 9000", "CN", "+8613800138000"),
    ("010 65529988 010 65529989", "CN", "+861065529988"),
    ("(010)65529988;(010)65529989", "CN", "+861065529988"),
    ("(010) 6552 9988/(010) 6552 9989", "CN", "+861065529988"),
    ("(212) 555-1234, (212) 555-9876", "US", "+12125551234"),
    ("(212) 555-1234 / (212) 555-9876", "US", "+12125551234"),
    ("030 1234567 030 7654321", "DE", "+49301234567"),
])
def test_two_numbers_written_apart_in_one_cell_give_the_first(cell, region, expected):
    """Sixteen digits or more cannot be one number (E.164 holds fifteen): the first valid run of words."""
    assert standardize_phones(pd.Series([cell]), pd.Series([region]))["phone"].tolist() == [expected]


def test_a_long_number_with_its_extension_is_one_number():
    out = standardize_phones(pd.Series(["+86 755 2688 8888 转 8001", "12345678901234567890"]),
                             pd.Series(["CN", "CN"]), extension_markers=["转"])
    assert out["phone"].tolist() == ["+8675526888888", None]
    assert out["phone_extension"].tolist() == ["8001", None]


@pytest.mark.parametrize("key, expected", [
    (("1-800-FLOWERS", "CN"), (None, False)),            # no +86 180 0356 9377 out of a US vanity number
    (("1-800-FLOWERS", "US"), ("+18003569377", True)),
    (("(415) 555-2671 x12", "US"), ("+14155552671", True)),   # an extension's x is no word
    (("tel:+8613800138000", "CN"), ("+8613800138000", True)),
])
def test_words_spelled_in_a_number_are_read_only_where_numbers_are_spelled(key, expected):
    from pipelines.standardize.phones import standardize_phone

    assert standardize_phone(key)[:2] == expected


@pytest.mark.parametrize("cell, several", [
    ("13800138000/13900139000", True), ("(415) 555-2671, (415) 555-9876", True), ("13800138000 13900139000", True),
    ("+86 138 0013 8000 +86 139 0013 9000", True),
    # one number each: a slash after fewer than ten digits is part of it, as first_number reads it
    ("+49 (0)6221/1234567", False), ("089/1234567", False), ("0755-26888888/8001", False), ("138 0013 8000", False),
])
def test_several_numbers_in_a_cell_are_told_as_first_number_tells_a_list(cell, several):
    from pipelines.standardize.phones import several_numbers

    assert several_numbers(pd.Series([cell])).tolist() == [several]
