"""Golden records by survivorship, on a hand-made table of matched records in DuckDB."""
from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.matching.golden import golden_sql
from pipelines.rules import GOLDEN_FIELDS, load_survivorship

REPO = Path(__file__).resolve().parents[3]


def _golden(rows: list[dict]) -> dict:
    con = duckdb.connect()
    columns = list(GOLDEN_FIELDS) + ["phone_valid", "email_valid", "phone_extension"]
    con.execute("create table matched (master_id varchar, source_system varchar, source_record_id varchar, "
                "updated_at timestamp, first_seen date, last_seen date, "
                + ", ".join(f"{c} {'boolean' if c.endswith(('_valid', 'opt_out')) else 'varchar'}" for c in columns)
                + ")")
    for i, row in enumerate(rows):
        values = {"master_id": "CM-1", "source_record_id": str(i), "updated_at": f"2026-11-{10 + i} 00:00:00",
                  "first_seen": "2026-11-20", "last_seen": "2026-11-20", **row}
        con.execute(f"insert into matched ({', '.join(values)}) values ({', '.join('?' * len(values))})",
                    list(values.values()))
    result = con.execute(golden_sql(load_survivorship(REPO / "rules")))
    return dict(zip([d[0] for d in result.description], result.fetchall()[0]))


def test_an_unknown_gender_never_outvotes_a_known_one():
    golden = _golden([{"source_system": "wukong", "gender": "U"}, {"source_system": "wukong", "gender": "U"},
                      {"source_system": "hubspot", "gender": "M"}])
    assert (golden["gender"], golden["gender_source"]) == ("M", "hubspot")
    assert _golden([{"source_system": "wukong", "gender": "U"}])["gender"] == "U"   # nothing better known


def test_a_phone_keeps_the_extension_of_the_record_it_comes_from():
    golden = _golden([{"source_system": "wukong", "phone": "+8675526888888", "phone_valid": True,
                       "phone_extension": "8001"},
                      {"source_system": "hubspot", "phone": "+8613800138000", "phone_valid": False,
                       "phone_extension": "12"}])   # newer, but invalid: its extension does not come along
    assert (golden["phone"], golden["phone_extension"], golden["phone_source"]) == ("+8675526888888", "8001", "wukong")
    newest = _golden([{"source_system": "wukong", "phone": "+8675526888888", "phone_valid": True,
                       "phone_extension": "8001"},
                      {"source_system": "hubspot", "phone": "+8613800138000", "phone_valid": True}])
    assert (newest["phone"], newest["phone_extension"]) == ("+8613800138000", None)


def test_an_opt_out_in_any_source_wins_over_a_newer_default_no():
    """Salesforce's HasOptedOutOfEmail is false unless set: a newer Salesforce record must not undo HubSpot's
    unsubscribe in the golden record (a compliance matter)."""
    golden = _golden([{"source_system": "hubspot", "email_opt_out": True},
                      {"source_system": "salesforce", "email_opt_out": False}])   # newer
    assert (golden["email_opt_out"], golden["email_opt_out_source"]) == (True, "hubspot")
    assert _golden([{"source_system": "salesforce", "email_opt_out": False},
                    {"source_system": "hubspot", "email_opt_out": False}])["email_opt_out"] is False


def test_an_address_survives_whole_from_one_record():
    """Picked part by part, Portland's street and postcode went under Seattle's city and state: an address no
    record holds. The newest record with a street gives every part, its empty ones included."""
    golden = _golden([
        {"source_system": "salesforce", "street": "77 Elm St", "city": "Portland", "province": "OR",
         "postcode": "97201"},
        {"source_system": "hubspot", "city": "Seattle", "province": "WA"},                     # newer, no street
        {"source_system": "salesforce", "street": "9 Pine Ave", "city": "Seattle", "province": "WA"},  # newest
    ])
    assert [golden[f] for f in ("street", "city", "province", "postcode")] == ["9 Pine Ave", "Seattle", "WA", None]
    assert golden["street_source"] == golden["city_source"] == "salesforce" and golden["postcode_source"] is None
    only_city = _golden([{"source_system": "hubspot", "city": "Beijing"}])
    assert (only_city["city"], only_city["street"]) == ("Beijing", None)


def test_address_parts_with_their_own_strategy_are_a_rules_error(tmp_path):
    import shutil

    import pytest

    from pipelines.rules import RulesError

    shutil.copytree(REPO / "rules", tmp_path / "rules")
    path = tmp_path / "rules" / "survivorship.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  city: most_recent", "  city: most_frequent"),
                    encoding="utf-8")
    with pytest.raises(RulesError, match="fields.city: an address survives whole"):
        load_survivorship(tmp_path / "rules")
