"""Runs the expectation suites of checks/expectations/ with Great Expectations and builds their Data Docs."""
from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from checks.suites import RESULT_FORMAT, SEVERITIES, Expectation, Suite, check_expectation, gx_suite, result_rows
from pipelines.rules import _Doc, _mapping

log = logging.getLogger(__name__)

SITE = "crm_quality"
DATA_SOURCE = "warehouse"


@dataclass
class Outcome:
    suite: Suite
    success: bool
    rows: pd.DataFrame  # one per expectation: suite, expectation, severity, success, counts


def load_suite(path: Path) -> Suite:
    """One suite file; an unknown key or expectation fails with the file, line and key."""
    doc = _Doc(path)
    top = _mapping(doc, (), doc.data, {"table", "severity", "description", "expectations"},
                   {"table", "expectations"})
    severity = str(top.get("severity", "error"))
    if severity not in SEVERITIES:
        raise doc.fail(("severity",), f"'{severity}' is not one of {', '.join(SEVERITIES)}")
    if not isinstance(top["expectations"], list) or not top["expectations"]:
        raise doc.fail(("expectations",), "expected a list of expectations")
    expectations = tuple(_expectation(doc, i, raw) for i, raw in enumerate(top["expectations"]))
    if top["table"] != path.stem:
        raise doc.fail(("table",), f"'{top['table']}' does not match the file name {path.name}")
    return Suite(str(top["table"]), severity, str(top.get("description", "")), expectations)


def _expectation(doc: _Doc, index: int, raw: Any) -> Expectation:
    keys = ("expectations", index)
    if not isinstance(raw, dict) or "expect" not in raw:
        raise doc.fail(keys, "expected a mapping with 'expect: <expectation type>' and its arguments")
    kwargs = {k: v for k, v in raw.items() if k not in ("expect", "severity")}
    severity = raw.get("severity")
    if severity is not None and severity not in SEVERITIES:
        raise doc.fail(keys + ("severity",), f"'{severity}' is not one of {', '.join(SEVERITIES)}")
    expectation = Expectation(str(raw["expect"]), kwargs, severity)
    problem = check_expectation(expectation)
    if problem:
        raise doc.fail(keys, problem)
    return expectation


def load_suites(folder: Path) -> dict[str, Suite]:
    suites = [load_suite(p) for p in sorted(Path(folder).glob("*.yaml"))]
    return {s.table: s for s in suites}


@lru_cache(maxsize=4)
def _context(store: str, docs: str):
    """A file-mode GX project in `store` (suites, stored results); Data Docs go to `docs`, not inside it."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=store)
    bars = context.variables.progress_bars
    if (bars.get("globally") if isinstance(bars, dict) else getattr(bars, "globally", True)) is not False:
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()
    site = {"class_name": "SiteBuilder", "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": docs},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}}
    sites = context.list_data_docs_sites()
    for name in [n for n in sites if n != SITE]:
        context.delete_data_docs_site(name)  # the default site would be a second copy inside the store
    if SITE not in sites:
        context.add_data_docs_site(SITE, site)
    elif sites[SITE] != site:
        context.update_data_docs_site(SITE, site)
    return context


def _checkpoint(context, suite: Suite):
    import great_expectations as gx

    asset_name = suite.table
    source = context.data_sources.add_or_update_pandas(DATA_SOURCE)
    asset = next((a for a in source.assets if a.name == asset_name), None) or source.add_dataframe_asset(asset_name)
    batch = next((b for b in asset.batch_definitions if b.name == "rows"), None) or \
        asset.add_batch_definition_whole_dataframe("rows")
    gx_s = context.suites.add_or_update(gx_suite(suite))
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite.table, data=batch, suite=gx_s))
    checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
        name=suite.table, validation_definitions=[definition], result_format=RESULT_FORMAT, actions=[]))
    return checkpoint, [e.id for e in gx_s.expectations]


def _update_docs(context, validation_id, docs: Path) -> None:
    """The validation's page and the index of the Data Docs, as GX's UpdateDataDocsAction builds them. Pages that
    cannot be written (a full disk, a folder made read-only) are a warning, not a failed validation: as an
    action inside the checkpoint, that failure failed the expectation check and held the night out of the
    masters."""
    try:
        context.build_data_docs(site_names=[SITE],
                                resource_identifiers=[validation_id, validation_id.expectation_suite_identifier])
    except OSError as exc:
        log.warning("Data Docs not written to %s: %s", docs, exc.strerror or type(exc).__name__)


def _prepared(suite: Suite, store: Path, docs: Path):
    """The GX project and the suite's checkpoint. A project GX cannot load (its great_expectations.yml or a
    stored suite left empty by a run stopped while writing them, a hand edit) is set aside as `gx.broken` and
    made again: the suites are rebuilt from checks/expectations/ on every run, so only the history of stored
    results is lost, where otherwise every later night would fail its expectation checks."""
    from great_expectations.exceptions import GreatExpectationsError

    key = (str(Path(store).resolve()), str(Path(docs).resolve()))
    try:
        return _context(*key), _checkpoint(_context(*key), suite)
    except (GreatExpectationsError, ValueError, OSError) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, (FileNotFoundError, IsADirectoryError)):
            raise   # a full disk or a read-only folder: not the project's fault
        project = Path(key[0]) / "gx"
        if not project.exists():
            raise
        log.warning("the Great Expectations project in %s could not be loaded (%s): set aside as %s.broken and "
                    "made again", project, type(exc).__name__, project.name)
        _context.cache_clear()
        shutil.rmtree(project.with_name("gx.broken"), ignore_errors=True)
        project.rename(project.with_name("gx.broken"))
        return _context(*key), _checkpoint(_context(*key), suite)


def validate(suite: Suite, frame: pd.DataFrame, store: Path, docs: Path, run_name: str) -> Outcome:
    """Validate a frame against a suite; the counts-only result is stored in `store`, its page in `docs`. A
    night's run name (a date) is its run time, so a rerun of the night replaces its result; another name (the
    masters') is stamped with the day, so the results of one day's builds replace each other (one a day kept,
    not one per build)."""
    from great_expectations.core.run_identifier import RunIdentifier

    context, (checkpoint, ids) = _prepared(suite, store, docs)
    day = None if _is_day(run_name) else dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0,
                                                                                   microsecond=0)
    result = checkpoint.run(batch_parameters={"dataframe": frame},
                            run_id=RunIdentifier(run_name=run_name, run_time=day))
    _update_docs(context, next(iter(result.run_results)), docs)
    validation = next(iter(result.run_results.values())).to_json_dict()
    return Outcome(suite, bool(result.success), pd.DataFrame(result_rows(suite, ids, validation)))


def _is_day(name: str) -> bool:
    try:
        dt.date.fromisoformat(name)
    except ValueError:
        return False
    return True


def store_results(con, outcome: Outcome, run_id: str, partition: str | None, now: dt.datetime) -> None:
    """Append the counts of one suite run to expectation_results (history is kept, like pipeline_runs)."""
    rows = outcome.rows.assign(run_id=run_id, partition_date=partition, validated_at=now)
    con.register("_results", rows)
    try:
        con.execute("insert into expectation_results by name select * from _results")
    finally:
        con.unregister("_results")
