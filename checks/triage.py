"""Sorts validation failures into quarantined rows and flagged fields, as rules/validation.yaml says."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.rules import ValidationRule

SCHEMA_RULE = "schema"


@dataclass
class Triage:
    quarantined: pd.DataFrame  # index = row, columns rule, field, other_rules
    flags: pd.Series           # index = row, list of flag rule names (empty list when none)
    flagged: pd.DataFrame      # one (row, rule) per flag raised on a row that is not quarantined


def _rule_of(cases: pd.DataFrame, rules: dict[str, ValidationRule]) -> pd.DataFrame:
    """Failure cases with the rule each stands for: a named rule, or 'schema' for a column check of CleanCustomer."""
    named = cases["check"].isin(list(rules))
    out = pd.DataFrame({
        "row": cases["index"].astype("int64"),
        "rule": np.where(named, cases["check"], SCHEMA_RULE),
        "field": np.where(named, cases["check"].map({n: r.field for n, r in rules.items()}), cases["column"]),
        "action": np.where(named, cases["check"].map({n: r.action for n, r in rules.items()}), "quarantine"),
        "priority": np.where(named, cases["check"].map({n: r.priority for n, r in rules.items()}), len(rules)),
    })
    out.loc[out["rule"] == SCHEMA_RULE, "rule"] = SCHEMA_RULE + ":" + cases["column"].astype(str) + ":" + cases["check"].astype(str)
    return out.sort_values(["row", "priority", "rule"], kind="stable")


def _lists_by_row(rows: pd.Series, rules: pd.Series, skip_first: bool = False) -> pd.Series:
    """The rules of each row as a list (rows sorted, as _rule_of leaves them), the first left out with
    skip_first: one split of the arrays, not a Python function per group."""
    row_values, rule_values = rows.to_numpy(), rules.to_numpy(dtype=object)
    if not len(row_values):
        return pd.Series([], index=row_values, dtype=object)
    starts = np.flatnonzero(np.r_[True, row_values[1:] != row_values[:-1]])
    groups = np.split(rule_values, starts[1:])
    return pd.Series([g[1:].tolist() if skip_first else g.tolist() for g in groups], index=row_values[starts],
                     dtype=object)


def triage(cases: pd.DataFrame, rules: dict[str, ValidationRule], index: pd.Index) -> Triage:
    ruled = _rule_of(cases, rules)
    bad = ruled[ruled["action"] == "quarantine"]
    first = bad.drop_duplicates("row").set_index("row")
    others = _lists_by_row(bad["row"], bad["rule"], skip_first=True)
    quarantined = first[["rule", "field"]].assign(other_rules=others.reindex(first.index))
    flagged = ruled[(ruled["action"] == "flag") & ~ruled["row"].isin(first.index)]
    flag_lists = _lists_by_row(flagged["row"], flagged["rule"])
    flags = pd.Series([[]] * len(index), index=index, dtype=object)  # one empty list, shared, never changed
    flags.loc[flag_lists.index] = flag_lists
    return Triage(quarantined, flags, flagged[["row", "rule"]].reset_index(drop=True))
