"""A CRM's 是否有效 column mapped to active, and rows named no customers by a column's values (sources.yaml
not_customers), mapped or not, through the real ingest and cleansing: quarantined with the column named, never
lost."""
from __future__ import annotations

import json
import shutil

import pytest

from pipelines import cleanse
from pipelines.ingest import ingest_partition, with_constants
from pipelines.rules import load_rules
from pipelines.warehouse.store import connect, replace_partition

NIGHT = "2026-11-25"

SOURCE = """
  crm_cn:
    description: a Chinese CRM's customer list, CSV
    file_pattern: "*.csv"
    format: csv
    record_id: 客户编号
    phone_region: CN
    columns:
      full_name: 客户名称
      phone: 手机
      company: 公司名称
      active: 是否有效
    not_customers: {客户类型: [线索, 公海], 公司名称: [本公司]}
"""
# 客户类型 is not mapped (it lives in extra); 公司名称 is mapped to company
CSV = ("客户编号,客户名称,手机,公司名称,是否有效,客户类型\n"
       "C1,张伟,13912345678,华信科技,有效,客户\n"
       "C2,李娜,13812345679,华信科技,无效,客户\n"
       "C3,王芳,13712345670,,是,线索\n"
       "C4,赵强,13612345671,,,　公海 \n"
       "C5,刘洋,13512345672,本公司,有效,客户\n"
       "C6,陈静,13412345673,,否,线索\n"
       "C7,杨帆,13312345674,,,\n")


@pytest.fixture(scope="module")
def night(tmp_path_factory, rules):
    root = tmp_path_factory.mktemp("crm_cn")
    shutil.copytree(rules.folder, root / "rules")
    sources = root / "rules" / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8") + SOURCE, encoding="utf-8")
    local = load_rules(root / "rules")
    folder = root / "landing" / "crm_cn" / NIGHT
    folder.mkdir(parents=True)
    (folder / "customers.csv").write_text(CSV, encoding="utf-8")
    result = ingest_partition(root / "landing", NIGHT, local.sources)
    raw = with_constants(result.raw, partition_date=NIGHT, run_id="r")
    with connect(root / "w.duckdb") as con:
        replace_partition(con, NIGHT, {"raw_customers": raw})
        summary = cleanse.cleanse_night(con, NIGHT, local, "r")
        clean = [r[0] for r in con.execute("select source_record_id from customers_clean order by 1").fetchall()]
        quarantine = con.execute("select source_record_id, rule, field, other_rules from quarantine "
                                 "order by 1").fetchall()
    return raw, summary, clean, quarantine


def test_every_row_ends_clean_or_quarantined(night):
    raw, summary, clean, quarantine = night
    assert summary.clean + summary.quarantined == raw.num_rows == 7
    assert clean == ["C1", "C7"] and len(quarantine) == 5


def test_是否有效_无效_is_deleted_in_the_source(night):
    _, _, clean, quarantine = night
    assert ("C2", "deleted_in_source", "deleted", []) in quarantine


def test_an_unmapped_header_names_rows_by_its_values_and_is_the_quarantined_field(night):
    """客户类型 lives in extra: 线索 and 公海 (full-width spaced) are no customers; 客户 is. An inactive lead is no
    customer first."""
    raw, _, _, quarantine = night
    assert ("C3", "not_a_customer", "客户类型", []) in quarantine
    assert ("C4", "not_a_customer", "客户类型", []) in quarantine
    assert ("C6", "not_a_customer", "客户类型", ["deleted_in_source"]) in quarantine
    assert all("客户类型" in (r["extra"] or "") for r in raw.to_pylist() if r["source_record_id"] in ("C3", "C6"))


def test_a_mapped_header_is_compared_on_its_field_and_named_by_it(night):
    _, _, _, quarantine = night
    assert ("C5", "not_a_customer", "company", []) in quarantine


def test_unmapped_headers_holding_json_path_characters_are_read_as_the_columns_they_name(tmp_path, rules):
    """DuckDB reads a key starting with $ as a JSON path and one starting with / as a JSON pointer: $type crashed
    the night's cleansing, /角色 read nothing and let staff into customers_clean. Each header names its own member,
    as written in the rules or as the file writes it (case and full-width forms aside)."""
    shutil.copytree(rules.folder, tmp_path / "rules")
    sources = tmp_path / "rules" / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8").replace(
        "not_customers: {role: [agent, admin]}",
        "not_customers: {\"$type\": [agent], \"/角色\": [员工], 'a.b \"c\"[0]': [partner]}"), encoding="utf-8")
    local = load_rules(tmp_path / "rules")
    folder = tmp_path / "landing" / "zendesk" / NIGHT
    folder.mkdir(parents=True)
    rows = [{"id": 1, "name": "Ann Lee", "$type": "end-user", "/角色": "客户", "a.b \"c\"[0]": "customer"},
            {"id": 2, "name": "Bo Chen", "$type": "ＡＧＥＮＴ"},
            {"id": 3, "name": "Cy Dow", "/角色": " 员工 "},
            {"id": 4, "name": "Di Fox", "A.B \"C\"[0]": "Partner"},
            {"id": 5, "name": "Ed Gu", "＄ＴＹＰＥ": "agent"}]
    (folder / "users.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                        encoding="utf-8")
    raw = with_constants(ingest_partition(tmp_path / "landing", NIGHT, local.sources).raw,
                         partition_date=NIGHT, run_id="r")
    with connect(tmp_path / "w.duckdb") as con:
        replace_partition(con, NIGHT, {"raw_customers": raw})
        cleanse.cleanse_night(con, NIGHT, local, "r")
        clean = con.execute("select source_record_id from customers_clean").fetchall()
        quarantine = con.execute("select source_record_id, rule, field from quarantine order by 1").fetchall()
    assert clean == [("1",)]
    assert quarantine == [("2", "not_a_customer", "$type"), ("3", "not_a_customer", "/角色"),
                          ("4", "not_a_customer", 'a.b "c"[0]'), ("5", "not_a_customer", "$type")]
