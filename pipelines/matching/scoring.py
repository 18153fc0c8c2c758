"""Scores candidate pairs with the saved Splink model: every record, or only new and changed ones against all.

Splink gets a DuckDB connection of its own (an unfinished result on a shared one breaks it) and the records
as Arrow, so nothing is copied through pandas; the pairs come back as two small frames: the links (ids and
probability) and, for the review band only, the evidence per comparison as JSON built in SQL.
"""
from __future__ import annotations

import json
import logging
import os
import re
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


# Below the merge threshold: a pair held back from merging goes to review with this probability at most.
HELD_BACK = 1e-6


def _probability(columns: set[str], merge: float, birth_years_apart: int | None) -> str:
    """The pair's match probability, held just below the merge threshold (to review, never merged on its own)
    when both birth dates are given and that many years apart or more: a parent and a child of one name at one
    address with one home phone outweigh a clear birth-date mismatch in the model (1955 and 1985 even read as
    one mistyped digit)."""
    if not birth_years_apart or not {"birth_date_l", "birth_date_r"} <= columns:
        return "match_probability"
    apart = (f"abs(datediff('day', birth_date_l::date, birth_date_r::date)) >= {int(birth_years_apart) * 365}")
    return (f"case when {apart} then least(match_probability, {float(merge) - HELD_BACK!r}) "
            "else match_probability end")


def _collect(db: DuckDBAPI, tables: list[str], merge: float, birth_years_apart: int | None = None) -> Scored:
    con = db._con
    links, review = [], []
    for table in tables:
        columns = {c[0] for c in con.execute(f"describe {table}").fetchall()}
        con.execute(f"create or replace temp view _held as select * replace ("
                    f"{_probability(columns, merge, birth_years_apart)} as match_probability) from {table}")
        links.append(con.sql("select least(unique_id_l, unique_id_r) as id_l, greatest(unique_id_l, unique_id_r)"
                             " as id_r, match_probability from _held").df())
        review.append(con.sql(f"select least(unique_id_l, unique_id_r) as id_l, greatest(unique_id_l, unique_id_r)"
                              f" as id_r, match_probability, {_evidence_sql(columns)}::varchar as evidence "
                              f"from _held where match_probability < {float(merge)!r}").df())
    return Scored(pd.concat(links, ignore_index=True)[LINKS], pd.concat(review, ignore_index=True)[REVIEW])


def _swapped(rule: str) -> str:
    return re.sub(r"\b([lr])\.", lambda m: "r." if m.group(1) == "l" else "l.", rule)


def _atoms(rule: str) -> list:
    """The rule's comparisons with both sides sorted, and its connectives in order (parentheses dropped)."""
    parts = re.split(r"\s+(and|or)\s+", rule.replace("(", " ( ").replace(")", " ) ").strip())
    atoms = []
    for part in parts:
        sides = [x.strip() for x in part.split(" = ")]
        atoms.append(tuple(sorted(sides)) if len(sides) == 2 else part.strip())
    return atoms


def _reachable(con, blocking_rules: list[str]) -> None:
    """known_candidates: the known records some blocking rule pairs with a dirty one (the same pairs Splink
    will block, found by DuckDB hash joins), so Splink joins term frequencies onto those only. A rule that
    reads differently with l and r swapped is joined both ways."""
    picks = []
    for rule in blocking_rules:
        picks.append(f"select r.unique_id from dirty_records as l join known_records as r on {rule}")
        if sorted(map(str, _atoms(rule))) != sorted(map(str, _atoms(_swapped(rule)))):
            picks.append(f"select l.unique_id from known_records as l join dirty_records as r on {rule}")
    con.execute("create table known_candidates as select k.* from known_records as k "
                f"semi join ({' union all '.join(picks)}) as c using (unique_id)")


def score(records: pa.Table, model_path: Path, review_low: float, merge: float, blocking_rules: list[str],
          dirty: np.ndarray | None = None, birth_years_apart: int | None = None) -> Scored:
    """records: the model's input columns (unique_id first). Candidate pairs come from blocking_rules (those
    of rules/matching.yaml, not the ones saved with the model: a steward's edit applies at once). With dirty
    (a boolean mask over records), only pairs touching a dirty record are scored: dirty with dirty, and dirty
    with the known records some blocking rule reaches; term frequencies still come from every record, as in
    a full run. A pair whose birth dates are birth_years_apart or more is held back from merging (_probability)."""
    if records.num_rows < 2 or (dirty is not None and not dirty.any()):
        return empty()
    db = DuckDBAPI()
    con = db._con
    # Splink's working tables stay within this much memory and spill beyond it (the 4 GB budget at 1M records)
    con.execute(f"set memory_limit = '{SPLINK_MEMORY}'")
    con.execute("set preserve_insertion_order = false")
    settings = json.loads(Path(model_path).read_text(encoding="utf-8"))
    settings["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in blocking_rules]
    if dirty is None:
        con.register("_input", records)
        con.execute("create table customers as select * from _input")
        con.unregister("_input")
        link = Linker(db.register("customers", dataset_display_name="customers"), settings, log_level=logging.ERROR)
        predicted = link.inference.predict(threshold_match_probability=review_low)
        return _collect(db, [predicted.physical_name], merge, birth_years_apart)
    # the dirty records copied once; the known ones and every record (for term frequencies) are views over
    # the Arrow input, scanned in place
    con.register("_input", records.append_column("_dirty", pa.array(dirty, pa.bool_())))
    con.execute("create table dirty_records as select * exclude (_dirty) from _input where _dirty")
    con.execute("create view known_records as select * exclude (_dirty) from _input where not _dirty")
    con.execute("create view customers as select * exclude (_dirty) from _input")
    link = Linker(db.register("customers", dataset_display_name="customers"), settings, log_level=logging.ERROR)
    for column in link._settings_obj._term_frequency_columns:
        link.table_management.compute_tf_table(column.unquote().name)
    new = db.register("dirty_records", table_name="dirty")
    tables = [link.inference.predict_within(new, threshold_match_probability=review_low).physical_name]
    if not dirty.all():
        _reachable(con, blocking_rules)
        known = db.register("known_candidates", table_name="known")
        tables.append(link.inference.predict_between(new, known, threshold_match_probability=review_low)
                      .physical_name)
    return _collect(db, tables, merge, birth_years_apart)
