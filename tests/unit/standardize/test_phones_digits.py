"""phones._parse_digits takes a short way through phonenumbers.parse for keys of ASCII digits ('+' first or not):
it must give what parse gives, on the metadata's own example numbers and on random keys of every length and
country code, in every region."""
import random

import phonenumbers
import pytest
from phonenumbers import NumberParseException
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from pipelines.standardize import phones


def _library(text: str, region: str = "ZZ"):
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def _examples() -> list[str]:
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(11):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return out


def _random_keys(n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    codes = sorted(COUNTRY_CODE_TO_REGION_CODE)
    keys = []
    for _ in range(n):
        code = str(rnd.choice(codes)) if rnd.random() < 0.9 else str(rnd.randint(0, 999))
        keys.append("+" + code + "".join(rnd.choice("0123456789") for _ in range(rnd.randint(0, 19))))
    return keys + ["+", "+1", "+86", "+861", "+8613800138000", "+0086138", "+00", "+3906698", "+390669812345"]


@pytest.mark.parametrize("keys", [_examples(), _random_keys(40000)], ids=["examples", "random"])
def test_short_way_gives_what_parse_gives(keys):
    assert len(keys) > 1000
    differ = [k for k in keys if phones._parse_digits(k, "ZZ") != _library(k)]
    assert differ == []


def _national_keys(n: int, seed: int = 11) -> list[tuple[str, str]]:
    """Random digits in random regions: national numbers, trunk and IDD prefixes, country codes without '+'."""
    rnd = random.Random(seed)
    regions = sorted(phonenumbers.SUPPORTED_REGIONS) + ["ZZ"]
    codes = sorted(COUNTRY_CODE_TO_REGION_CODE)
    out = []
    for _ in range(n):
        region = rnd.choice(regions)
        head = rnd.choice(["", "", "0", "00", "011", "+", "+0", "8", str(rnd.choice(codes)), "+" + str(rnd.choice(codes))])
        out.append((head + "".join(rnd.choice("0123456789") for _ in range(rnd.randint(0, 16))), region))
    for region in ("CN", "US", "IT", "GB", "DE", "HK", "TW", "JP", "RU", "BR", "AR", "MX"):
        for kind in range(11):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
                out.append(("".join(c for c in national if c.isdigit()), region))
                out.append((str(number.country_code) + str(number.national_number), region))
    return out


def test_short_way_gives_what_parse_gives_in_every_region():
    keys = [(t, r) for t, r in _national_keys(60000) if phones._DIGITS_ONLY.fullmatch(t)]
    assert len(keys) > 40000
    differ = [(t, r) for t, r in keys if phones._parse_digits(t, r) != _library(t, r)]
    assert differ == []


def test_short_way_is_taken_only_for_plus_and_ascii_digits():
    assert phones._parse("+8613800138000", "ZZ") == _library("+8613800138000")
    # full-width digits, separators and a region go through parse itself
    assert phones._parse("+８６13800138000", "ZZ") == _library("+８６13800138000")
    assert phones._parse("+86 138 0013 8000", "ZZ") == _library("+86 138 0013 8000")
    assert phones._parse("13800138000", "CN").national_number == 13800138000
    assert phones.standardize_phone(("+8613800138000", None))[:3] == ("+8613800138000", True, "mobile")
    assert phones.standardize_phone(("+39066981234", None))[0] == "+39066981234"   # Italian leading zero kept
