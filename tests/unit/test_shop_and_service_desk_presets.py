"""The shopify and zendesk presets read their products' real exports (headers as the products write them) through
ingest and cleansing: fields land in their canonical columns, Shopify's apostrophe-marked ids and phones are
read, its opt-in columns become opt-outs, and every row ends clean or quarantined."""
from __future__ import annotations

import json

import pytest

from pipelines import cleanse
from pipelines.ingest import ingest_partition, with_constants
from pipelines.warehouse.store import connect, replace_partition

NIGHT = "2026-11-25"

# Shopify's current layout (Customer ID, Default Address …)
SHOPIFY_NOW = (
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
    "Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,"
    "Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,"
    "Total Spent,Total Orders,Note,Tax Exempt,Tags\n"
    "'7291234567890,Ann,Lee,ann.lee@example.org,yes,Acme,1 Main St,Unit 2,Ottawa,ON,CA,'K1A 0B1,"
    "'+16132384171,'+16132384170,no,42.50,3,,no,vip\n"
    "'7291234567891,Bob,Ray,bob.ray@example.org,no,,2 Elm St,,Springfield,IL,US,'62701,'+12177822000,,"
    "yes,0.00,0,,no,\n"
    "'7291234567892,Cy,Fox,cy.fox@example.org,,,,,,,,,,,,0.00,0,,no,\n")
# Shopify's older layout: no id, Company / Address1 / Province …, Accepts Marketing
SHOPIFY_OLD = (
    "First Name,Last Name,Email,Company,Address1,Address2,City,Province,Province Code,Country,Country Code,Zip,"
    "Phone,Accepts Marketing,Total Spent,Total Orders,Tags,Note,Tax Exempt\n"
    "Dee,Ng,dee.ng@example.org,Initech,3 Oak Ave,,Toronto,Ontario,ON,Canada,CA,M5V 2T6,'+14163921234,no,10.00,1,,,"
    "no\n"
    "Eve,Po,eve.po@example.org,,4 Pine Rd,,Toronto,Ontario,ON,Canada,CA,M5V 2T7,,yes,5.00,1,,,no\n")
# Zendesk's JSON export of users: one Users API object per line
ZENDESK_USERS = [
    {"id": 35436, "url": "https://example.zendesk.com/api/v2/users/35436.json", "name": "Johnny Doe",
     "email": "johnny@example.com", "created_at": "2009-07-20T22:55:29Z", "updated_at": "2011-05-05T10:38:52Z",
     "time_zone": "Copenhagen", "iana_time_zone": "Europe/Copenhagen", "phone": "+4533123456",
     "locale": "en-US", "organization_id": 57542, "role": "end-user", "verified": True, "active": True,
     "tags": ["vip"], "last_login_at": "2011-05-05T10:38:52Z", "user_fields": {"plan": "gold"}},
    {"id": 35437, "name": "Mary Roe", "email": "mary.roe@example.com", "created_at": "2010-01-02T03:04:05Z",
     "updated_at": "2010-01-02T03:04:05Z", "time_zone": "Eastern Time (US & Canada)", "phone": None,
     "locale": "en-US", "organization_id": None, "role": "end-user", "active": True, "tags": [],
     "last_login_at": None, "user_fields": {"plan": None}},
]


def _land(root, source: str, name: str, text: str) -> None:
    folder = root / source / NIGHT
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def _cleansed(tmp_path, rules, landing) -> tuple[list[dict], dict, list[dict], list[tuple]]:
    """(raw rows, the files' ledger by file, customers_clean rows, quarantine rows) of the landed night, run
    through ingest and the night's cleansing in a real DuckDB file."""
    result = ingest_partition(landing, NIGHT, rules.sources)
    raw = with_constants(result.raw, partition_date=NIGHT, run_id="r")
    with connect(tmp_path / "w.duckdb") as con:
        replace_partition(con, NIGHT, {"raw_customers": raw})
        summary = cleanse.cleanse_night(con, NIGHT, rules, "r")
        clean = con.execute("select * from customers_clean order by source_file, source_line").df()
        quarantine = con.execute("select source_file, source_line, rule from quarantine").fetchall()
    assert summary.clean + summary.quarantined == raw.num_rows   # nothing is lost
    assert len(clean) == summary.clean
    ledger = {r["source_file"].rsplit("/", 1)[1]: r for r in result.files.to_dict("records")}
    return raw.to_pylist(), ledger, clean.to_dict("records"), quarantine


@pytest.fixture(scope="module")
def shop(tmp_path_factory, rules):
    root = tmp_path_factory.mktemp("shop")
    _land(root / "landing", "shopify", "customers_export.csv", SHOPIFY_NOW)
    _land(root / "landing", "shopify", "customers_export_old.csv", SHOPIFY_OLD)
    return _cleansed(root, rules, root / "landing")


def test_both_shopify_layouts_are_read_and_every_row_ends_somewhere(shop):
    raw, ledger, clean, quarantine = shop
    assert {name: (f["status"], f["rows_read"]) for name, f in ledger.items()} == {
        "customers_export.csv": ("read", 3), "customers_export_old.csv": ("read", 2)}
    assert len(clean) + len(quarantine) == len(raw) == 5 and quarantine == []


def test_shopify_ids_and_phones_lose_their_apostrophe(shop):
    raw, _, clean, _ = shop
    now = {r["given_name"]: r for r in raw if r["source_file"].endswith("customers_export.csv")}
    assert [now[n]["source_record_id"] for n in ("Ann", "Bob", "Cy")] == [
        "7291234567890", "7291234567891", "7291234567892"]
    assert now["Ann"]["phone"] == "+16132384170" and now["Ann"]["postcode"] == "K1A 0B1"
    by_name = {r["given_name"]: r for r in clean}
    assert by_name["Ann"]["phone"] == "+16132384170" and by_name["Ann"]["phone_valid"]
    # the customer's own phone first; the default address's phone where it is empty, kept in extra otherwise
    assert by_name["Bob"]["phone"] == "+12177822000"
    assert json.loads(now["Ann"]["extra"])["Default Address Phone"] == "'+16132384171"


def test_the_older_layout_without_ids_is_keyed_by_its_surrogate_fields_stably(shop, tmp_path, rules):
    raw, *_ = shop
    old = [r["source_record_id"] for r in raw if r["source_file"].endswith("_old.csv")]
    assert all(i.startswith("sk-") for i in old) and len(set(old)) == 2
    _land(tmp_path, "shopify", "again.csv", SHOPIFY_OLD)   # delivered again: the same ids
    again = ingest_partition(tmp_path, NIGHT, rules.sources).raw.column("source_record_id").to_pylist()
    assert again == old


def test_shopify_columns_land_in_their_canonical_fields(shop):
    raw, _, clean, _ = shop
    by_name = {r["given_name"]: r for r in clean}
    ann, dee = by_name["Ann"], by_name["Dee"]
    assert (ann["family_name"], ann["email"], ann["company"], ann["street"], ann["city"], ann["province"],
            ann["postcode"], ann["country"]) == ("Lee", "ann.lee@example.org", "Acme", "1 Main St", "Ottawa", "ON",
                                                 "K1A 0B1", "CA")
    assert (dee["company"], dee["street"], dee["city"], dee["province"], dee["postcode"], dee["country"],
            dee["phone"]) == ("Initech", "3 Oak Ave", "Toronto", "Ontario", "M5V 2T6", "CA", "+14163921234")
    extra = json.loads(next(r for r in raw if r["given_name"] == "Ann")["extra"])
    assert {"Total Spent", "Total Orders", "Tags", "Tax Exempt", "Accepts SMS Marketing",
            "Default Address Address2"} <= set(extra)


def test_shopify_opt_in_columns_become_opt_outs(shop):
    raw, _, clean, _ = shop
    assert {r["given_name"]: r["email_opt_in"] for r in raw} == {
        "Ann": "yes", "Bob": "no", "Cy": None, "Dee": "no", "Eve": "yes"}
    # yes (wants e-mail): not opted out; no: opted out; empty: not known, and no flag
    assert {r["given_name"]: r["email_opt_out"] for r in clean} == {
        "Ann": False, "Bob": True, "Cy": None, "Dee": True, "Eve": False}
    assert not any("unknown_opt_out" in list(r["quality_flags"]) for r in clean)


def test_zendesk_users_export_lands_in_canonical_fields(tmp_path, rules):
    _land(tmp_path / "landing", "zendesk", "acme-users-2026-11-25.json",
          "\n".join(json.dumps(u) for u in ZENDESK_USERS) + "\n")
    raw, ledger, clean, quarantine = _cleansed(tmp_path, rules, tmp_path / "landing")
    assert [(f["status"], f["rows_read"]) for f in ledger.values()] == [("read", 2)]
    assert len(clean) == 2 and quarantine == []
    johnny, mary = clean
    assert (johnny["source_record_id"], johnny["full_name"], johnny["given_name"], johnny["family_name"],
            johnny["email"], johnny["phone"], johnny["phone_valid"]) == (
        "35436", "Johnny Doe", "Johnny", "Doe", "johnny@example.com", "+4533123456", True)
    assert (str(johnny["created_at"]), str(johnny["updated_at"]), str(johnny["last_activity_at"])) == (
        "2009-07-20 22:55:29", "2011-05-05 10:38:52", "2011-05-05 10:38:52")
    assert (mary["source_record_id"], mary["phone"], str(mary["created_at"])) == ("35437", None,
                                                                                  "2010-01-02 03:04:05")
    extra = json.loads(next(r for r in raw if r["source_record_id"] == "35436")["extra"])
    assert extra["time_zone"] == "Copenhagen" and extra["user_fields.plan"] == "gold"
    assert "organization_id" in extra and "role" in extra


# Zendesk's users export lists the desk's staff beside its end users, and a deleted user as inactive
ZENDESK_STAFF_AND_INACTIVE = ZENDESK_USERS + [
    {"id": 35438, "name": "Sam Agent", "email": "sam@acme.example.com", "role": "agent", "active": True},
    {"id": 35439, "name": "Ada Admin", "email": "ada@acme.example.com", "role": "ADMIN ", "active": True},
    {"id": 35440, "name": "Ian Gone", "email": "ian@example.com", "role": "end-user", "active": False},
    {"id": 35441, "name": "Ina Agent", "email": "ina@acme.example.com", "role": "agent", "active": False},
    {"id": 35442, "name": "Fay Wide", "email": "fay@acme.example.com", "Role": "ａｄｍｉｎ", "active": True},
]


def test_zendesk_agents_admins_and_inactive_users_are_quarantined_not_lost(tmp_path, rules):
    """role agent / admin (any case, full-width, spaced) is no customer; active false is deleted in Zendesk. An
    inactive agent is no customer first, deleted as well. Every row ends clean or quarantined."""
    _land(tmp_path / "landing", "zendesk", "acme-users-2026-11-25.json",
          "\n".join(json.dumps(u) for u in ZENDESK_STAFF_AND_INACTIVE) + "\n")
    raw, ledger, clean, quarantine = _cleansed(tmp_path, rules, tmp_path / "landing")
    assert [(f["status"], f["rows_read"]) for f in ledger.values()] == [("read", 7)]
    assert [r["source_record_id"] for r in clean] == ["35436", "35437"]
    assert sorted((line, rule) for _, line, rule in quarantine) == [
        (3, "not_a_customer"), (4, "not_a_customer"), (5, "deleted_in_source"), (6, "not_a_customer"),
        (7, "not_a_customer")]
    with connect(tmp_path / "w.duckdb") as con:
        rows = con.execute("select source_line, field, other_rules from quarantine order by source_line").fetchall()
    # role is not mapped: quarantine.field names the header; active is read as deleted
    assert rows == [(3, "role", []), (4, "role", []), (5, "deleted", []), (6, "role", ["deleted_in_source"]),
                    (7, "role", [])]
    assert len(clean) + len(quarantine) == len(raw) == 7
