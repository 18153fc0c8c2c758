"""The only reader of CRM_* environment variables: where landing, warehouse, rules and reports live."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    rules: Path
    reports: Path
    samples: Path
    model: Path
    decisions: Path


def _path(var: str, default: str) -> Path:
    value = os.environ.get(var)
    path = Path(value) if value else REPO_ROOT / default
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def load_settings() -> Settings:
    return Settings(
        landing=_path("CRM_LANDING", "data/landing"),
        warehouse=_path("CRM_WAREHOUSE", "data/warehouse.duckdb"),
        rules=_path("CRM_RULES", "rules"),
        reports=_path("CRM_REPORTS", "reports"),
        samples=_path("CRM_SAMPLES", "data/samples"),
        model=_path("CRM_MODEL", "data/models/splink_model.json"),
        decisions=_path("CRM_DECISIONS", "data/stewardship/decisions.csv"),
    )


def problems(settings: Settings) -> list[str]:
    """Settings that would fail a run midway (after its data is written): a folder that is a file, a file that is
    a folder, a reports folder that cannot be written. Each names the variable to fix."""
    out = []
    for var, folder in (("CRM_REPORTS", settings.reports), ("CRM_LANDING", settings.landing)):
        if folder.exists() and not folder.is_dir():
            out.append(f"{var} is {folder}, a file: it must be a folder")
    if settings.reports.is_dir() and not os.access(settings.reports, os.W_OK | os.X_OK):
        # the expectation checks write their Data Docs there: failing, they would hold the night
        out.append(f"CRM_REPORTS is {settings.reports}, a folder this user cannot write: the night's quality "
                   "reports and Data Docs are written there")
    if settings.warehouse.is_dir():
        out.append(f"CRM_WAREHOUSE is {settings.warehouse}, a folder: it must be the DuckDB file to write")
    else:
        nearest = next((p for p in settings.warehouse.parents if p.exists()), None)   # what its folder is made in
        if nearest is not None and not nearest.is_dir():
            out.append(f"CRM_WAREHOUSE is {settings.warehouse}, below the file {nearest}: its folder cannot be made")
    return out
