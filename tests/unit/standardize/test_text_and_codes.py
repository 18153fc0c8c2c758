import pandas as pd
import pytest

from pipelines.standardize import codes, emails, text


@pytest.mark.parametrize("raw, expected", [
    ("  张三  ", "张三"),
    ("ＡＢＣ　１２３", "ABC 123"),
    ("a\u200bb", "ab"),
    ("N/A", None),
    ("无", None),
    ("   ", None),
    ("\u202eZhang\u200d Wei", "Zhang Wei"),  # a bidirectional override and a zero-width joiner
    ("Li\x00Na\x1f", "Li Na"),  # control characters are separators at most
    ("A\u00adnn\u2060", "Ann"),  # soft hyphen, word joiner
    ("\u200b", None),
])
def test_clean_text(rules, raw, expected):
    assert text.clean_text(raw, frozenset(rules.standardization.null_tokens)) == expected


@pytest.mark.parametrize("raw, expected, unknown", [
    ("男", "M", False), ("女士", "F", False), ("Male", "M", False), ("f", "F", False), ("先生", "M", False),
    ("未知", "U", False), ("?", "U", True), (None, "U", False),
    ("Mx.", "U", False), ("m.", "M", False), ("Feminine", "F", False), ("남", "M", False), ("여성", "F", False),
])
def test_gender(rules, raw, expected, unknown):
    gender, flag = codes.standardize_gender(pd.Series([raw], dtype=object), rules.standardization.gender)
    assert gender[0] == expected
    assert bool(flag[0]) is unknown


@pytest.mark.parametrize("raw, expected", [
    ("中国", "CN"), ("China", "CN"), ("USA", "US"), ("united states", "US"), ("de", "DE"), ("Narnia", None),
    # names ISO changed or never used, still common in exports
    ("Turkey", "TR"), ("U.K.", "GB"), ("Northern Ireland", "GB"), ("The Netherlands", "NL"), ("Burma", "MM"),
    ("Ivory Coast", "CI"), ("中國大陸", "CN"), ("한국", "KR"),
])
def test_country(rules, raw, expected):
    country, unknown = codes.standardize_country(pd.Series([raw], dtype=object), rules.standardization.countries)
    assert country[0] == expected
    assert bool(unknown[0]) is (expected is None)


@pytest.mark.parametrize("raw, expected", [
    ("J.Doe@Example.COM", "j.doe@example.com"),
    ("mailto:<a@b.co>", "a@b.co"),
    ("zhang.san@163.com", "zhang.san@163.com"),
    ("张三@例子.公司", "张三@例子.公司"),
    ("bad@", None),
    ("foo at bar.com", None),
    ("a@b..com", None),
    ('"Zhang San" <ZS@qq.com>', "zs@qq.com"),  # a display name copied from a mail client
    ("zs@qq.com (工作)", "zs@qq.com"),  # a note after the address
    ("a@b.com; c@d.com", "a@b.com"),  # several addresses: the first is the primary one
    ("a@b.com,c@d.com", "a@b.com"),
    ("zs @ qq.com", "zs@qq.com"),
    ("a" * 64 + "@qq.com", "a" * 64 + "@qq.com"),
    ("a" * 65 + "@qq.com", None),   # a local part over 64 octets (RFC 5321): refused by mail servers
])
def test_email(raw, expected):
    email, valid = emails.standardize_email(raw)
    assert email == expected
    assert valid is (expected is not None)


def test_fullwidth_at_is_folded_before_email_check(rules):
    cleaned = text.clean_text("wang＠１６３.com", frozenset())
    assert emails.standardize_email(cleaned) == ("wang@163.com", True)


def test_booleans(rules):
    out = codes.standardize_boolean(pd.Series(["true", "是", "0", "maybe", None], dtype=object),
                                    rules.standardization.booleans)
    assert out.tolist() == [True, True, False, None, None]


def test_remembered_domain_checks_give_the_library_verdicts():
    """The memoised domain check (emails._remember_domain_checks) changes no result: every address of a
    hostile corpus gets the same verdict and normal form as from the library's own check, on first sight of
    its domain and again from memory."""
    import sys

    from email_validator import EmailNotValidError, validate_email

    module = sys.modules["email_validator.validate_email"]
    remembered = module.validate_email_domain_name
    assert hasattr(remembered, "cache_info")
    domains = ["qq.com", "QQ.COM", "例子.公司", "xn--fsqu00a.xn--55qx5d", "b..com", "-bad.com", "a" * 300 + ".com",
               "münchen.de", "MÜNCHEN.DE", "exa_mple.com", "example.com.", "localhost", "1.2.3.4", "⒈.com",
               "test.invalid", "mail.163.com", "x.y.z.example.org", "e\u0301xample.com"]
    locals_ = ["zhang.san", "ZS", "张三", "a+tag", "\"quoted\"", "postmaster", "x" * 70]
    corpus = [f"{l}@{d}" for l in locals_ for d in domains]

    def verdict(address):
        try:
            info = validate_email(address, check_deliverability=False, allow_smtputf8=True)
            return info.normalized, info.ascii_email
        except EmailNotValidError as error:
            return type(error).__name__

    module.validate_email_domain_name = remembered.__wrapped__
    try:
        expected = [verdict(a) for a in corpus]
    finally:
        module.validate_email_domain_name = remembered
    remembered.cache_clear()
    assert [verdict(a) for a in corpus] == expected
    assert [verdict(a) for a in corpus] == expected
    assert remembered.cache_info().hits > 0


def test_countries_in_any_iso_spelling_and_the_rules_own(rules):
    """ISO 3166 codes and names in English and other languages (pycountry) besides the rules' short list; the
    rules' list wins, an unknown name is flagged."""
    import pandas as pd

    from pipelines.standardize.codes import standardize_country

    values = ["Brazil", "BRA", "巴西", "Brasilien", "Korea, Republic of", "Viet Nam", "Hong Kong SAR",
              "Mainland China", "中国香港特别行政区", "UAE", "Switzerland", "Atlantis", None]
    codes, unknown = standardize_country(pd.Series(values, dtype=object), rules.standardization.countries)
    assert codes.tolist() == ["BR", "BR", "BR", "BR", "KR", "VN", "HK", "CN", "HK", "AE", "CH", None, None]
    assert unknown.tolist() == [False] * 11 + [True, False]


@pytest.mark.parametrize("cell", [". zs@qq.com", "zs@qq.com 微信同号", "Zhang San zs@qq.com", "张三 zs@qq.com", "zs@qq.com;",
                                  "zs@qq.com,", "zs@qq.com.", "zs@qq.com、", "邮箱:zs@qq.com", "Email: zs@qq.com",
                                  "zs @ qq.com", "zs@qq.com 13800138000",
                                  # the address in brackets after a name, several with a slash, Excel's text mark,
                                  # a quoted local part that needs no quotes, HTML pasted with it
                                  "Zhang San (zs@qq.com)", "张三(zs@qq.com)", "[zs@qq.com]", "【zs@qq.com】",
                                  "zs@qq.com/ls@163.com", "'zs@qq.com", '"zs"@qq.com', "zs@qq.com<br>",
                                  "<b>zs@qq.com</b>", "zs@qq.com (zs@163.com)"])
def test_an_email_cell_with_words_labels_or_punctuation_gives_its_address(cell):
    """Words beside the address were glued to it (zs@qq.com微信同号, zhangsanzs@qq.com: valid and wrong), and a
    label or a left-over separator made it invalid."""
    from pipelines.standardize.emails import standardize_email

    assert standardize_email(cell) == ("zs@qq.com", True)


@pytest.mark.parametrize("cell", [".li@x.cn", "Email: .li@x.cn", "; .li@x.cn"])
def test_a_dot_before_an_address_is_part_of_it_not_punctuation(cell):
    """email-validator refuses a local part starting with a dot: it is not cut off into another, valid address."""
    from pipelines.standardize.emails import standardize_email

    assert standardize_email(cell) == (None, False)


@pytest.mark.parametrize("cell, expected", [("zs@qq .com", "zs@qq.com"), ("zhang san@163.com", "zhangsan@163.com")])
def test_an_address_typed_with_spaces_is_joined_not_cut(cell, expected):
    from pipelines.standardize.emails import standardize_email

    assert standardize_email(cell) == (expected, True)


def test_a_bare_address_skips_address_part_and_gets_the_same_answer():
    """standardize_email leaves a bare address (one @, no brackets, separators or labels) to email-validator as
    it is: on random cells of the characters address_part and the wrapping pattern act on, that must be what
    address_part would have made of it."""
    import random

    rnd = random.Random(3)
    plain, special = list("ab.1-_+") * 6 + ["@"] * 4 + ["微信"], list(" <>();,:：、，；。\"'") + ["mailto:", "\u3000"]
    checked = 0
    for _ in range(20000):
        cell = "".join(rnd.choice(plain if rnd.random() < 0.9 else special) for _ in range(rnd.randint(1, 12)))
        if emails._BARE.fullmatch(cell) and cell.strip(emails._AROUND) == cell:
            checked += 1
            assert emails._WRAPPING.sub("", emails.address_part(cell)).replace(" ", "") == cell, cell
    assert checked > 100


def test_plain_split_gives_what_email_validator_splits():
    """emails.plain_split takes the short way for ASCII addresses without quotes or angle brackets: on random
    ASCII text it must give email-validator's own split_email answer wherever it gives one."""
    import random

    from email_validator.syntax import split_email

    rnd = random.Random(5)
    alphabet = list("ab.1-_+ ") * 4 + list("@@@\\()[]:;,!#$%&'*/=?^`{|}~\t")
    checked = 0
    for _ in range(20000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 14)))
        short = emails.plain_split(text)
        if short is not None:
            checked += 1
            assert short == split_email(text), text
    assert checked > 5000
    assert emails.plain_split('"a b"@x.com') is None and emails.plain_split("A <a@x.com>") is None
    assert emails.plain_split("张@x.com") is None and emails.plain_split("ax.com") is None


def test_validate_email_module_uses_the_short_split_and_keeps_verdicts():
    import sys

    module = sys.modules["email_validator.validate_email"]   # the package's validate_email is the function
    assert module.split_email.library_split is not None
    assert emails.standardize_email("Zhang.San@QQ.com") == ("zhang.san@qq.com", True)
    assert emails.standardize_email("a@b@c.com") == (None, False)
    assert emails.standardize_email("postmaster@qq.com") == ("postmaster@qq.com", True)
    cells = ["Zhang.San@QQ.com", "a@b@c.com", '"zs"@qq.com', "a..b@qq.com", "a@qq", "a@localhost", "x@[1.2.3.4]",
             "张三@qq.com", "POSTMASTER@x.com", "a@" + "b" * 70 + ".com", ".a@x.com", "a@-x.com", "a b@x.com"]
    ours = [emails.standardize_email(c) for c in cells]
    patched, module.split_email = module.split_email, module.split_email.library_split
    try:
        assert ours == [emails.standardize_email(c) for c in cells]
    finally:
        module.split_email = patched


@pytest.mark.parametrize("cell", ["zs@qq.com)", "(zs@qq.com", "zs@qq.com]", "【zs@qq.com"])
def test_a_bracket_without_its_partner_is_punctuation_not_part_of_the_address(cell):
    from pipelines.standardize.emails import standardize_email

    assert standardize_email(cell) == ("zs@qq.com", True)


@pytest.mark.parametrize("cell", ["<script>alert(1)</script>@x.com", "<b>zs</b>@qq.com"])
def test_a_tag_is_never_joined_away_into_another_address(cell):
    """HTML around words before an @ made a mailbox nobody wrote (alert@x.com), valid, which exact-e-mail
    matching could merge with a real one."""
    from pipelines.standardize.emails import standardize_email

    assert standardize_email(cell) == (None, False)


@pytest.mark.parametrize("cell, expected", [
    ("a@b.c", (None, False)), ("john@example.c0m", (None, False)), ("john@163.con", (None, False)),
    ("john@company.corp", (None, False)),
    ("zs@qq.com", ("zs@qq.com", True)), ("li@mail.example.co.uk", ("li@mail.example.co.uk", True)),
    ("john@例子.中国", ("john@例子.中国", True)), ("wang@example.xn--fiqs8s", ("wang@example.中国", True)),
])
def test_an_address_whose_domain_ends_in_no_real_top_level_domain_is_invalid(cell, expected):
    """email-validator checks syntax only: the Public Suffix List (shipped, read offline) knows the real TLDs."""
    from pipelines.standardize.emails import standardize_email

    assert standardize_email(cell) == expected
