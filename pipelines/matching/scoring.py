"""Scores candidate pairs with the saved Splink model: every record, or only new and changed ones against all.

Splink gets a DuckDB connection of its own (an unfinished result on a shared one breaks it) and the records
as Arrow, so nothing is copied through pandas; the pairs come back as two small frames: the links (ids and
probability) and, for the review band only, the evidence per comparison as JSON built in SQL.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from splink import DuckDBAPI, Linker

from pipelines.ingest import literal

EVIDENCE = ("full_name", "phone", "email", "birth_date", "city", "district", "street", "postcode", "gender",
            "national_id")
LINKS = ["id_l", "id_r", "match_probability"]
SPLINK_MEMORY = os.environ.get("CRM_SPLINK_MEMORY", "2GB")
REVIEW = LINKS + ["evidence"]


@dataclass
class Scored:
    links: pd.DataFrame     # id_l < id_r, match_probability >= review_low
    review: pd.DataFrame    # the links below the merge threshold, with their evidence (JSON)


def empty() -> Scored:
    return Scored(pd.DataFrame(columns=LINKS), pd.DataFrame(columns=REVIEW))


def _evidence_sql(columns: set[str]) -> str:
    """JSON {levels: {comparison: level}, values: {field: [left, right]}}, left being the smaller id."""
    gammas = sorted(c for c in columns if c.startswith("gamma_"))
    levels = ", ".join(f"{literal(g[6:])}, {g}" for g in gammas)
    swap = "unique_id_l > unique_id_r"
    values = ", ".join(
        f"{literal(f)}, case when {swap} then json_array({f}_r::varchar, {f}_l::varchar) "
        f"else json_array({f}_l::varchar, {f}_r::varchar) end"
        for f in EVIDENCE if f"{f}_l" in columns and f"{f}_r" in columns)
    return f"json_object('levels', json_object({levels}), 'values', json_object({values}))"


def _collect(db: DuckDBAPI, tables: list[str], merge: float) -> Scored:
    con = db._con
    links, review = [], []
    for table in tables:
        columns = {c[0] for c in con.execute(f"describe {table}").fetchall()}
        links.append(con.sql(f"select least(unique_id_l, unique_id_r) as id_l, greatest(unique_id_l, unique_id_r)"
                             f" as id_r, match_probability from {table}").df())
        review.append(con.sql(f"select least(unique_id_l, unique_id_r) as id_l, greatest(unique_id_l, unique_id_r)"
                              f" as id_r, match_probability, {_evidence_sql(columns)}::varchar as evidence "
                              f"from {table} where match_probability < {float(merge)!r}").df())
    return Scored(pd.concat(links, ignore_index=True)[LINKS], pd.concat(review, ignore_index=True)[REVIEW])


def score(records: pa.Table, model_path: Path, review_low: float, merge: float, blocking_rules: list[str],
          dirty: np.ndarray | None = None) -> Scored:
    """records: the model's input columns (unique_id first). Candidate pairs come from blocking_rules (those
    of rules/matching.yaml, not the ones saved with the model: a steward's edit applies at once). With dirty (a boolean mask over records), only
    pairs touching a dirty record are scored: dirty with dirty, and dirty with the rest; term frequencies
    still come from every record, as in a full run."""
    if records.num_rows < 2 or (dirty is not None and not dirty.any()):
        return empty()
    db = DuckDBAPI()
    con = db._con
    # Splink's working tables stay within this much memory and spill beyond it (the 4 GB budget at 1M records)
    con.execute(f"set memory_limit = '{SPLINK_MEMORY}'")
    con.execute("set preserve_insertion_order = false")
    con.register("_input", records)
    con.execute("create table customers as select * from _input")
    con.unregister("_input")
    settings = json.loads(Path(model_path).read_text(encoding="utf-8"))
    settings["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in blocking_rules]
    link = Linker(db.register("customers", dataset_display_name="customers"), settings, log_level=logging.ERROR)
    if dirty is None:
        predicted = link.inference.predict(threshold_match_probability=review_low)
        return _collect(db, [predicted.physical_name], merge)
    con.register("_dirty", pa.table({"unique_id": records.column("unique_id"), "dirty": pa.array(dirty)}))
    con.execute("create table dirty_records as select c.* from customers c join _dirty d using (unique_id) "
                "where d.dirty")
    con.execute("create table known_records as select c.* from customers c join _dirty d using (unique_id) "
                "where not d.dirty")
    con.unregister("_dirty")
    for column in link._settings_obj._term_frequency_columns:
        link.table_management.compute_tf_table(column.unquote().name)
    new = db.register("dirty_records", table_name="dirty")
    tables = [link.inference.predict_within(new, threshold_match_probability=review_low).physical_name]
    if not dirty.all():
        known = db.register("known_records", table_name="known")
        tables.append(link.inference.predict_between(new, known, threshold_match_probability=review_low)
                      .physical_name)
    return _collect(db, tables, merge)
