"""Addresses written with the old name of a county or county-level city that has since become a district (双流县 ->
双流区, 萧山市 -> 萧山区) or of a prefecture since a city (毕节地区 -> 毕节市): the old suffix is read with the
division's short name, not left at the start of the street; a suffix that starts the street's first word stays in
it. Former names of merged or renamed divisions (rules: addresses.aliases) read as the current division."""
import pytest

from pipelines.standardize.addresses import build_gazetteer, parse_address


@pytest.fixture(scope="module")
def gaz(rules):
    std = rules.standardization
    return build_gazetteer(tuple(std.address_suffixes), tuple(sorted(std.address_aliases.items())),
                           tuple(sorted(std.address_divisions_added.items())), tuple(std.address_ethnic_groups))


@pytest.mark.parametrize("text, expected", [
    ("四川省成都市双流县东升街道1号", ("四川省", "成都市", "双流区", "东升街道1号")),
    ("北京市密云县鼓楼大街1号", ("北京市", "北京市", "密云区", "鼓楼大街1号")),
    ("浙江省杭州市萧山市城厢街道", ("浙江省", "杭州市", "萧山区", "城厢街道")),
    ("江苏省苏州市吴江市松陵镇", ("江苏省", "苏州市", "吴江区", "松陵镇")),
    ("广东省广州市从化市街口街道", ("广东省", "广州市", "从化区", "街口街道")),
    ("广东省广州市增城市荔城街道", ("广东省", "广州市", "增城区", "荔城街道")),
    ("浙江省杭州市富阳市富春街道", ("浙江省", "杭州市", "富阳区", "富春街道")),
    ("河北省石家庄市藁城市廉州镇", ("河北省", "石家庄市", "藁城区", "廉州镇")),
    ("湖南省长沙市望城县高塘岭街道", ("湖南省", "长沙市", "望城区", "高塘岭街道")),
    ("广东省佛山市南海市桂城街道", ("广东省", "佛山市", "南海区", "桂城街道")),
    ("江苏省南京市江宁县东山镇", ("江苏省", "南京市", "江宁区", "东山镇")),
    ("广东省揭阳市揭东县曲溪镇", ("广东省", "揭阳市", "揭东区", "曲溪镇")),
    ("北京市顺义县", ("北京市", "北京市", "顺义区", None)),
    ("北京延庆县", ("北京市", "北京市", "延庆区", None)),
    ("上海市崇明县城桥镇", ("上海市", "上海市", "崇明区", "城桥镇")),     # 城桥镇: a town, not 县城
    ("四川省成都市双流县城关镇", ("四川省", "成都市", "双流区", "城关镇")),
    ("四川省成都市双流县1号", ("四川省", "成都市", "双流区", "1号")),
    ("四川省成都市双流县县前街", ("四川省", "成都市", "双流区", "县前街")),        # 县前街 after 双流县
    ("成都双流县东升街道", ("四川省", "成都市", "双流区", "东升街道")),           # no province written
    ("四川 成都 双流 县 东升街道", ("四川省", "成都市", "双流区", "东升街道")),     # the suffix a word of its own
    ("杭州市富阳市场口镇", ("浙江省", "杭州市", "富阳区", "场口镇")),              # 场口镇, not a market
    ("贵州省毕节地区七星关区", ("贵州省", "毕节市", "七星关区", None)),            # a prefecture, now a city
    ("贵州省铜仁地区碧江区", ("贵州省", "铜仁市", "碧江区", None)),
])
def test_an_old_suffix_after_a_short_name_is_read_with_the_division(gaz, text, expected):
    parsed = parse_address(text, gaz)
    assert parsed[:4] == expected and not parsed[4]


@pytest.mark.parametrize("text, expected", [
    # the suffix starts the street's first word: a market, a street or town of one more character, a county road
    ("浙江省杭州市萧山市场路1号", ("浙江省", "杭州市", "萧山区", "市场路1号")),
    ("浙江省杭州市萧山市场", ("浙江省", "杭州市", "萧山区", "市场")),
    ("浙江省杭州市萧山市心北路1号", ("浙江省", "杭州市", "萧山区", "市心北路1号")),
    ("广东省广州市番禺市桥街道1号", ("广东省", "广州市", "番禺区", "市桥街道1号")),
    ("四川省成都市双流县城", ("四川省", "成都市", "双流区", "县城")),
    ("四川省成都市双流县前街", ("四川省", "成都市", "双流区", "县前街")),
    ("北京市密云县道X001", ("北京市", "北京市", "密云区", "县道X001")),
    # a suffix written apart from the name is a district's (青岛's 市南区), as before
    ("山东 青岛 市南区 香港中路10号", ("山东省", "青岛市", "市南区", "香港中路10号")),
    ("四川,乐山,市中区", ("四川省", "乐山市", "市中区", None)),
    ("浙江省 杭州 市民中心", ("浙江省", "杭州市", None, "市民中心")),
    # a new area (a development zone), the civic centre, an office of the division
    ("浙江省杭州市萧山新区1号", ("浙江省", "杭州市", "萧山区", "新区1号")),
    ("深圳福田市民中心", ("广东省", "深圳市", "福田区", "市民中心")),
    ("江苏省常州市武进市政府", ("江苏省", "常州市", "武进区", "市政府")),
    # full names are read as before (吉林市 the city after the province 吉林)
    ("吉林吉林市船营区", ("吉林省", "吉林市", "船营区", None)),
    ("浙江省杭州市萧山区城厢街道", ("浙江省", "杭州市", "萧山区", "城厢街道")),
])
def test_a_suffix_that_starts_the_street_stays_in_it(gaz, text, expected):
    assert parse_address(text, gaz)[:4] == expected


@pytest.mark.parametrize("text, expected", [
    ("北京市崇文区", ("北京市", "北京市", "东城区", None)),
    ("北京市宣武区广安门内大街1号", ("北京市", "北京市", "西城区", "广安门内大街1号")),
    ("上海市闸北区", ("上海市", "上海市", "静安区", None)),
    ("上海市卢湾区淮海中路1号", ("上海市", "上海市", "黄浦区", "淮海中路1号")),
    ("江苏省南京市白下区中山南路1号", ("江苏省", "南京市", "秦淮区", "中山南路1号")),
    ("天津市塘沽区", ("天津市", "天津市", "滨海新区", None)),
    ("湖北省襄樊市樊城区", ("湖北省", "襄阳市", "樊城区", None)),
    ("襄樊市樊城区", ("湖北省", "襄阳市", "樊城区", None)),
    # a place named like the old district is not it: 崇文门 is a gate (in 东城区, but not written as a district)
    ("北京崇文门外大街1号", ("北京市", "北京市", None, "崇文门外大街1号")),
])
def test_merged_and_renamed_divisions_read_as_the_current_one(gaz, text, expected):
    """rules: addresses.aliases holds the former names (崇文区: 东城区)."""
    assert parse_address(text, gaz)[:4] == expected


def test_several_aliases_may_name_one_division(rules):
    """Two former names of one division (塘沽区 and 汉沽区 of 滨海新区) are both read: none replaces the other."""
    std = rules.standardization
    aliases = {**std.address_aliases, "汉沽区": "滨海新区", "大港区": "滨海新区"}
    gaz = build_gazetteer(tuple(std.address_suffixes), tuple(sorted(aliases.items())))
    assert [parse_address(t, gaz)[2] for t in ("天津市塘沽区", "天津市汉沽区", "天津市大港区")] == ["滨海新区"] * 3
