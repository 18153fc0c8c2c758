import pandas as pd
import pytest

from pipelines.standardize.addresses import build_gazetteer, parse_address
from pipelines.standardize.dates import out_of_range, parse_timestamps
from pipelines.standardize.names import standardize_name


@pytest.mark.parametrize("key, expected", [
    (("王小明", None, None), ("王小明", "小明", "王")),
    (("欧阳娜娜", None, None), ("欧阳娜娜", "娜娜", "欧阳")),
    (("司马懿", None, None), ("司马懿", "懿", "司马")),
    (("单于飞", None, None), ("单于飞", "于飞", "单")),   # 单 is a surname today, 单于 hardly
    (("王先生", None, None), ("王先生", None, "王")),
    (("欧阳先生", None, None), ("欧阳先生", None, "欧阳")),
    (("Smith, John", None, None), ("Smith, John", "John", "Smith")),
    (("Dr. Mary Ann Lee", None, None), ("Dr. Mary Ann Lee", "Mary Ann", "Lee")),
    ((None, "小明", "王"), ("王小明", "小明", "王")),
    ((None, "John", "O'Brien"), ("John O'Brien", "John", "O'Brien")),
    (("WANG Xiaoming", None, None), ("WANG Xiaoming", "Xiaoming", "WANG")),  # the family name in capitals
    (("Xiaoming WANG", None, None), ("Xiaoming WANG", "Xiaoming", "WANG")),
    (("Dr. John SMITH", None, None), ("Dr. John SMITH", "John", "SMITH")),
    (("JOHN SMITH", None, None), ("JOHN SMITH", "JOHN", "SMITH")),
    # a family name with its particle written alone or after a title: 'van' is no given name ('Van' may be one)
    (("van der Berg", None, None), ("van der Berg", None, "van der Berg")),
    (("Mr. van Gogh", None, None), ("Mr. van Gogh", None, "van Gogh")),
    (("de la Cruz", None, None), ("de la Cruz", None, "de la Cruz")),
    (("Jan van der Berg", None, None), ("Jan van der Berg", "Jan", "van der Berg")),
    (("Van Morrison", None, None), ("Van Morrison", "Van", "Morrison")),
    # a Chinese name with a note, label, title, emoji or number in its cell: the name alone, split
    (("李娜（客户）", None, None), ("李娜", "娜", "李")),
    (("王小明(已离职)", None, None), ("王小明", "小明", "王")),
    (("【VIP】欧阳娜娜", None, None), ("欧阳娜娜", "娜娜", "欧阳")),
    (("姓名：王小明", None, None), ("王小明", "小明", "王")),
    (("😀钱七", None, None), ("钱七", "七", "钱")),
    (("钱七 ❤", None, None), ("钱七", "七", "钱")),
    (("张伟 13800138000", None, None), ("张伟", "伟", "张")),
    (("Mr. 王", None, None), ("王", None, "王")),                # a title: the family name
    # left as written: a dash or dot joins a transliterated name's parts; one character; Latin letters
    (("阿卜杜拉-艾则孜", None, None), ("阿卜杜拉-艾则孜", None, None)),
    (("山田・太郎", None, None), ("山田・太郎", None, None)),
    (("李娜-销售部", None, None), ("李娜-销售部", None, None)),
    (("王", None, None), ("王", None, None)),
    (("Tony 王", None, None), ("Tony 王", None, None)),
    # a whole Chinese name in First Name: split when Last Name is empty, not doubled when it repeats the family
    ((None, "王小明", None), ("王小明", "小明", "王")),
    ((None, "欧阳娜娜", None), ("欧阳娜娜", "娜娜", "欧阳")),
    ((None, "小明", None), ("小明", "小明", None)),     # two characters: a given name alone as likely as a name
    ((None, "王小明", "王"), ("王小明", "小明", "王")),
    ((None, "欧阳娜娜", "欧阳"), ("欧阳娜娜", "娜娜", "欧阳")),
])
def test_names(rules, key, expected):
    std = rules.standardization
    assert standardize_name(key, tuple(std.compound_surnames), tuple(std.name_prefixes)) == expected


@pytest.mark.parametrize("text, province, city, district, street, ambiguous", [
    ("北京朝阳建国路88号", "北京市", "北京市", "朝阳区", "建国路88号", False),
    ("北京市朝阳区建国路88号", "北京市", "北京市", "朝阳区", "建国路88号", False),
    ("北京市,北京市,朝阳区 建国路88号", "北京市", "北京市", "朝阳区", "建国路88号", False),
    ("广东深圳南山区科技园", "广东省", "深圳市", "南山区", "科技园", False),
    ("广州天河区体育西路", "广东省", "广州市", "天河区", "体育西路", False),
    ("新疆乌鲁木齐天山区", "新疆维吾尔自治区", "乌鲁木齐市", "天山区", None, False),
    ("吉林朝阳", "吉林省", "长春市", "朝阳区", None, False),
    ("西安市长安街293号", "陕西省", "西安市", None, "长安街293号", False),  # 长安街 is a street, not 长安区
    ("西安长安区韦曲街1号", "陕西省", "西安市", "长安区", "韦曲街1号", False),
    ("朝阳区建国路", None, None, None, "朝阳区建国路", True),   # 北京 or 长春: left unresolved
    ("中山路1号", None, None, None, "中山路1号", False),        # a street, not 中山市
    # the street as written: unit numbers, spaces and Latin words keep their separators
    ("北京市朝阳区建国路88号3-1201", "北京市", "北京市", "朝阳区", "建国路88号3-1201", False),
    ("广东深圳南山区 Science Park Rd. 5", "广东省", "深圳市", "南山区", "Science Park Rd. 5", False),
    # the country before the address
    ("中国 广东省深圳市南山区科技园", "广东省", "深圳市", "南山区", "科技园", False),
    ("中国人民大学", None, None, None, "中国人民大学", False),
    # the divisions repeated by a detailed address after their own columns, or short forms in both columns
    ("广东省深圳市南山区广东省深圳市南山区科技园1号", "广东省", "深圳市", "南山区", "科技园1号", False),
    ("北京北京朝阳区", "北京市", "北京市", "朝阳区", None, False),
    ("重庆重庆渝中区解放碑", "重庆市", "重庆市", "渝中区", "解放碑", False),
    ("吉林吉林市船营区", "吉林省", "吉林市", "船营区", None, False),   # the province, then its city
    ("深圳市南山区南山大道1号", "广东省", "深圳市", "南山区", "南山大道1号", False),   # a street named after it
    ("吉林市船营区", "吉林省", "吉林市", "船营区", None, False),       # the city named like its province, alone
    ("100020 北京市朝阳区建国路1号", "北京市", "北京市", "朝阳区", "建国路1号", False),   # a postcode before it
    # places named after a division are not repeats of it, nor a city alone
    ("北京市北京大学", "北京市", "北京市", None, "北京大学", False),
    ("广东省深圳市深圳湾1号", "广东省", "深圳市", None, "深圳湾1号", False),
    ("北京市朝阳区北京市第八十中学", "北京市", "北京市", "朝阳区", "北京市第八十中学", False),
    ("南京东路100号", None, None, None, "南京东路100号", False),
    ("厦门大学", None, None, None, "厦门大学", False),
    # columns (joined with a space) or words written apart: no name is read across them
    ("山东 青岛 市南区 香港中路10号", "山东省", "青岛市", "市南区", "香港中路10号", False),
    ("四川,乐山,市中区", "四川省", "乐山市", "市中区", None, False),
    ("浙江省 杭州 市民中心", "浙江省", "杭州市", None, "市民中心", False),
    ("广东 中山 市场路1号", "广东省", "中山市", None, "市场路1号", False),
    ("上海 市 浦东新区 张江路88号", "上海市", "上海市", "浦东新区", "张江路88号", False),   # a suffix apart
    # a municipality in the province column and again, short, in the city column (HubSpot's State/Region 北京市,
    # City 北京): the city is no street
    ("北京市 北京 建国路88号", "北京市", "北京市", None, "建国路88号", False),
    ("上海 上海 张江路88号", "上海市", "上海市", None, "张江路88号", False),
    ("北京市 北京 北京大学", "北京市", "北京市", None, "北京大学", False),
    ("山东青岛市南区香港中路10号", "山东省", "青岛市", "市南区", "香港中路10号", False),   # 青岛's 市南区
    # streets and places named after a province (Shanghai's 西藏中路), not addresses in it
    ("西藏中路268号", None, None, None, "西藏中路268号", False),
    ("北京西路1号", None, None, None, "北京西路1号", False),
    ("四川路", None, None, None, "四川路", False),
    ("北京大学", None, None, None, "北京大学", False),
    ("北京东城区东直门", "北京市", "北京市", "东城区", "东直门", False),
    ("北京中关村", "北京市", "北京市", None, "中关村", False),
    # a district's short name that starts a street's name (南山大道, 朝阳北路): the street is kept whole
    ("深圳市南山大道1号", "广东省", "深圳市", None, "南山大道1号", False),
    ("北京市朝阳北路1号", "北京市", "北京市", None, "朝阳北路1号", False),
    ("广东省 深圳市 南山大道1号", "广东省", "深圳市", None, "南山大道1号", False),
    # a city's short name before a street of its own, which starts with a direction or 中 (南京东路 is Shanghai's)
    ("南京中山路1号", "江苏省", "南京市", None, "中山路1号", False),
    ("成都东大街1号", "四川省", "成都市", None, "东大街1号", False),
    ("广州北京路1号", "广东省", "广州市", None, "北京路1号", False),
    ("上海市南京东路1号", "上海市", "上海市", None, "南京东路1号", False),
    ("厦门大学", None, None, None, "厦门大学", False),
])
def test_addresses(rules, text, province, city, district, street, ambiguous):
    std = rules.standardization
    gaz = build_gazetteer(tuple(std.address_suffixes), tuple(sorted(std.address_aliases.items())))
    assert parse_address(text, gaz) == (province, city, district, street, ambiguous, district is not None)


def test_dates(rules):
    std = rules.standardization
    raw = pd.Series(["2024-01-31T10:00:00.000Z", "2024年1月5日", "01/31/2024", "45000", "garbage", None,
                     "2024-01-31T10:00:00+08:00"], dtype=object)
    parsed, bad = parse_timestamps(raw, ["%Y-%m-%dT%H:%M:%S.%fZ", "%m/%d/%Y"] + std.date_formats, False,
                                   (std.excel_date_min, std.excel_date_max))
    assert parsed.tolist()[:4] == [pd.Timestamp("2024-01-31 10:00"), pd.Timestamp("2024-01-05"),
                                   pd.Timestamp("2024-01-31"), pd.Timestamp("2023-03-15")]
    assert pd.isna(parsed[4]) and bool(bad[4])
    assert pd.isna(parsed[5]) and not bool(bad[5])
    assert parsed[6] == pd.Timestamp("2024-01-31 02:00")  # +08:00 to UTC


def test_a_time_without_a_date_is_unparseable_not_today(rules):
    """'10:30' (an Excel time cell, a time column mapped by mistake) was dated the day the night ran: after the
    night, and another date on a rerun. A date without a day is no date either (see the test below)."""
    std = rules.standardization
    raw = pd.Series(["10:30", "10:30:00", "3:45 PM", "1990-05", "20/11/2026 10:30"], dtype=object)
    parsed, bad = parse_timestamps(raw, std.date_formats, True, (std.excel_date_min, std.excel_date_max))
    assert bad.tolist() == [True, True, True, True, False] and parsed[:4].isna().all()
    assert parsed[4] == pd.Timestamp("2026-11-20 10:30")


def test_dates_all_empty(rules):
    std = rules.standardization
    parsed, bad = parse_timestamps(pd.Series([None, None], dtype=object), std.date_formats, False,
                                   (std.excel_date_min, std.excel_date_max))
    assert parsed.isna().all() and not bad.any()


@pytest.mark.parametrize("birth, night, expected", [
    ("2026-11-25", "2026-11-07", True),        # after its night, however far the wall clock has moved on
    ("2027-01-15", "2026-11-07", True),
    ("2026-11-07 18:30", "2026-11-07", False),  # born on the night's own day
    ("2026-11-08", "2026-11-07", True),
    ("2026-11-25", "2026-11-30", False),        # the same date on a later night is in the past
    ("1899-12-31", "2026-11-07", True),         # before birth_date_min
    (None, "2026-11-07", False),
])
def test_birth_dates_are_judged_against_their_night(birth, night, expected):
    values = pd.Series([pd.Timestamp(birth) if birth else pd.NaT], dtype="datetime64[ns]")
    nights = pd.Series([pd.Timestamp(night)], dtype="datetime64[ns]")
    assert out_of_range(values, "1900-01-01", nights).tolist() == [expected]
    assert out_of_range(values, "1900-01-01", pd.Timestamp(night)).tolist() == [expected]


def test_an_address_the_parser_places_nowhere_keeps_its_columns(rules):
    """Chinese text the division list does not place (a Singapore street, 香港) leaves the row's columns as given;
    it used to empty the city and glue it to the street."""
    import pandas as pd

    from pipelines.standardize.addresses import standardize_addresses_later

    std = rules.standardization
    frame = pd.DataFrame({"province": [None, None], "city": ["Singapore", "深圳"], "district": [None, None],
                          "street": ["乌节路1号", "科技园1号"], "address": [None, None]}, dtype=object)
    out = standardize_addresses_later(frame, std.address_suffixes, std.address_aliases)()
    assert out.loc[0, ["province", "city", "street"]].tolist() == [None, "Singapore", "乌节路1号"]
    assert not out.loc[0, "address_cn"]
    assert out.loc[1, ["province", "city"]].tolist() == ["广东省", "深圳市"]


def test_a_postcode_written_in_a_chinese_address_goes_to_the_postcode_column(rules):
    """100022 before the address was dropped (read past, kept nowhere); 518057 after it stayed in the street, and a
    street of a postcode alone was that postcode. A postcode column's value is kept, and so is the street then."""
    import pandas as pd

    from pipelines.standardize.addresses import standardize_addresses_later

    std = rules.standardization
    frame = pd.DataFrame({
        "address": ["100022 北京市朝阳区建国路88号", "广东省深圳市南山区科技园 518057", "北京市朝阳区建国路88号（邮编：100022）",
                    "广东深圳南山 518057", "北京市朝阳区建国路88号 100022", "北京市朝阳区建国路88号3-1201"],
        "postcode": [None, None, None, None, "100020", None]}, dtype=object).assign(
        province=None, city=None, district=None, street=None)
    out = standardize_addresses_later(frame, std.address_suffixes, std.address_aliases)()
    assert out["postcode"].tolist() == ["100022", "518057", "100022", "518057", "100020", None]
    assert out["street"].tolist() == ["建国路88号", "科技园", "建国路88号", None, "建国路88号 100022",
                                      "建国路88号3-1201"]


def test_chinese_dates_with_two_digit_years_and_half_day_words(rules):
    """12年3月5日 is 2012-03-05 (it read as 2005-12-03), 85年 is 1985; 下午3:30 is 15:30 (it was unparseable)."""
    import pandas as pd

    from pipelines.standardize.dates import parse_timestamps

    values = ["12年3月5日", "85年7月1日", "2024/03/05 下午3:30", "2024/03/05 凌晨3:30", "2024年3月5日 晚上8:05"]
    parsed, bad = parse_timestamps(pd.Series(values), rules.standardization.date_formats, False, (20000, 73051))
    assert [str(t) for t in parsed] == ["2012-03-05 00:00:00", "1985-07-01 00:00:00", "2024-03-05 15:30:00",
                                        "2024-03-05 03:30:00", "2024-03-05 20:05:00"]
    assert not bad.any()


def test_chinese_times_weekdays_and_fourteen_digit_stamps(rules):
    """10时20分, a weekday after the date, YYYYMMDDhhmmss (database dumps); epoch milliseconds as before. A nine- or
    ten-digit number is no date (a phone number, a mistyped date): never read as seconds since 1970."""
    import pandas as pd

    from pipelines.standardize.dates import parse_timestamps

    values = ["2023年05月06日 10时20分", "2024年3月5日10时20分", "1990年1月2日 星期二", "2023年5月6日(周六) 8点05分30秒",
              "19900102000000", "1683331200000", "45356.41666667", "1683331200", "123456789", "99999999999999",
              "12345678901"]
    parsed, bad = parse_timestamps(pd.Series(values), rules.standardization.date_formats, False, (10000, 73051))
    assert [str(t) for t in parsed] == ["2023-05-06 10:20:00", "2024-03-05 10:20:00", "1990-01-02 00:00:00",
                                        "2023-05-06 08:05:30", "1990-01-02 00:00:00", "2023-05-06 00:00:00",
                                        "2024-03-05 10:00:00", "NaT", "NaT", "NaT", "NaT"]
    assert bad.tolist() == [False] * 7 + [True] * 4


def test_gender_spellings_of_other_languages_and_salesforce(rules):
    import pandas as pd

    from pipelines.standardize.codes import standardize_gender

    # GB/T 2261.1 codes as a spreadsheet saves numbers: 0.0 not known, 9.0 not stated
    values = ["Mme", "homme", "weiblich", "夫人", "Not Listed", "9", "1.0", "Femenino", "0.0", "9.0"]
    codes, unknown = standardize_gender(pd.Series(values), rules.standardization.gender)
    assert codes.tolist() == ["F", "M", "F", "F", "U", "U", "M", "F", "U", "U"] and not unknown.any()


@pytest.mark.parametrize("key, expected", [
    ((None, None, "张三"), ("张三", "三", "张")),              # a whole name in Salesforce's LastName alone
    (("张三", None, "张三"), ("张三", "三", "张")),
    ((None, None, "欧阳"), ("欧阳", None, "欧阳")),            # a compound surname alone stays one
    (("阿卜杜拉·艾则孜", None, None), ("阿卜杜拉·艾则孜", "阿卜杜拉", "艾则孜")),
    (("王小明先生", None, None), ("王小明", "小明", "王")),   # the title dropped, as from 王小明（经理）
    (("王先生", None, None), ("王先生", None, "王")),
    (("欧阳先生", None, None), ("欧阳先生", None, "欧阳")),
    (("北京华信科技有限公司", None, None), ("北京华信科技有限公司", None, None)),   # a company, not a person
    (("Acme Corp", None, None), ("Acme Corp", None, None)),
    (("Anne Co", None, None), ("Anne Co", "Anne", "Co")),     # Co is a family name too
    # the middle dot as Big5, a full-width stop and a bullet write it: one spelling, the parts found
    (("阿卜杜拉‧艾买提", None, None), ("阿卜杜拉·艾买提", "阿卜杜拉", "艾买提")),
    (("阿卜杜拉.艾买提", None, None), ("阿卜杜拉·艾买提", "阿卜杜拉", "艾买提")),   # ． after NFKC
    (("阿卜杜拉 • 艾买提", None, None), ("阿卜杜拉·艾买提", "阿卜杜拉", "艾买提")),
    (("王.小明", None, None), ("王.小明", None, None)),       # no transliteration: left as written
    # kana and hangul names with their parts apart: family name first, as written
    (("サトウ タロウ", None, None), ("サトウ タロウ", "タロウ", "サトウ")),
    (("さとう　たろう", None, None), ("さとう たろう", "たろう", "さとう")),
    (("김 민준", None, None), ("김민준", "민준", "김")),       # as from its parts: one spelling
    ((None, "민준", "김"), ("김민준", "민준", "김")),
    ((None, "タロウ", "サトウ"), ("サトウ タロウ", "タロウ", "サトウ")),
])
def test_whole_names_in_one_field_companies_and_middle_dots(rules, key, expected):
    std = rules.standardization
    assert standardize_name(key, tuple(std.compound_surnames), tuple(std.name_prefixes),
                            tuple(w.casefold() for w in std.organisation_words)) == expected


def test_excel_serials_of_older_birth_dates_and_time_fractions(rules):
    """18264 is 1950-01-01 (serials below 20000 were refused); a time cell's binary fraction is read to the
    second (45356.4166666667 is 10:00, not 10:00:00.000003)."""
    import pandas as pd

    from pipelines.standardize.dates import parse_timestamps

    std = rules.standardization
    parsed, bad = parse_timestamps(pd.Series(["18264", "45356.4166666667"]), std.date_formats, False,
                                   (std.excel_date_min, std.excel_date_max))
    assert [str(t) for t in parsed] == ["1950-01-01 00:00:00", "2024-03-05 10:00:00"] and not bad.any()


@pytest.mark.parametrize("text, district", [("深圳龙华区民治大道1号", "龙华区"), ("成都市新津区五津街道", "新津区"),
                                            ("杭州临平区", "临平区"), ("海口龙华区", "龙华区"),
                                            ("福建省福州市长乐市航城街道1号", "长乐区"), ("云南省昆明市晋宁县", "晋宁区")])
def test_districts_set_up_after_the_shipped_list_are_read(rules, text, district):
    """rules: addresses.divisions_added (深圳 龙华区 2016, 成都 新津区 2020 replacing 新津县); 海口's own 龙华区 stays."""
    std = rules.standardization
    gaz = build_gazetteer(tuple(std.address_suffixes), tuple(sorted(std.address_aliases.items())),
                          tuple(sorted(std.address_divisions_added.items())))
    assert parse_address(text, gaz)[2] == district


@pytest.mark.parametrize("text, expected", [
    ("贵州省黔东南州凯里市北京路1号", ("贵州省", "黔东南苗族侗族自治州", "凯里市", "北京路1号")),
    ("四川省凉山州西昌市", ("四川省", "凉山彝族自治州", "西昌市", None)),
    ("湖南湘西州吉首市", ("湖南省", "湘西土家族苗族自治州", "吉首市", None)),
    ("恩施州恩施市", ("湖北省", "恩施土家族苗族自治州", "恩施市", None)),   # no province written
    ("云南省大理州大理市", ("云南省", "大理白族自治州", "大理市", None)),     # no 州 left in the street
    ("伊犁州伊宁市", ("新疆维吾尔自治区", "伊犁哈萨克自治州", "伊宁市", None)),  # 哈萨克 without 族
    ("青海省海南州共和县", ("青海省", "海南藏族自治州", "共和县", None)),       # not the province 海南
    ("海南州共和县1号", ("青海省", "海南藏族自治州", "共和县", "1号")),
    ("河北区中山路1号", ("天津市", "天津市", "河北区", "中山路1号")),     # 天津's district, not the province 河北
    ("湖北长阳县龙舟坪镇", ("湖北省", "宜昌市", "长阳土家族自治县", "龙舟坪镇")),
    ("浙江省杭州市临安区锦城街道", ("浙江省", "杭州市", "临安区", "锦城街道")),  # 临安市 became 临安区 in 2017
    # a prefecture's seat keeps its own short name (楚雄 is 楚雄市, not 楚雄州); a street starting with 市 stays whole
    ("云南省楚雄市1号", ("云南省", "楚雄彝族自治州", "楚雄市", "1号")),
    ("湖北恩施市1号", ("湖北省", "恩施土家族苗族自治州", "恩施市", "1号")),
    ("四川阿坝县1号", ("四川省", "阿坝藏族羌族自治州", "阿坝县", "1号")),
    ("广东省广州市番禺市桥街道1号", ("广东省", "广州市", "番禺区", "市桥街道1号")),
    ("黑龙江大兴安岭地区漠河市北极村", ("黑龙江省", "大兴安岭地区", "漠河市", "北极村")),
])
def test_autonomous_prefectures_by_their_short_names_and_renamed_districts(rules, text, expected):
    """rules: addresses.ethnic_groups gives 黔东南州 for 黔东南苗族侗族自治州; divisions_added the
    districts renamed since the shipped list."""
    std = rules.standardization
    gaz = build_gazetteer(tuple(std.address_suffixes), tuple(sorted(std.address_aliases.items())),
                          tuple(sorted(std.address_divisions_added.items())), tuple(std.address_ethnic_groups))
    assert parse_address(text, gaz)[:4] == expected


def test_a_word_after_a_time_is_no_time_zone_and_no_value_reaches_the_console(rules, recwarn, capfd):
    """'10:00 WANG' (initials, a name after the time) is not a date pandas may read by dropping the word; its
    warnings, which quote the value, are never shown."""
    std = rules.standardization
    raw = pd.Series(["2026-11-01 10:00 WANG", "1990-01-01 10:00 JOHNS", "2026-11-01 10:00 UTC",
                     "2026-11-01T10:00:00+08:00"])
    parsed, bad = parse_timestamps(raw, std.date_formats, False, (std.excel_date_min, std.excel_date_max))
    assert bad.tolist() == [True, True, False, False]
    assert parsed[2] == pd.Timestamp("2026-11-01 10:00") and parsed[3] == pd.Timestamp("2026-11-01 02:00")
    assert not [w for w in recwarn if "WANG" in str(w.message) or "JOHNS" in str(w.message)]
    out, err = capfd.readouterr()
    assert "WANG" not in out + err and "JOHNS" not in out + err


@pytest.mark.parametrize("key, expected", [
    (("王总经理", None, None), ("王总经理", None, "王")),     # the longest title first, then 总 after it
    (("李工", None, None), ("李工", None, "李")),             # a one-character title after a family name
    (("赵董", None, None), ("赵董", None, "赵")),
    (("张建工", None, None), ("张建工", "建工", "张")),       # ... but 建工 is a given name
    (("王太太", None, None), ("王太太", None, "王")),
    (("王夫人", None, None), ("王夫人", None, "王")),
    (("张主任", None, None), ("张主任", None, "张")),
    (("李教授", None, None), ("李教授", None, "李")),
    (("陳總", None, None), ("陳總", None, "陳")),             # traditional characters
    (("歐陽娜娜", None, None), ("歐陽娜娜", "娜娜", "歐陽")),
    (("司馬懿", None, None), ("司馬懿", "懿", "司馬")),
    (("歐陽先生", None, None), ("歐陽先生", None, "歐陽")),
    (("John Smith III", None, None), ("John Smith III", "John", "Smith")),   # a suffix in capitals is no family name
    (("Jane Doe MD", None, None), ("Jane Doe MD", "Jane", "Doe")),
    (("WANG Xiaoming PhD", None, None), ("WANG Xiaoming PhD", "Xiaoming", "WANG")),
])
def test_titles_traditional_surnames_and_suffixes(rules, key, expected):
    std = rules.standardization
    assert standardize_name(key, tuple(std.compound_surnames), tuple(std.name_prefixes)) == expected


def test_cities_and_districts_given_in_hong_kong_macau_and_taiwan_are_kept(rules):
    """The division list stops at their province level: the columns as given, not emptied into the street."""
    from pipelines.standardize.addresses import standardize_addresses_later

    std = rules.standardization
    frame = pd.DataFrame([("台湾省", "台北市", "信义区", None, "信义路五段7号"), ("香港", "九龙", "油尖旺区", None, "弥敦道1号"),
                          ("山东", "青岛", "市南区", None, "香港中路10号")],
                         columns=["province", "city", "district", "address", "street"], dtype=object)
    out = standardize_addresses_later(frame, std.address_suffixes, std.address_aliases, None,
                                      std.address_divisions_added, std.address_ethnic_groups)()
    assert out[["province", "city", "district", "street"]].values.tolist() == [
        ["台湾省", "台北市", "信义区", "信义路五段7号"], ["香港特别行政区", "九龙", "油尖旺区", "弥敦道1号"],
        ["山东省", "青岛市", "市南区", "香港中路10号"]]
    assert out["address_country"].tolist() == ["TW", "HK", "CN"]


def test_a_province_or_city_written_in_latin_letters_beside_a_chinese_street(rules):
    """Western CRMs' columns (State GD or Guangdong, City Shenzhen) beside a Chinese street: the province stayed
    GD, 南山区 stayed in the street, and the same address from WukongCRM standardised differently. An ISO code
    is read only in a row of China (SC is South Carolina too)."""
    from pipelines.standardize.addresses import standardize_addresses_later

    std = rules.standardization
    rows = [("GD", "深圳", "CN", "南山区科技园路1号"), ("Guangdong", "Shenzhen", "CN", "南山区科技园路1号"),
            ("Guangdong Sheng", "深圳市", None, "南山区科技园路1号"), ("广东", "Shenzhen", "CN", "科技园路1号"),
            ("BJ", "Beijing", "CN", "朝阳区建国路88号"), ("SC", "Columbia", "US", "1 Main St"),
            ("SC", "Chengdu", None, "1 Main St"), ("Sichuan Province", "成都", "CN", "武侯区人民南路4段1号")]
    frame = pd.DataFrame([(p, c, None, None, s, k) for p, c, k, s in rows],
                         columns=["province", "city", "district", "address", "street", "country"], dtype=object)
    out = standardize_addresses_later(frame, std.address_suffixes, std.address_aliases, None,
                                      std.address_divisions_added, std.address_ethnic_groups,
                                      std.address_latin_provinces, std.address_latin_province_words)()
    assert out[["province", "city", "district", "street"]].values.tolist() == [
        ["广东省", "深圳市", "南山区", "科技园路1号"], ["广东省", "深圳市", "南山区", "科技园路1号"],
        ["广东省", "深圳市", "南山区", "科技园路1号"], ["广东省", "Shenzhen", None, "科技园路1号"],
        ["北京市", "北京市", "朝阳区", "建国路88号"], ["SC", "Columbia", None, "1 Main St"],
        ["SC", "Chengdu", None, "1 Main St"], ["四川省", "成都市", "武侯区", "人民南路4段1号"]]


def _addresses(std, rows: list[tuple]) -> pd.DataFrame:
    """standardize_addresses_later with the rules' settings on rows of (province, city, district, address,
    street, country)."""
    from pipelines.standardize.addresses import standardize_addresses_later

    frame = pd.DataFrame(rows, columns=["province", "city", "district", "address", "street", "country"], dtype=object)
    return standardize_addresses_later(frame, std.address_suffixes, std.address_aliases, None,
                                       std.address_divisions_added, std.address_ethnic_groups,
                                       std.address_latin_provinces, std.address_latin_province_words,
                                       std.address_latin_division_words)()


def test_a_city_or_district_in_pinyin_is_read_as_its_division_in_rows_of_china(rules):
    """A Western CRM's whole address in Latin letters (State Guangdong, City Shenzhen, District Nanshan) gives the
    divisions WukongCRM's 广东省深圳市南山区 gives; a spelling the row's province or city cannot pin down, and a
    city outside China, stay as written."""
    std = rules.standardization
    rows = [("Guangdong", "Shenzhen", "Nanshan District", "CN", "1 Keyuan Rd"),
            ("广东", "Shenzhen", None, "CN", "科技园路1号"),
            ("Beijing", "Beijing", "Chaoyang", None, "88 Jianguo Rd"),     # 朝阳 alone reads zhaoyang
            ("上海市", "Shanghai Shi", "Pudong New Area", "CN", None),
            ("Hubei", "Yichang", "Changyang", "CN", None),                # 长阳土家族自治县, the place name alone
            ("Shaanxi", "Xi'an", "Yanta Qu", "CN", None),
            ("Fujian", "Fuzhou", None, "CN", None), ("Jiangxi", "Fuzhou", None, "CN", None),
            (None, "Fuzhou", None, "CN", None),                           # 福州 or 抚州: not guessed
            ("Jiangsu", None, "Gulou", "CN", None),                       # 南京 or 徐州's 鼓楼区
            (None, "Dali", None, None, None), ("Ile-de-France", "Paris", None, "FR", None),
            ("CA", "Shenzhen", None, "US", "1 Main St")]
    out = _addresses(std, [(p, c, d, None, s, k) for p, c, d, k, s in rows])
    assert out[["province", "city", "district"]].values.tolist() == [
        ["广东省", "深圳市", "南山区"], ["广东省", "深圳市", None], ["北京市", "北京市", "朝阳区"],
        ["上海市", "上海市", "浦东新区"], ["湖北省", "宜昌市", "长阳土家族自治县"], ["陕西省", "西安市", "雁塔区"],
        ["福建省", "福州市", None], ["江西省", "抚州市", None], [None, "Fuzhou", None], ["江苏省", None, "Gulou"],
        [None, "Dali", None], ["Ile-de-France", "Paris", None], ["CA", "Shenzhen", None]]
    assert out["street"].tolist()[:2] == ["1 Keyuan Rd", "科技园路1号"]


def test_the_latin_province_list_names_real_provinces(rules):
    """Every name the rules give a Latin spelling of is a province of the division list."""
    from pipelines.standardize.addresses import _adcode_rows

    provinces = {name for code, name in _adcode_rows() if code.endswith("0000")}
    assert set(rules.standardization.address_latin_provinces.values()) <= provinces


def test_dates_without_separators_are_read_only_at_their_full_width(rules):
    """1990111 is 1990-11-01 or 1990-01-11: unparseable, not guessed; 201212 is a month. Both readers agree."""
    import duckdb

    from pipelines.standardize.dates import sql_formats

    std = rules.standardization
    values = pd.Series(["1990111", "201212", "2024035", "20240305", "19900102000000"])
    out, bad = parse_timestamps(values, std.date_formats, False, (std.excel_date_min, std.excel_date_max))
    assert bad.tolist() == [True, True, True, False, False]
    assert out.iloc[3] == pd.Timestamp("2024-03-05")
    assert "%Y%m%d" not in sql_formats(std.date_formats)   # DuckDB's strptime would take 1990111 too
    assert duckdb.connect().execute("select try_strptime('1990111', '%Y%m%d')").fetchone()[0] is not None


def test_gender_in_two_spellings_and_more_words(rules):
    """男(M), M/男: read when both spellings agree; 男/F disagrees and is flagged."""
    from pipelines.standardize.codes import standardize_gender

    values = ["男(M)", "M（男）", "f/女", "女的", "Hombre", "Mujer", "其它", "Mx", "男/F"]
    codes, unknown = standardize_gender(pd.Series(values), rules.standardization.gender)
    assert codes.tolist() == ["M", "M", "F", "F", "M", "F", "U", "U", "U"]
    assert unknown.tolist() == [False] * 8 + [True]


def test_an_offset_after_utc_or_gmt_is_read_as_written(rules):
    """10:00 UTC+8 is 02:00 UTC (dateutil alone reads the sign inverted, the POSIX way: 18:00); JavaScript's
    Date text with its zone's name in brackets; a birth date keeps its day whatever offset follows it."""
    from pipelines.cleanse import _UTC_OFFSET

    std = rules.standardization
    values = pd.Series(["2024-03-05 10:00 UTC+08:00", "2024-03-05 10:00 GMT+8", "2024-03-05 10:00 +0800",
                        "Tue Mar 05 2024 10:00:00 GMT+0800 (China Standard Time)", "2024-03-05 10:00 utc-5"])
    out, bad = parse_timestamps(values, std.date_formats, False, (std.excel_date_min, std.excel_date_max))
    assert [str(t) for t in out] == ["2024-03-05 02:00:00"] * 4 + ["2024-03-05 15:00:00"]
    assert not bad.any()
    births = pd.Series(["1990-03-05 00:00 UTC+8", "1990-03-05 00:00 GMT+0800 (中国标准时间)"])
    assert births.str.replace(_UTC_OFFSET, r"\1", regex=True).tolist() == ["1990-03-05 00:00"] * 2


@pytest.mark.parametrize("text", ["1985-07", "1985/07", "07/1985", "Jul 1985", "1990-3"])
def test_a_year_and_month_alone_is_no_date(rules, text):
    """pandas' mixed reader makes up the 1st for a value without a day: a birthday no one has."""
    std = rules.standardization
    out, bad = parse_timestamps(pd.Series([text, "5 Jul 1985"]), std.date_formats, False,
                                (std.excel_date_min, std.excel_date_max))
    assert pd.isna(out[0]) and bool(bad[0])
    assert str(out[1]) == "1985-07-05 00:00:00" and not bool(bad[1])


@pytest.mark.parametrize("text, expected", [
    ("廣東省深圳市南山區科技園1號", ("广东省", "深圳市", "南山区", "科技園1號")),   # the street as written
    ("北京市朝陽區建國路88號", ("北京市", "北京市", "朝阳区", "建國路88號")),
    ("北京市朝阳区建国路88号", ("北京市", "北京市", "朝阳区", "建国路88号")),
    ("陕西省咸阳市乾县城关镇", ("陕西省", "咸阳市", "乾县", "城关镇")),   # a simplified name t2s would change
])
def test_a_mainland_address_in_traditional_characters_is_placed(rules, text, expected):
    from pipelines.standardize.addresses import parse_address_with

    std = rules.standardization
    got = parse_address_with((text,), tuple(std.address_suffixes), tuple(sorted(std.address_aliases.items())),
                             tuple(sorted((std.address_divisions_added or {}).items())),
                             tuple(std.address_ethnic_groups))
    assert got[:4] == expected


def test_a_phone_or_email_in_a_name_field_moves_to_its_empty_field_and_leaves_the_name():
    from pipelines.standardize.names import contacts_out_of_names

    f = pd.DataFrame({
        "full_name": ["13800138000", "+86 138-0013-8000", "li.na@example.com", "Li Na 2024", "王小明", None, "1234"],
        "given_name": [None, None, None, None, None, "x@y.cn", None],
        "family_name": [None] * 7,
        "phone": [None, "139 0000 1111", None, None, None, None, None],
        "email": [None] * 7})
    changed = contacts_out_of_names(f)
    assert changed.tolist() == [True, True, True, False, False, True, False]
    assert f["phone"].tolist()[:2] == ["13800138000", "139 0000 1111"]   # a filled phone is not overwritten
    assert f["email"].tolist()[2] == "li.na@example.com" and f["email"].tolist()[5] == "x@y.cn"
    assert f["full_name"].tolist() == [None, None, None, "Li Na 2024", "王小明", None, "1234"]
    assert f["given_name"].isna().all()


def test_a_phone_number_beside_a_name_moves_to_an_empty_phone_field():
    from pipelines.standardize.names import contacts_out_of_names

    f = pd.DataFrame({"full_name": ["张伟 13800138000", "John Smith +1 617-555-0199", "王芳 2024-01-05",
                                    "李四 13900001111", "Room 12"],
                      "given_name": [None] * 5, "family_name": [None] * 5,
                      "phone": [None, None, None, "137 0000 0000", None], "email": [None] * 5})
    assert contacts_out_of_names(f).tolist() == [True, True, False, False, False]
    assert f["full_name"].tolist() == ["张伟", "John Smith", "王芳 2024-01-05", "李四 13900001111", "Room 12"]
    assert f["phone"].tolist() == ["13800138000", "+1 617-555-0199", None, "137 0000 0000", None]


def test_totals_rows_as_chinese_exports_write_them_are_told_from_names(rules):
    from pipelines.standardize.names import summary_rows

    totals = ["合计", "合计：5", "合计：2条记录", "合计(2)", "共2条记录", "总计：2 个客户", "合计：2条数据",
              "合计 共2条", "小计（3人）", "Total: 1,204 rows"]
    names_ = ["王小明", "共青", "2条记录", "合计科技有限公司", "Total Wine"]
    found = summary_rows(pd.Series(totals + names_), rules.standardization.summary_labels)
    assert found.tolist() == [True] * len(totals) + [False] * len(names_)


def test_a_dotted_day_first_date_reads_the_same_with_a_time_after_it(rules):
    """A German Excel's re-save of an export: 01.02.2024 is 1 February alone and with 09:00 after it."""
    std = rules.standardization
    values = pd.Series(["01.02.2024", "01.02.2024 09:00", "05.03.2024 14:03:07"])
    out, bad = parse_timestamps(values, std.date_formats, False, (std.excel_date_min, std.excel_date_max))
    assert out.tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-01 09:00"),
                            pd.Timestamp("2024-03-05 14:03:07")] and not bad.any()


@pytest.mark.parametrize("text", ["广东省 深圳市 南山区 科技园10号", "广东省 深圳市 南山区 南山区科技园10号",
                                  "广东省 深圳市 南山区 深圳市南山区科技园10号", "广东省 深圳市 南山区 广东省深圳市南山区科技园10号",
                                  "深圳市 南山区科技园10号"])
def test_a_street_repeating_any_tail_of_the_divisions_gives_one_street(rules, text):
    """WukongCRM's 地区定位 columns before a 详细地址 that repeats some of them: one address, one street."""
    std = rules.standardization
    gaz = build_gazetteer(tuple(std.address_suffixes), tuple(sorted(std.address_aliases.items())),
                          tuple(sorted(std.address_divisions_added.items())), tuple(std.address_ethnic_groups))
    assert parse_address(text, gaz)[:4] == ("广东省", "深圳市", "南山区", "科技园10号")
    # a name after the divisions that only starts like them is the street's own
    assert parse_address("北京市 朝阳区 北京市第八十中学", gaz)[3] == "北京市第八十中学"


@pytest.mark.parametrize("text, expected", [
    ("长沙", ("湖南省", "长沙市", None)), ("南昌", ("江西省", "南昌市", None)), ("抚顺", ("辽宁省", "抚顺市", None)),
    ("承德", ("河北省", "承德市", None)), ("长沙县", ("湖南省", "长沙市", "长沙县")),
    ("朝阳区", (None, None, None)),   # Beijing's or Changchun's: not guessed
])
def test_a_city_named_like_a_county_of_its_own_is_the_city(rules, text, expected):
    """长沙 is 长沙市: the 长沙县 that shares its short name lies inside it, so nothing else is meant."""
    std = rules.standardization
    gaz = build_gazetteer(tuple(std.address_suffixes), tuple(sorted(std.address_aliases.items())),
                          tuple(sorted(std.address_divisions_added.items())), tuple(std.address_ethnic_groups))
    assert parse_address(text, gaz)[:3] == expected


def test_a_district_in_pinyin_written_in_the_city_column_is_the_district(rules):
    """Salesforce's MailingCity 'Chaoyang District' with MailingState 'Beijing' lost the district (city 北京市)."""
    std = rules.standardization
    rows = [("Beijing", "Chaoyang District"), ("Beijing", "Haidian"), ("Shanghai", "Pudong New Area"),
            ("Guangdong", "Nanshan District")]
    out = _addresses(std, [(p, c, None, None, None, "CN") for p, c in rows])
    assert out[["province", "city", "district"]].values.tolist() == [
        ["北京市", "北京市", "朝阳区"], ["北京市", "北京市", "海淀区"], ["上海市", "上海市", "浦东新区"],
        ["广东省", "深圳市", "南山区"]]
