"""The expectation suite files: every bundled suite loads, and a typo fails with the file, line and key."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.expectations import load_suite, load_suites
from pipelines.rules import RulesError

REPO = Path(__file__).resolve().parents[2]
GOOD = "table: t\nseverity: warn\nexpectations:\n  - expect: expect_column_values_to_not_be_null\n    column: a\n"


def _suite(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_suites_load():
    suites = load_suites(REPO / "checks" / "expectations")
    assert set(suites) == {"customers_clean", "quarantine", "customer_master", "customer_xref"}
    assert suites["customers_clean"].severity == "error" and suites["quarantine"].severity == "warn"
    labels = [e.label for e in suites["customers_clean"].expectations]
    assert "expect_compound_columns_to_be_unique(source_system, source_record_id)" in labels
    # a share of rows is a quality signal, not structural breakage: it warns, the rest block
    clean = suites["customers_clean"]
    warns = [e.label for e in clean.expectations if clean.severity_of(e) == "warn"]
    assert warns == ["expect_column_values_to_not_be_null(full_name)"]


def test_a_good_suite_loads(tmp_path):
    suite = load_suite(_suite(tmp_path, GOOD))
    assert suite.table == "t" and suite.expectations[0].kwargs == {"column": "a"}


def test_an_expectation_may_set_its_own_severity(tmp_path):
    text = GOOD.replace("severity: warn", "severity: error") + \
        "  - expect: expect_column_values_to_not_be_null\n    column: b\n    mostly: 0.9\n    severity: warn\n"
    suite = load_suite(_suite(tmp_path, text))
    assert [suite.severity_of(e) for e in suite.expectations] == ["error", "warn"]
    assert suite.expectations[1].kwargs == {"column": "b", "mostly": 0.9}  # severity is ours, not a GX argument


@pytest.mark.parametrize("text, line, words", [
    (GOOD.replace("severity: warn", "severity: fatal"), 2, ["severity", "fatal"]),
    (GOOD.replace("table: t", "tabel: t"), 1, ["tabel", "unknown key"]),
    (GOOD.replace("table: t", "table: u"), 1, ["table", "does not match the file name t.yaml"]),
    (GOOD.replace("not_be_null", "not_be_nul"), 4, ["expectations.0", "expect_column_values_to_not_be_nul"]),
    # aggregate expectations report observed values (customer data): not allowed
    (GOOD.replace("expect_column_values_to_not_be_null", "expect_column_distinct_values_to_be_in_set"), 4,
     ["not allowed"]),
    (GOOD.replace("    column: a\n", "    colum: a\n"), 4, ["expectations.0", "colum"]),
    (GOOD + "    severity: warning\n", 6, ["expectations.0.severity", "'warning' is not one of error, warn"]),
])
def test_a_typo_names_file_line_and_key(tmp_path, text, line, words):
    with pytest.raises(RulesError) as err:
        load_suite(_suite(tmp_path, text))
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 't.yaml'}:{line}:"), message
    assert all(w in message for w in words), message


def test_a_gx_project_left_broken_is_made_again_not_a_failure_every_night(tmp_path):
    """A run stopped while GX wrote its great_expectations.yml left it empty: GX could not load the project and
    every later night failed its expectation checks. It is set aside and made again."""
    import pandas as pd

    from pipelines.expectations import validate

    suite = load_suite(_suite(tmp_path, GOOD))
    store, docs = tmp_path / "store", tmp_path / "docs"
    frame = pd.DataFrame({"a": ["x", None]})
    assert not validate(suite, frame, store, docs, "first").success
    (store / "gx" / "great_expectations.yml").write_text("", encoding="utf-8")
    from pipelines.expectations import _context
    _context.cache_clear()   # a new process: the project is read from disk again
    outcome = validate(suite, frame.dropna(), store, docs, "second")
    assert outcome.success and outcome.rows["success"].all()
    assert (store / "gx.broken" / "great_expectations.yml").read_text(encoding="utf-8") == ""
    assert (store / "gx" / "great_expectations.yml").stat().st_size > 0


def test_a_suite_run_again_replaces_its_result_a_night_or_a_day_not_one_per_run(tmp_path):
    """The masters' suites are run by every master build: their results piled up, one per build."""
    import pandas as pd

    from pipelines.expectations import validate

    suite = load_suite(_suite(tmp_path, GOOD))
    store, docs = tmp_path / "store", tmp_path / "docs"
    frame = pd.DataFrame({"a": ["x", "y"]})
    for name in ("masters", "masters", "2026-11-20", "2026-11-20"):
        assert validate(suite, frame, store, docs, name).success
    results = sorted(p.relative_to(store) for p in (store / "gx").rglob("validations/*/*/*/*.json"))
    assert [p.parts[-3] for p in results] == ["2026-11-20", "masters"]
