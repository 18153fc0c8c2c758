"""Customer masters through real Dagster materialisations: merges, non-merges, decisions, stable ids."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from pipelines.defs.assets import MASTER_ASSETS, NIGHTLY_ASSETS
from pipelines.defs.checks import NIGHTLY_CHECKS
from pipelines.defs.resources import PipelineConfig, expectations_resource, warehouse_resource
from pipelines.matching.decisions import record_decision
from pipelines.warehouse import holds

REPO = Path(__file__).resolve().parents[2]
NIGHTS = ("2026-11-20", "2026-11-21")

SALESFORCE = ["Id", "FirstName", "LastName", "Name", "GenderIdentity", "Birthdate", "MobilePhone", "Phone", "Email",
              "MailingStreet", "MailingCity", "MailingState", "MailingPostalCode", "MailingCountry", "Account.Name",
              "CreatedDate", "LastModifiedDate"]
PLANTED_SALESFORCE = [
    # the same person twice: only the phone's formatting and the e-mail's case differ
    ["PL-A1", "明远", "赵", "赵明远", "男", "1985-03-02", "+86 139 1234 5678", "", "Zhao.MingYuan@Example.com",
     "建国路88号", "北京市", "北京市", "100022", "CN", "", "2026-01-05T08:00:00Z", "2026-01-05T08:00:00Z"],
    ["PL-A2", "明远", "赵", "赵明远", "男", "1985-03-02", "+86-13912345678", "", "zhao.mingyuan@example.com",
     "建国路88号", "北京市", "北京市", "100022", "CN", "", "2026-02-05T08:00:00Z", "2026-02-05T08:00:00Z"],
    # two colleagues behind one company switchboard, same office address
    ["PL-S1", "James", "Miller", "James Miller", "Male", "1970-01-05", "", "+1 (212) 736-5000",
     "james.miller@acme-corp.com", "350 5th Ave", "New York", "NY", "10118", "US", "Acme Corp",
     "2026-01-05T08:00:00Z", "2026-01-05T08:00:00Z"],
    ["PL-S2", "Olivia", "Chen", "Olivia Chen", "Female", "1990-07-21", "", "+1 (212) 736-5000",
     "olivia.chen@acme-corp.com", "350 5th Ave", "New York", "NY", "10118", "US", "Acme Corp",
     "2026-01-06T08:00:00Z", "2026-01-06T08:00:00Z"],
    # before her marriage
    ["PL-M1", "Emily", "Johnson", "Emily Johnson", "Female", "1988-04-12", "+1 415 736 2671", "",
     "emily.j.writes@gmail.com", "12 Oak St", "San Francisco", "CA", "94110", "US", "",
     "2025-03-01T08:00:00Z", "2025-03-01T08:00:00Z"],
    # a father and his son: one name, one home phone, one address, birth dates 30 years apart
    ["PL-P1", "Robert", "Brown", "Robert Brown", "Male", "1955-01-01", "", "+1 617 555 0299",
     "", "30 Pine St", "Boston", "MA", "02108", "US", "", "2026-01-08T08:00:00Z", "2026-01-08T08:00:00Z"],
    ["PL-P2", "Robert", "Brown", "Robert Brown", "Male", "1985-01-01", "", "+1 617 555 0299",
     "", "30 Pine St", "Boston", "MA", "02108", "US", "", "2026-01-09T08:00:00Z", "2026-01-09T08:00:00Z"],
    # one name, spelt two ways (case, word order) by two systems
    ["PL-V1", "Wei", "Zhang", "Zhang Wei", "Male", "1979-10-03", "+86 135 0246 8135", "", "zhang.wei79@163.com",
     "人民路5号", "广州市", "广东省", "510000", "CN", "", "2026-01-07T08:00:00Z", "2026-01-07T08:00:00Z"],
]
HUBSPOT = ["Record ID", "First Name", "Last Name", "Gender", "Date of birth", "Mobile Phone Number", "Email",
           "Street Address", "City", "State/Region", "Postal Code", "Country/Region", "Create Date",
           "Last Modified Date"]
PLANTED_HUBSPOT = [
    # after it: new family name and address, same phone and e-mail
    ["HS-M2", "Emily", "Carter", "Female", "1988-04-12", "(415) 736-2671", "emily.j.writes@gmail.com",
     "48 Pine St", "San Francisco", "CA", "94108", "United States", "2026-06-01 09:00", "2026-06-01 09:00"],
    ["HS-V2", "WEI", "ZHANG", "Male", "1979-10-03", "13502468135", "Zhang.Wei79@163.com",
     "人民路5号", "广州市", "广东省", "510000", "China", "2026-06-02 09:00", "2026-06-02 09:00"],
]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def landing(small_landing, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("planted") / "landing"
    shutil.copytree(small_landing, out)
    _write(out / "salesforce" / NIGHTS[0] / "planted.csv", SALESFORCE, PLANTED_SALESFORCE)
    _write(out / "hubspot" / NIGHTS[1] / "planted.csv", HUBSPOT, PLANTED_HUBSPOT)
    return out


def _resources(landing: Path, warehouse: Path, decisions: Path) -> dict:
    return {"warehouse": warehouse_resource(str(warehouse)),
            "pipeline": PipelineConfig(landing=str(landing), rules=str(REPO / "rules"),
                                       model=str(REPO / "data/models/splink_model.json"), decisions=str(decisions)),
            "expectations": expectations_resource(warehouse, warehouse.parent / "reports")}


def _night(resources: dict, date: str) -> None:
    """A night with its checks, as the schedule runs it: rows no check has passed stay out of the masters."""
    assert materialize(NIGHTLY_ASSETS + NIGHTLY_CHECKS, partition_key=date, resources=resources,
                       instance=DagsterInstance.ephemeral()).success


def _masters(resources: dict, full: bool = False) -> None:
    config = {"ops": {"customer_master_tables": {"config": {"full_rebuild": full}}}}
    assert materialize(MASTER_ASSETS, resources=resources, instance=DagsterInstance.ephemeral(),
                       run_config=config).success


def _query(warehouse: Path, statement: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(statement, params or []).fetchall()
    finally:
        con.close()


def _master_of(warehouse: Path) -> dict[str, str]:
    return dict(_query(warehouse, "select source_system || ':' || source_record_id, master_id from customer_xref"))


def _partition(master_of: dict[str, str]) -> set[frozenset]:
    groups: dict[str, set] = {}
    for record, master in master_of.items():
        groups.setdefault(master, set()).add(record)
    return {frozenset(g) for g in groups.values()}


@pytest.fixture(scope="module")
def built(landing, tmp_path_factory):
    """Night 1, masters, night 2, masters (incremental): the way the nightly schedule runs."""
    folder = tmp_path_factory.mktemp("masters")
    warehouse, decisions = folder / "warehouse.duckdb", folder / "decisions.csv"
    resources = _resources(landing, warehouse, decisions)
    for date in NIGHTS:
        _night(resources, date)
        _masters(resources)
    return warehouse, resources, decisions


def test_phone_format_and_email_case_merge(built):
    master_of = _master_of(built[0])
    assert master_of["salesforce:PL-A1"] == master_of["salesforce:PL-A2"]


def test_switchboard_colleagues_stay_apart(built):
    master_of = _master_of(built[0])
    assert master_of["salesforce:PL-S1"] != master_of["salesforce:PL-S2"]


def test_married_name_change_merges_and_keeps_the_former_name(built):
    warehouse = built[0]
    master_of = _master_of(warehouse)
    master = master_of["salesforce:PL-M1"]
    assert master_of["hubspot:HS-M2"] == master
    names = dict(_query(warehouse, "select full_name, is_current from customer_name_history where master_id = ?",
                        [master]))
    assert names == {"Emily Carter": True, "Emily Johnson": False}
    golden = _query(warehouse, "select full_name, phone, record_count from customer_master where master_id = ?",
                    [master])
    assert golden == [("Emily Carter", "+14157362671", 2)]


def test_spellings_of_one_name_are_not_former_names(built):
    """Zhang Wei in one system and WEI ZHANG in another are one name, not a name change (曾用名)."""
    warehouse = built[0]
    master_of = _master_of(warehouse)
    master = master_of["salesforce:PL-V1"]
    assert master_of["hubspot:HS-V2"] == master
    golden = _query(warehouse, "select full_name from customer_master where master_id = ?", [master])[0][0]
    names = _query(warehouse, "select full_name, is_current, sources from customer_name_history where master_id = ?",
                   [master])
    assert names == [(golden, True, ["hubspot", "salesforce"])]


def test_a_parent_and_child_of_one_name_and_home_stay_apart(built):
    """Birth dates ten years apart or more are never merged on their own (rules/matching.yaml
    birth_years_apart): 1955 and 1985 differ by one digit, which the model reads as a typo."""
    warehouse, _, _ = built
    master_of = _master_of(warehouse)
    assert master_of["salesforce:PL-P1"] != master_of["salesforce:PL-P2"]


def test_every_clean_record_has_exactly_one_master(built):
    warehouse = built[0]
    (records, xref, distinct_records, orphan) = _query(warehouse, """
        select (select count(distinct (source_system, source_record_id)) from customers_clean),
               (select count(*) from customer_xref),
               (select count(distinct (source_system, source_record_id)) from customer_xref),
               (select count(*) from customer_xref x anti join customer_master m using (master_id))""")[0]
    assert records == xref == distinct_records
    assert orphan == 0
    assert _query(warehouse, "select sum(record_count) from customer_master")[0][0] == records
    assert _query(warehouse, "select count(*) from match_review where master_id_l is null or master_id_r is null "
                             "or master_id_l = master_id_r") == [(0,)]


def test_rerun_issues_no_new_ids(built):
    warehouse, resources, _ = built
    before = _query(warehouse, "select * from customer_xref order by all")
    masters_before = _query(warehouse, "select master_id, issued_at from customer_master order by all")
    history_before = _query(warehouse, "select count(*) from master_id_history")
    _masters(resources)
    assert _query(warehouse, "select * from customer_xref order by all") == before
    assert _query(warehouse, "select master_id, issued_at from customer_master order by all") == masters_before
    assert _query(warehouse, "select count(*) from master_id_history") == history_before


def test_incremental_equals_full_rebuild(built, landing, tmp_path):
    warehouse, resources, _ = built
    incremental = _master_of(warehouse)
    # a warehouse that sees both nights at once and builds its masters in one full run
    fresh = tmp_path / "fresh.duckdb"
    fresh_resources = _resources(landing, fresh, tmp_path / "decisions.csv")
    for date in NIGHTS:
        _night(fresh_resources, date)
    _masters(fresh_resources, full=True)
    assert _partition(_master_of(fresh)) == _partition(incremental)
    # the same golden records too (first and last seen, opt-outs, sources), not only the same clusters
    golden = "select * exclude (master_id, issued_at) from customer_master order by all"
    assert _query(fresh, golden) == _query(warehouse, golden)
    # and an explicit full rebuild of the incremental warehouse keeps clusters and ids
    _masters(resources, full=True)
    assert _master_of(warehouse) == incremental


def test_cannot_link_splits_the_cluster_on_the_next_run(built):
    warehouse, resources, decisions = built
    merged = _master_of(warehouse)["salesforce:PL-A1"]
    record_decision(decisions, "cannot_link", "salesforce:PL-A1", "salesforce:PL-A2", decided_by="steward")
    _masters(resources)
    master_of = _master_of(warehouse)
    assert master_of["salesforce:PL-A1"] != master_of["salesforce:PL-A2"]
    assert merged in (master_of["salesforce:PL-A1"], master_of["salesforce:PL-A2"])  # the old id lives on
    split_off = ({master_of["salesforce:PL-A1"], master_of["salesforce:PL-A2"]} - {merged}).pop()
    assert _query(warehouse, "select change from master_id_history where old_id = ? and new_id = ?",
                  [merged, split_off]) == [("split",)]
    # the decided pair is not offered for review again, and the decision holds on the run after
    assert not _query(warehouse, "select * from match_review where unique_id_l in ('salesforce:PL-A1', "
                                 "'salesforce:PL-A2') and unique_id_r in ('salesforce:PL-A1', 'salesforce:PL-A2')")
    _masters(resources)
    assert _master_of(warehouse) == master_of
    # withdrawn (its line deleted from the file), the decision no longer splits them: on the next run, not only
    # after a full rebuild
    lines = decisions.read_text(encoding="utf-8").splitlines(keepends=True)
    decisions.write_text("".join(line for line in lines if "cannot_link" not in line), encoding="utf-8")
    _masters(resources)
    again = _master_of(warehouse)
    assert again["salesforce:PL-A1"] == again["salesforce:PL-A2"]


def test_steward_override_wins_over_survivorship(built):
    warehouse, resources, decisions = built
    master = _master_of(warehouse)["salesforce:PL-S1"]
    record_decision(decisions, "override", master_id=master, field_name="company", value="Acme Corporation",
                    decided_by="steward")
    _masters(resources)
    assert _query(warehouse, "select company, company_source from customer_master where master_id = ?",
                  [master]) == [("Acme Corporation", "steward")]
    # a phone override brings its own extension (or none), not the one of the record the phone came from
    record_decision(decisions, "override", master_id=master, field_name="phone",
                    value="+86 755 2688 8888 ext. 8001", decided_by="steward")
    _masters(resources)
    assert _query(warehouse, "select phone, phone_extension, phone_source from customer_master where master_id = ?",
                  [master]) == [("+8675526888888", "8001", "steward")]


def test_a_change_the_matcher_ignores_still_reaches_the_golden_record(landing, tmp_path):
    """A record's company changes on a rerun of the night: nothing the matcher scores changed, so the record is
    not scored again, but its master's golden record is rebuilt (it read the old company before)."""
    copy = tmp_path / "landing"
    shutil.copytree(landing, copy)
    resources = _resources(copy, tmp_path / "w.duckdb", tmp_path / "decisions.csv")
    _night(resources, NIGHTS[0])
    _masters(resources)
    company = ("select m.company from customer_master as m join customer_xref as x using (master_id) "
               "where x.source_record_id = 'PL-M1'")
    assert _query(tmp_path / "w.duckdb", company) == [(None,)]
    rows = [row[:14] + ["Carter & Co"] + row[15:] if row[0] == "PL-M1" else row for row in PLANTED_SALESFORCE]
    _write(copy / "salesforce" / NIGHTS[0] / "planted.csv", SALESFORCE, rows)
    _night(resources, NIGHTS[0])
    _masters(resources)
    assert _query(tmp_path / "w.duckdb", company) == [("Carter & Co",)]


def test_a_backfill_of_an_older_night_gives_the_masters_of_an_in_order_build(landing, tmp_path):
    """Nights built newest first (a backfill): the older night's change rebuilds every master, so the records'
    clusters, golden records and histories are those of the in-order build (ids aside: an id once issued is
    kept, so a cluster may carry the id of the record it was first seen with)."""
    built = {}
    for name, order in (("in_order", NIGHTS), ("backfilled", tuple(reversed(NIGHTS)))):
        resources = _resources(landing, tmp_path / f"{name}.duckdb", tmp_path / "decisions.csv")
        for date in order:
            _night(resources, date)
            _masters(resources)
        built[name] = tmp_path / f"{name}.duckdb"
    assert _partition(_master_of(built["backfilled"])) == _partition(_master_of(built["in_order"]))
    for query in ("select * exclude (master_id, issued_at) from customer_master order by all",
                  "select * exclude (master_id) from customer_name_history order by all",
                  "select * exclude (master_id) from customer_address_history order by all"):
        assert _query(built["backfilled"], query) == _query(built["in_order"], query), query
    # the backfill's full rebuild was wanted, then done: nothing left pending
    assert _query(built["backfilled"], "select count(*) from master_rebuild_pending") == [(0,)]


def _built_first_night(landing: Path, tmp_path: Path) -> tuple[Path, Path, Path, dict]:
    """A copy of the landing folder (a test may change it), its first night and the masters built from it:
    (landing copy, warehouse, decisions file, resources)."""
    copy = tmp_path / "landing"
    shutil.copytree(landing, copy)
    warehouse, decisions = tmp_path / "w.duckdb", tmp_path / "decisions.csv"
    resources = _resources(copy, warehouse, decisions)
    _night(resources, NIGHTS[0])
    _masters(resources)
    return copy, warehouse, decisions, resources


def test_a_master_whose_records_all_left_is_retired_in_the_id_history(landing, tmp_path):
    copy, warehouse, _, resources = _built_first_night(landing, tmp_path)
    planted = {m for r, m in _master_of(warehouse).items() if r.startswith("salesforce:PL-")}
    (copy / "salesforce" / NIGHTS[0] / "planted.csv").unlink()   # the night delivered again without that file
    _night(resources, NIGHTS[0])
    _masters(resources)
    assert not planted & set(_master_of(warehouse).values())
    retired = _query(warehouse, "select old_id, new_id, reason from master_id_history where change = 'retired'")
    assert {old for old, _, _ in retired} == planted
    assert all(new is None and "no longer in customers_clean" in reason for _, new, reason in retired)
    _masters(resources)   # a rerun retires nothing again
    assert _query(warehouse, "select count(*) from master_id_history where change = 'retired'") == [(len(planted),)]
    _write(copy / "salesforce" / NIGHTS[0] / "planted.csv", SALESFORCE, PLANTED_SALESFORCE)   # delivered again
    _night(resources, NIGHTS[0])
    _masters(resources)
    back = {m for r, m in _master_of(warehouse).items() if r.startswith("salesforce:PL-")}
    assert back == planted   # each person back under the id retired when their records left
    reissued = _query(warehouse, "select old_id, new_id from master_id_history where change = 'reissued'")
    assert sorted(old for old, _ in reissued) == sorted(planted) and all(old == new for old, new in reissued)
    _masters(resources)   # a rerun reissues nothing again
    assert _query(warehouse, "select count(*) from master_id_history where change = 'reissued'") == [(len(planted),)]


def test_a_stewards_survivorship_change_reaches_every_master_on_the_next_run(landing, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    resources = _resources(landing, tmp_path / "w.duckdb", tmp_path / "decisions.csv")
    resources["pipeline"] = PipelineConfig(landing=str(landing), rules=str(rules),
                                           model=str(REPO / "data/models/splink_model.json"),
                                           decisions=str(tmp_path / "decisions.csv"))
    for date in NIGHTS:
        _night(resources, date)
        _masters(resources)
    name = ("select m.full_name from customer_master as m join customer_xref as x using (master_id) "
            "where x.source_record_id = 'PL-M1'")
    assert _query(tmp_path / "w.duckdb", name) == [("Emily Carter",)]          # most recent: after the marriage
    survivorship = rules / "survivorship.yaml"
    survivorship.write_text(survivorship.read_text(encoding="utf-8").replace(
        "  full_name: most_recent", "  full_name: most_trusted"), encoding="utf-8")
    _masters(resources)                                                         # incremental: nothing else changed
    assert _query(tmp_path / "w.duckdb", name) == [("Emily Johnson",)]         # salesforce ranks first
    golden = "select * exclude (issued_at) from customer_master order by all"
    incremental = _query(tmp_path / "w.duckdb", golden)
    _masters(resources, full=True)
    assert _query(tmp_path / "w.duckdb", golden) == incremental


def test_a_record_its_source_deleted_leaves_its_master(landing, tmp_path):
    """Night 1 delivers James Miller, night 2 an "Export All" marking him deleted (IsDeleted): his night-1
    version no longer feeds a master, his master (him alone) is retired, and the incremental build equals a
    full one."""
    copy, warehouse, _, resources = _built_first_night(landing, tmp_path)
    miller = _master_of(warehouse)["salesforce:PL-S1"]
    assert [r for r, m in _master_of(warehouse).items() if m == miller] == ["salesforce:PL-S1"]
    deleted = [row for row in PLANTED_SALESFORCE if row[0] == "PL-S1"][0]
    _write(copy / "salesforce" / NIGHTS[1] / "export_all.csv", SALESFORCE + ["IsDeleted"], [deleted + ["true"]])
    _night(resources, NIGHTS[1])
    _masters(resources)
    incremental = _master_of(warehouse)
    assert "salesforce:PL-S1" not in incremental and miller not in incremental.values()
    assert _query(warehouse, "select change from master_id_history where old_id = ?", [miller]) == [("retired",)]
    assert _query(warehouse, "select count(*) from customer_name_history where full_name = 'James Miller'") == [(0,)]
    assert _deleted(warehouse) == [("salesforce", 1, 0)]
    _masters(resources, full=True)
    assert _partition(_master_of(warehouse)) == _partition(incremental)


def test_an_override_follows_its_master_through_a_merge(landing, tmp_path):
    """The steward overrode Olivia Chen's master; a must-link then merges it into James Miller's (the id of
    the record seen first survives). The override applies to the surviving master, in that run and after;
    decisions that do nothing (an id no master carries, a record not held, one record named twice, a pair both
    linked and kept apart) are reported, not silently dropped."""
    _, warehouse, decisions, resources = _built_first_night(landing, tmp_path)
    miller, chen = _master_of(warehouse)["salesforce:PL-S1"], _master_of(warehouse)["salesforce:PL-S2"]
    assert miller != chen
    record_decision(decisions, "override", master_id=chen, field_name="company", value="Chen Consulting")
    record_decision(decisions, "override", master_id="CM-000000000000", field_name="company", value="Nobody Ltd")
    record_decision(decisions, "must_link", record_a="salesforce:PL-S1", record_b="salesforce:PL-S2")
    record_decision(decisions, "must_link", record_a="salesforce:NOPE-404", record_b="salesforce:PL-M1")
    record_decision(decisions, "must_link", record_a="salesforce:PL-A1", record_b="salesforce:PL-A2")
    record_decision(decisions, "cannot_link", record_a="salesforce:PL-A2", record_b="salesforce:PL-A1")
    record_decision(decisions, "cannot_link", record_a="salesforce:PL-M1", record_b="salesforce:PL-M1")
    result = materialize(MASTER_ASSETS, resources=resources, instance=DagsterInstance.ephemeral())
    assert _master_of(warehouse)["salesforce:PL-S2"] == miller
    assert _query(warehouse, "select change from master_id_history where old_id = ?", [chen]) == [("merge",)]
    golden = "select company, company_source from customer_master where master_id = ?"
    assert _query(warehouse, golden, [miller]) == [("Chen Consulting", "steward")]
    meta = {e.asset_key.to_user_string(): e.materialization.metadata
            for e in result.get_asset_materialization_events()}["customer_master"]
    assert meta["unapplied_decisions"].value.split("; ") == [
        "override of CM-000000000000: no master carries this id (unknown, or retired with all its records)",
        "must_link salesforce:NOPE-404 salesforce:PL-M1: no clean record salesforce:NOPE-404",
        "cannot_link salesforce:PL-M1 salesforce:PL-M1: names one record twice (a Salesforce id's 15- and "
        "18-character forms are one record)",
        "must_link salesforce:PL-A1 salesforce:PL-A2 contradicts a cannot_link of the same pair: they are kept apart"]
    _night(resources, NIGHTS[1])
    record_decision(decisions, "override", master_id=miller, field_name="full_name", value="J. Miller")
    _masters(resources)
    assert _query(warehouse, golden, [miller]) == [("Chen Consulting", "steward")]
    # no record carries the steward's name: the latest seen name stays current, one row only
    current = _query(warehouse, "select count(*) from customer_name_history where master_id = ? and is_current",
                     [miller])
    assert current == [(1,)]
    # the merge undone (the must-link taken back, the pair kept apart): the override made for Olivia Chen's
    # master goes with her record, not with the master it had followed; James Miller's own override stays his
    lines = decisions.read_text(encoding="utf-8").splitlines(keepends=True)
    decisions.write_text("".join(line for line in lines if not line.startswith(
        "must_link,salesforce:PL-S1,salesforce:PL-S2")), encoding="utf-8")
    record_decision(decisions, "cannot_link", record_a="salesforce:PL-S1", record_b="salesforce:PL-S2")
    _masters(resources)
    chen_now = _master_of(warehouse)["salesforce:PL-S2"]
    assert chen_now != miller and _master_of(warehouse)["salesforce:PL-S1"] == miller
    assert _query(warehouse, golden, [chen_now]) == [("Chen Consulting", "steward")]
    assert _query(warehouse, golden, [miller]) != [("Chen Consulting", "steward")]
    assert _query(warehouse, "select full_name from customer_master where master_id = ?", [miller]) == [
        ("J. Miller",)]


def test_a_record_missing_from_a_full_delivery_leaves_its_master(tmp_path):
    """A source set to `delivery: full` delivers every live record each night. Night 2 lacks James Miller: he
    is deleted in the source, his master (him alone) is retired - but not while a file of that night is
    rejected (the delivery is not whole) - and the incremental build equals a full one. Night 3 has him again:
    he is back."""
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    sources = rules / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    sources.write_text(text.replace("  salesforce:\n", "  salesforce:\n    delivery: full\n", 1), encoding="utf-8")
    nights = ("2026-11-20", "2026-11-21", "2026-11-22")
    copy, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    without_miller = [row for row in PLANTED_SALESFORCE if row[0] != "PL-S1"]
    for night, rows in zip(nights, (PLANTED_SALESFORCE, without_miller, PLANTED_SALESFORCE)):
        _write(copy / "salesforce" / night / "contacts.csv", SALESFORCE, rows)
    broken = copy / "salesforce" / nights[1] / "contacts_part2.csv"
    _write(broken, ["Foo"], [["bar"]])   # no column of a Salesforce export: rejected
    resources = _resources(copy, warehouse, tmp_path / "decisions.csv")
    resources["pipeline"] = PipelineConfig(landing=str(copy), rules=str(rules),
                                           model=str(REPO / "data/models/splink_model.json"),
                                           decisions=str(tmp_path / "decisions.csv"))
    _night(resources, nights[0])
    _masters(resources)
    miller = _master_of(warehouse)["salesforce:PL-S1"]
    assert _query(warehouse, "select distinct delivery from ingest_files") == [("full",)]

    _night(resources, nights[1])
    _masters(resources)
    assert _query(warehouse, "select count(*) from ingest_files where status = 'rejected'") == [(1,)]
    assert _master_of(warehouse)["salesforce:PL-S1"] == miller   # a partial delivery tells no deletion
    assert _from_holds(warehouse, holds.partial_full_nights) == [(nights[1], "salesforce", "1 file(s) rejected")]

    broken.unlink()
    _night(resources, nights[1])
    result = materialize(MASTER_ASSETS, resources=resources, instance=DagsterInstance.ephemeral())
    meta = {e.asset_key.to_user_string(): e.materialization.metadata
            for e in result.get_asset_materialization_events()}["customer_master"]
    assert meta["deleted_in_sources"].value == "salesforce: 0 marked deleted or no customer, 1 missing from a full delivery"
    incremental = _master_of(warehouse)
    assert "salesforce:PL-S1" not in incremental and miller not in incremental.values()
    assert len(incremental) == len(without_miller)
    assert _query(warehouse, "select change from master_id_history where old_id = ?", [miller]) == [("retired",)]
    assert _deleted(warehouse) == [("salesforce", 0, 1)]   # what the run's summary says
    assert _from_holds(warehouse, holds.partial_full_nights) == []
    _masters(resources, full=True)
    assert _partition(_master_of(warehouse)) == _partition(incremental)

    _night(resources, nights[2])
    _masters(resources)
    assert "salesforce:PL-S1" in _master_of(warehouse)
    assert _deleted(warehouse) == []


def _from_holds(warehouse: Path, fn) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return fn(con)
    finally:
        con.close()


def _deleted(warehouse: Path) -> list[tuple[str, int, int]]:
    return _from_holds(warehouse, holds.deleted)
