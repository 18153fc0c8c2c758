"""Asset checks and expectation suites through real Dagster materialisations into DuckDB files under tmp_path."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from pipelines.defs.assets import MASTER_ASSETS, NIGHTLY_ASSETS
from pipelines.defs.checks import MASTER_CHECKS, NIGHTLY_CHECKS
from pipelines.defs.resources import ExpectationsConfig, PipelineConfig, warehouse_resource

REPO = Path(__file__).resolve().parents[2]
NIGHT = "2026-11-20"
SCRIPT_NAME = "<script>alert(1)</script>"
BAD_EMAIL = "victim@@example.com"
SALESFORCE = ["Id", "FirstName", "LastName", "Name", "MobilePhone", "Email", "MailingCountry", "CreatedDate"]


def _resources(landing: Path, folder: Path, rules: Path = REPO / "rules",
               suites: Path = REPO / "checks" / "expectations") -> dict:
    model = folder / "model.json"
    if (REPO / "data/models/splink_model.json").exists() and not model.exists():
        shutil.copy(REPO / "data/models/splink_model.json", model)
    return {"warehouse": warehouse_resource(str(folder / "warehouse.duckdb")),
            "pipeline": PipelineConfig(landing=str(landing), rules=str(rules), model=str(model),
                                       decisions=str(folder / "decisions.csv")),
            "expectations": ExpectationsConfig(suites=str(suites), store=str(folder), docs=str(folder / "reports/gx"))}


def _query(folder: Path, statement: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(statement, params or []).fetchall()
    finally:
        con.close()


def _evaluations(result) -> dict[str, object]:
    return {e.asset_check_key.to_user_string(): e for e in result.get_asset_check_evaluations()}


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


@pytest.fixture(scope="module")
def checked(small_landing, tmp_path_factory):
    """The normal fixture: one night and the masters, every check included."""
    folder = tmp_path_factory.mktemp("checked")
    resources = _resources(small_landing, folder)
    night = materialize(NIGHTLY_ASSETS + NIGHTLY_CHECKS, partition_key=NIGHT, resources=resources,
                        instance=DagsterInstance.ephemeral(), raise_on_error=False)
    masters = materialize(MASTER_ASSETS + MASTER_CHECKS, resources=resources, instance=DagsterInstance.ephemeral(),
                          raise_on_error=False)
    return folder, night, masters


def test_every_check_passes_on_the_normal_fixture(checked):
    folder, night, masters = checked
    assert night.success and masters.success
    evaluations = {**_evaluations(night), **_evaluations(masters)}
    assert set(evaluations) == {
        "customers_clean:unique_record_key", "customers_clean:required_fields", "customers_clean:expectations",
        "quarantine:required_fields", "quarantine:expectations", "pipeline_runs:rows_conserved",
        "customer_master:unique_master_id", "customer_master:expectations",
        "customer_xref:one_row_per_record", "customer_xref:expectations"}
    assert all(e.passed for e in evaluations.values()), [k for k, e in evaluations.items() if not e.passed]
    assert {e.partition for k, e in _evaluations(night).items()} == {NIGHT}
    rows = evaluations["customers_clean:unique_record_key"].metadata["rows"].value
    assert rows > 0 and evaluations["pipeline_runs:rows_conserved"].metadata["files_unbalanced"].value == 0


def test_suite_results_are_stored_and_data_docs_built(checked):
    folder, night, _ = checked
    stored = _query(folder, "select suite, partition_date::varchar, count(*), bool_and(success), "
                            "bool_and(element_count is not null) from expectation_results group by all order by 1")
    assert [(s, p) for s, p, *_ in stored] == [("customer_master", None), ("customer_xref", None),
                                               ("customers_clean", NIGHT), ("quarantine", NIGHT)]
    assert all(n >= 5 and ok and counted for *_, n, ok, counted in stored)
    docs = folder / "reports" / "gx"
    assert (docs / "index.html").exists()
    assert {p.name for p in (docs / "validations").iterdir()} == {"customers_clean", "quarantine", "customer_master",
                                                                  "customer_xref"}
    evaluation = _evaluations(night)["customers_clean:expectations"]
    assert evaluation.metadata["data_docs"].value == str(docs / "index.html")


def test_materialisation_carries_schema_rates_and_a_preview_without_pii(checked):
    _, night, _ = checked
    event = next(e for e in night.get_asset_materialization_events() if e.asset_key == AssetKey("customers_clean"))
    metadata = event.materialization.metadata
    schema = metadata["dagster/column_schema"].value
    assert {"source_record_id", "phone", "quality_flags"} <= {c.name for c in schema.columns}
    assert 0 < metadata["clean_rate"].value <= 1 and metadata["dagster/row_count"].value > 0
    preview = metadata["preview (non-PII columns)"].value
    columns = {c.name for c in preview.schema.columns}
    assert "source_system" in columns and not columns & {"full_name", "phone", "email", "phone_raw", "email_raw",
                                                         "street", "source_record_id", "birth_date"}


def _plant(landing: Path) -> None:
    path = landing / "salesforce" / NIGHT / "planted.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(SALESFORCE)
        writer.writerow(["PL-X1", "", "", SCRIPT_NAME, "+1 415 736 2671", BAD_EMAIL, "US", "2026-01-05T08:00:00Z"])


def _suites_that_fail_on_the_planted_row(folder: Path) -> Path:
    suites = folder / "suites"
    shutil.copytree(REPO / "checks" / "expectations", suites)
    path = suites / "customers_clean.yaml"
    text = path.read_text(encoding="utf-8").replace("severity: error", "severity: warn")
    text += ("  - expect: expect_column_values_to_not_match_regex\n    column: full_name\n    regex: '[<>]'\n"
             "  - expect: expect_column_values_to_match_regex\n    column: email_raw\n    regex: '^[^@]+@[^@]+$'\n")
    path.write_text(text, encoding="utf-8")
    return suites


def test_failing_values_appear_nowhere_in_docs_results_or_metadata(small_landing, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(small_landing, landing)
    _plant(landing)
    resources = _resources(landing, tmp_path, suites=_suites_that_fail_on_the_planted_row(tmp_path))
    result = materialize(NIGHTLY_ASSETS + NIGHTLY_CHECKS, partition_key=NIGHT, resources=resources,
                         instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert result.success  # a warn-severity suite shows its failure and stops nothing
    evaluation = _evaluations(result)["customers_clean:expectations"]
    assert not evaluation.passed and evaluation.metadata["failed"].value == 2
    failing = dict(_query(tmp_path, "select expectation, unexpected_count from expectation_results where not success"))
    assert set(failing) == {"expect_column_values_to_match_regex(email_raw)",
                            "expect_column_values_to_not_match_regex(full_name)"}
    assert failing["expect_column_values_to_not_match_regex(full_name)"] == 1
    assert _query(tmp_path, "select count(*) from customers_clean where full_name = ? and email_raw = ?",
                  [SCRIPT_NAME, BAD_EMAIL]) == [(1,)]  # both planted values are in the table the suite read
    written = [p for p in (tmp_path / "gx").rglob("*") if p.is_file()]
    written += [p for p in (tmp_path / "reports" / "gx").rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in written) and any(p.suffix == ".json" for p in written)
    for path in written:
        text = path.read_bytes().decode("utf-8", errors="replace")
        for planted in (SCRIPT_NAME, "alert(1)", BAD_EMAIL, "victim@"):
            assert planted not in text, f"{planted} in {path}"
    shown = repr([e.metadata for e in result.get_asset_check_evaluations()]) + \
        repr([e.materialization.metadata for e in result.get_asset_materialization_events()])
    assert "alert(1)" not in shown and "victim@" not in shown


def _rules_that_let_duplicates_through(folder: Path) -> Path:
    rules = folder / "rules"
    shutil.copytree(REPO / "rules", rules)
    path = rules / "validation.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  duplicate_record_id:\n")
    path.write_text(text[:start] + text[start:].replace("action: quarantine", "action: flag", 1), encoding="utf-8")
    return rules


def test_a_duplicate_key_blocks_the_downstream_assets(small_landing, tmp_path):
    resources = _resources(small_landing, tmp_path, rules=_rules_that_let_duplicates_through(tmp_path))
    result = materialize(NIGHTLY_ASSETS + NIGHTLY_CHECKS + MASTER_ASSETS + MASTER_CHECKS, partition_key=NIGHT,
                         resources=resources, instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    check = _evaluations(result)["customers_clean:unique_record_key"]
    assert not check.passed and check.partition == NIGHT and check.metadata["duplicate_keys"].value >= 1
    materialized = _materialized(result)
    assert {"raw_customers", "customers_clean", "quarantine"} <= materialized
    assert not materialized & {"pipeline_runs", "customer_master", "customer_xref"}
    assert _query(tmp_path, "select count(*) from customer_master") == [(0,)]


def test_cli_names_the_failed_blocking_check_and_exits_non_zero(small_landing, tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    rules = _rules_that_let_duplicates_through(tmp_path)
    for var, value in {"CRM_LANDING": small_landing, "CRM_WAREHOUSE": tmp_path / "warehouse.duckdb", "CRM_RULES": rules,
                       "CRM_REPORTS": tmp_path / "reports", "DAGSTER_HOME": REPO,
                       "CRM_DAGSTER_STORAGE": tmp_path / "dagster", "CRM_DAGSTER_LOGS": tmp_path / "logs"}.items():
        monkeypatch.setenv(var, str(value))
    assert main(["run", "--date", NIGHT]) == 1  # in-process, as the command runs; no second GX import
    out, err = capsys.readouterr()
    assert f"check customers_clean:unique_record_key failed for {NIGHT} (blocking" in err and "duplicate_keys=" in err
    assert "Traceback" not in err and "DagsterAssetCheckFailedError" not in err
    assert f"night {NIGHT} stopped by a blocking check" in err and f"crm-quality run --date {NIGHT}` again" in err
    assert f"no report for {NIGHT}: the night failed" in err
    held = [line for line in err.splitlines() if line.startswith(f"night {NIGHT} is held out of the masters: ")]
    assert len(held) == 1 and "customers_clean:unique_record_key" in held[0]
    # what the message says is what the warehouse holds: the night's rows, no run row, no master (its only night
    # is held out of them), no report
    counts = _query(tmp_path, "select (select count(*) from customers_clean), (select count(*) from pipeline_runs), "
                              "(select count(*) from customer_master)")
    assert counts[0][0] > 0 and counts[0][1:] == (0, 0) and not (tmp_path / "reports" / NIGHT).exists()


def _records(folder: Path, where: str = "") -> set[tuple]:
    return set(_query(folder, f"select source_system, source_record_id from customers_clean {where}"))


def test_a_blocked_night_stays_out_of_the_masters_until_a_rerun_passes(small_landing, tmp_path):
    """Night 1 fails a blocking check, night 2 passes: the masters (built in a later run, as the sensor does after
    night 2) hold night 2's records only. Night 1 rerun under rules that pass releases the hold."""
    first, second = NIGHT, "2026-11-21"
    loose = _resources(small_landing, tmp_path, rules=_rules_that_let_duplicates_through(tmp_path))
    strict = _resources(small_landing, tmp_path)
    blocked = materialize(NIGHTLY_ASSETS + NIGHTLY_CHECKS, partition_key=first, resources=loose,
                          instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert not blocked.success
    holds = _query(tmp_path, "select distinct partition_date::varchar, check_name from night_holds")
    assert (first, "customers_clean:unique_record_key") in holds and {night for night, _ in holds} == {first}
    assert materialize(NIGHTLY_ASSETS + NIGHTLY_CHECKS, partition_key=second, resources=strict,
                       instance=DagsterInstance.ephemeral()).success
    assert materialize(MASTER_ASSETS + MASTER_CHECKS, resources=strict, instance=DagsterInstance.ephemeral()).success
    in_masters = set(_query(tmp_path, "select source_system, source_record_id from customer_xref"))
    only_first = _records(tmp_path, f"where partition_date = '{first}'") - _records(tmp_path, f"where partition_date = '{second}'")
    assert only_first and in_masters == _records(tmp_path, f"where partition_date = '{second}'")
    names = _query(tmp_path, "select count(*) from customer_name_history where first_seen = ?", [first])
    assert names == [(0,)]   # the histories do not read the held night either
    from pipelines.reporting.report import build_report
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:   # the steward report names the held night
        html = build_report(con, second, tmp_path / "reports", {}).path.read_text(encoding="utf-8")
    held = html[html.index('id="held-nights"'):]
    assert f"<td>{first}</td>" in held[:held.index("</table>")]

    assert materialize(NIGHTLY_ASSETS + NIGHTLY_CHECKS, partition_key=first, resources=strict,
                       instance=DagsterInstance.ephemeral()).success
    assert _query(tmp_path, "select count(*) from night_holds") == [(0,)]   # the rerun's rows passed: released
    assert materialize(MASTER_ASSETS + MASTER_CHECKS, resources=strict, instance=DagsterInstance.ephemeral()).success
    assert set(_query(tmp_path, "select source_system, source_record_id from customer_xref")) == _records(tmp_path)


def test_rows_written_without_their_checks_are_held_until_the_checks_pass(small_landing, tmp_path):
    """The checks are ops of their own: a run that writes customers_clean and stops before them (a check that
    raises, an interrupted run, the asset materialised alone) leaves the night held on each check."""
    from pipelines.defs.checks import HELD_CHECKS

    resources = _resources(small_landing, tmp_path)
    assert materialize(NIGHTLY_ASSETS, partition_key=NIGHT, resources=resources,
                       instance=DagsterInstance.ephemeral()).success
    held = _query(tmp_path, "select check_name from night_holds where partition_date = ? order by 1", [NIGHT])
    assert [c for c, in held] == HELD_CHECKS == ["customers_clean:expectations", "customers_clean:required_fields",
                                                 "customers_clean:unique_record_key"]
    assert materialize(MASTER_ASSETS + MASTER_CHECKS, resources=resources, instance=DagsterInstance.ephemeral()).success
    assert _query(tmp_path, "select count(*) from customer_xref") == [(0,)]   # unchecked rows: not in the masters
    assert materialize(NIGHTLY_ASSETS + NIGHTLY_CHECKS, partition_key=NIGHT, resources=resources,
                       instance=DagsterInstance.ephemeral()).success   # a rerun with its checks
    assert _query(tmp_path, "select count(*) from night_holds") == [(0,)]
    assert materialize(MASTER_ASSETS + MASTER_CHECKS, resources=resources, instance=DagsterInstance.ephemeral()).success
    assert set(_query(tmp_path, "select source_system, source_record_id from customer_xref")) == _records(tmp_path)


def test_the_jobs_run_the_checks():
    from pipelines.definitions import defs

    nightly = set(defs.resolve_job_def("nightly_job").graph.node_names())
    master = set(defs.resolve_job_def("master_job").graph.node_names())
    assert {"customers_clean_unique_record_key", "customers_clean_expectations", "pipeline_runs_rows_conserved",
            "quarantine_expectations"} <= nightly
    assert {"customer_master_unique_master_id", "customer_xref_one_row_per_record",
            "customer_master_expectations", "customer_xref_expectations"} <= master


def _small_night_of_form_leads(landing: Path, night: str) -> None:
    """10 HubSpot contacts of the sample export, 2 of them form leads with only a valid e-mail (no name)."""
    with (REPO / "data/samples/hubspot/2026-11-20/contacts.csv").open(encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    rows = [r for r in rows if r[header.index("Email")].endswith("@example.com")][:10]
    for row in rows[:2]:
        row[header.index("First Name")] = row[header.index("Last Name")] = ""
    folder = landing / "hubspot" / night
    folder.mkdir(parents=True)
    with (folder / "contacts.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows([header] + rows)


def test_a_small_night_with_name_less_leads_completes_and_reports_the_expectation(tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    night = "2026-11-06"
    _small_night_of_form_leads(tmp_path / "landing", night)
    shutil.copy(REPO / "data/models/splink_model.json", tmp_path / "model.json")
    for var, value in {"CRM_LANDING": tmp_path / "landing", "CRM_WAREHOUSE": tmp_path / "w.duckdb",
                       "CRM_REPORTS": tmp_path / "reports", "CRM_MODEL": tmp_path / "model.json",
                       "CRM_DECISIONS": tmp_path / "decisions.csv", "DAGSTER_HOME": REPO,
                       "CRM_DAGSTER_STORAGE": tmp_path / "dagster", "CRM_DAGSTER_LOGS": tmp_path / "logs"}.items():
        monkeypatch.setenv(var, str(value))
    assert main(["run", "--date", night]) == 0  # the night, its masters and its report
    out, err = capsys.readouterr()
    assert f"check customers_clean:expectations failed for {night} (warning: nothing stopped)" in err
    assert "failed: expect_column_values_to_not_be_null(full_name)" in err and "Traceback" not in err
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        assert con.execute("select rows_in, rows_clean, status from pipeline_runs").fetchall() == [
            (10, 10, "completed")]
        assert con.execute("select expectation, severity, unexpected_count, element_count from expectation_results "
                           "where not success").fetchall() == [
            ("expect_column_values_to_not_be_null(full_name)", "warn", 2, 10)]
        assert con.execute("select count(*) from customer_xref").fetchone()[0] == 10
    finally:
        con.close()
    html = (tmp_path / "reports" / night / "index.html").read_text(encoding="utf-8")
    failed = html[html.index('id="failed-expectations"'):]
    assert "expect_column_values_to_not_be_null(full_name)" in failed and "2 of 10" in failed
