"""Expectation suites as data: the allowed expectations, GX suite objects, and counts-only result rows."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Map expectations (per-row) and table shape only: their results are counts. Aggregate expectations such as
# distinct values, min/max or most-common value report an observed value, which can be a customer's data.
ALLOWED = (
    "expect_column_to_exist",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_unique",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_values_to_be_between",
    "expect_column_value_lengths_to_be_between",
    "expect_compound_columns_to_be_unique",
    "expect_select_column_values_to_be_unique_within_record",
    "expect_table_row_count_to_be_between",
    "expect_table_columns_to_match_set",
)
SEVERITIES = ("error", "warn")
# GX's own names for them, so Data Docs show which expectations only warn.
GX_SEVERITY = {"error": "critical", "warn": "warning"}
# Counts only: no failing value is stored in the results or shown in Data Docs (they are PII).
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}


class SuiteError(ValueError):
    """An expectation suite that cannot be used, naming the expectation and key that are wrong."""


@dataclass(frozen=True)
class Expectation:
    type: str
    kwargs: dict[str, Any]
    severity: str | None = None  # None: the suite's

    @property
    def label(self) -> str:
        cols = self.kwargs.get("column") or ", ".join(self.kwargs.get("column_list", []))
        return f"{self.type}({cols})" if cols else self.type


@dataclass(frozen=True)
class Suite:
    """What a good table looks like; a failed expectation of severity error blocks the assets downstream, one of
    severity warn is reported and stops nothing. An expectation's own severity overrides the suite's."""

    table: str
    severity: str
    description: str
    expectations: tuple[Expectation, ...] = field(default_factory=tuple)

    def severity_of(self, expectation: Expectation) -> str:
        return expectation.severity or self.severity


def _camel(type_name: str) -> str:
    return "".join(part.capitalize() for part in type_name.split("_"))


def gx_expectation(expectation: Expectation, severity: str = "error"):
    import great_expectations as gx

    return getattr(gx.expectations, _camel(expectation.type))(**expectation.kwargs, severity=GX_SEVERITY[severity])


def check_expectation(expectation: Expectation) -> str | None:
    """None when GX accepts the expectation, else what is wrong with it (unknown type, bad or missing key)."""
    if expectation.type not in ALLOWED:
        return f"'{expectation.type}' is not allowed (allowed: {', '.join(ALLOWED)})"
    try:
        gx_expectation(expectation)
    except Exception as exc:  # pydantic names the wrong key; keep its message, drop the traceback
        return re.sub(r"\s+", " ", str(exc)).strip()
    return None


def gx_suite(suite: Suite):
    import great_expectations as gx

    return gx.ExpectationSuite(name=suite.table,
                               expectations=[gx_expectation(e, suite.severity_of(e)) for e in suite.expectations])


def result_rows(suite: Suite, ids: list[str], validation: dict) -> list[dict]:
    """One row per expectation, in the suite's order (`ids`: GX's id of each); counts only, never a value."""
    by_id = {item["expectation_config"].get("id"): item for item in validation["results"]}
    rows = []
    for expectation, gx_id in zip(suite.expectations, ids):
        item = by_id.get(gx_id, {})
        result = item.get("result") or {}
        table_count = expectation.type.startswith("expect_table_row_count")
        rows.append({
            "suite": suite.table, "expectation": expectation.label, "severity": suite.severity_of(expectation),
            "success": bool(item.get("success", False)),
            "element_count": result.get("observed_value") if table_count else result.get("element_count"),
            "unexpected_count": result.get("unexpected_count"),
            "unexpected_percent": result.get("unexpected_percent"),
            "error": _exception(item),
        })
    return rows


def _exception(item: dict) -> str | None:
    info = item.get("exception_info") or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message", "")).splitlines()[0][:200] or "raised an exception"
    return None
