"""Resources: the DuckDB warehouse and where the landing and rules folders are."""
from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from dagster_duckdb import DuckDBResource

from pipelines.rules import Matching, Rules, Survivorship, load_matching, load_rules, load_survivorship
from pipelines.settings import load_settings
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


def warehouse_resource(path: str) -> DuckDBResource:
    return DuckDBResource(database=path)


def ensure_tables(warehouse: DuckDBResource) -> None:
    with warehouse.get_connection() as con:
        con.execute(sql("create_tables"))


def default_resources() -> dict:
    settings = load_settings()
    return {
        "warehouse": warehouse_resource(str(settings.warehouse)),
        "pipeline": PipelineConfig(landing=str(settings.landing), rules=str(settings.rules),
                                   model=str(settings.model), decisions=str(settings.decisions)),
    }
