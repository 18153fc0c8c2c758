"""Resources: the DuckDB warehouse and where the landing and rules folders are."""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
from dagster import ConfigurableResource
from dagster_duckdb import DuckDBResource

from pipelines.rules import Matching, Rules, Survivorship, load_matching, load_rules, load_survivorship
from pipelines.settings import REPO_ROOT, load_settings
from pipelines.warehouse.store import sql


class PipelineConfig(ConfigurableResource):
    """Folders the pipeline reads; defaults come from CRM_* variables (pipelines/settings.py)."""

    landing: str
    rules: str
    model: str
    decisions: str

    def load_rules(self) -> Rules:
        return load_rules(Path(self.rules))

    def load_matching(self) -> Matching:
        return load_matching(Path(self.rules))

    def load_survivorship(self) -> Survivorship:
        return load_survivorship(Path(self.rules))


class ExpectationsConfig(ConfigurableResource):
    """The expectation suites (YAML), the folder GX keeps its project in (<store>/gx), and the Data Docs folder."""

    suites: str
    store: str
    docs: str


def expectations_resource(warehouse: Path, reports: Path) -> ExpectationsConfig:
    return ExpectationsConfig(suites=str(REPO_ROOT / "checks" / "expectations"), store=str(warehouse.parent),
                              docs=str(reports / "gx"))


_VALUE_START = re.compile(r"""['"]""")


def without_values(message: str) -> str:
    """A DuckDB error message without the values it quotes (cell text, i.e. PII): its first line up to the
    first quote (DuckDB quotes values with ' or " and does not escape a quote inside one), and not the query
    excerpt of the following lines."""
    lines = message.strip().splitlines()
    first = lines[0] if lines else ""
    quote = _VALUE_START.search(first)
    return first[:quote.start()].rstrip() + " ... (values left out)" if quote else first


class WarehouseResource(DuckDBResource):
    """dagster-duckdb's resource, which makes the warehouse's folder, with two changes for a failing stage: the
    connection is closed (the stock one stays open, and the next connection with another configuration is
    refused), and a DuckDB error is re-raised without the values its message quotes, so no cell text reaches the
    event log or the terminal."""

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # the warehouse's folder is made first, as store.connect does: the stock resource retries a failed open
        # for about two minutes (it takes every IOException for a lock), then fails the stage
        if self.database != ":memory:":
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
            if Path(self.database).exists() and not os.access(self.database, os.W_OK):   # no lock: no retrying
                raise duckdb.IOException(f"Permission denied: the warehouse {self.database} is read-only")
        with super().get_connection() as con:
            try:
                yield con
            except duckdb.Error as exc:
                raise type(exc)(without_values(str(exc))) from None
            finally:
                con.close()


def warehouse_resource(path: str) -> WarehouseResource:
    return WarehouseResource(database=path)


def ensure_tables(warehouse: DuckDBResource) -> None:
    with warehouse.get_connection() as con:
        con.execute(sql("create_tables"))


def default_resources() -> dict:
    settings = load_settings()
    return {
        "warehouse": warehouse_resource(str(settings.warehouse)),
        "pipeline": PipelineConfig(landing=str(settings.landing), rules=str(settings.rules),
                                   model=str(settings.model), decisions=str(settings.decisions)),
        "expectations": expectations_resource(settings.warehouse, settings.reports),
    }
