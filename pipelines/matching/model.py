"""The Splink model: comparisons fitted to CRM data, training, saving as JSON, scoring pairs."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator

from pipelines.rules import Matching

INPUT_COLUMNS = ["unique_id", "source_system", "full_name", "given_name", "family_name", "gender", "birth_date",
                 "phone", "phone_tail", "email", "city", "district", "street", "postcode", "national_id"]
PAIR_COLUMNS = ["unique_id_l", "unique_id_r", "match_probability"]


def _name() -> cl.CustomComparison:
    # Chinese names are 2-3 characters: Jaro-Winkler says 王伟 ~ 王玮 = 0.70, so it is used for Western typos
    # only; a same given name under another family name is a married-name change.
    return cl.CustomComparison(output_column_name="name", comparison_levels=[
        cll.NullLevel("full_name"),
        cll.ExactMatchLevel("full_name", term_frequency_adjustments=True),
        cll.CustomLevel("family_name_l = family_name_r and least(length(given_name_l), length(given_name_r)) >= 2 "
                        "and damerau_levenshtein(given_name_l, given_name_r) <= 1",
                        label_for_charts="same family name, given name one edit apart"),
        cll.JaroWinklerLevel("full_name", 0.9),
        cll.CustomLevel("given_name_l = given_name_r", label_for_charts="same given name, other family name")
        .configure(tf_adjustment_column="given_name", disable_tf_exact_match_detection=True),
        cll.ExactMatchLevel("family_name", term_frequency_adjustments=True),
        cll.ElseLevel(),
    ])


def _phone() -> cl.CustomComparison:
    # Mobiles are personal, landlines are often switchboards: separate levels, both weighed by frequency.
    tf = {"tf_adjustment_column": "phone", "disable_tf_exact_match_detection": True}
    # A number read with the wrong country code (or not parsed at all) still shares its last 9 digits.
    return cl.CustomComparison(output_column_name="phone", comparison_levels=[
        cll.CustomLevel("phone_tail_l is null or phone_tail_r is null").configure(is_null_level=True),
        cll.CustomLevel(r"phone_l = phone_r and regexp_matches(phone_l, '^\+861[3-9]')",
                        label_for_charts="same Chinese mobile").configure(**tf),
        cll.CustomLevel("phone_l = phone_r", label_for_charts="same other number").configure(**tf),
        cll.CustomLevel("phone_tail_l = phone_tail_r", label_for_charts="same last 9 digits")
        .configure(tf_adjustment_column="phone_tail", disable_tf_exact_match_detection=True),
        cll.ElseLevel(),
    ])


def _address() -> cl.CustomComparison:
    # Postcode is a level of the address, not a separate comparison: the two move together.
    street = {"tf_adjustment_column": "street", "disable_tf_exact_match_detection": True}
    return cl.CustomComparison(output_column_name="address", comparison_levels=[
        cll.CustomLevel("(city_l is null or city_r is null) and (postcode_l is null or postcode_r is null) "
                        "and (street_l is null or street_r is null)").configure(is_null_level=True),
        cll.CustomLevel("city_l = city_r and district_l = district_r and street_l = street_r",
                        label_for_charts="same city, district and street").configure(**street),
        cll.CustomLevel("city_l = city_r and street_l = street_r", label_for_charts="same city and street")
        .configure(**street),
        cll.CustomLevel("street_l = street_r and (city_l is null or city_r is null)",
                        label_for_charts="same street, city unknown").configure(**street),
        cll.CustomLevel("postcode_l = postcode_r", label_for_charts="same postcode")
        .configure(tf_adjustment_column="postcode", disable_tf_exact_match_detection=True),
        cll.CustomLevel("city_l = city_r and district_l = district_r", label_for_charts="same district"),
        cll.CustomLevel("city_l = city_r", label_for_charts="same city"),
        cll.ElseLevel(),
    ])


def _gender() -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name="gender", comparison_levels=[
        cll.CustomLevel("gender_l is null or gender_r is null or gender_l = 'U' or gender_r = 'U'")
        .configure(is_null_level=True),
        cll.ExactMatchLevel("gender"),
        cll.ElseLevel(),
    ])


def settings(rules: Matching) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _name(), _phone(),
            cl.ExactMatch("email").configure(term_frequency_adjustments=True),  # fuzzy e-mail merges strangers
            cl.DateOfBirthComparison("birth_date", input_is_string=False, datetime_thresholds=[1],
                                     datetime_metrics=["year"]),
            _address(), _gender(),
            # Most CRM exports carry no national id; where one does, an equal id is strong evidence.
            cl.ExactMatch("national_id").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=list(rules.blocking_rules),
        additional_columns_to_retain=["source_system"],
        retain_matching_columns=True,
        max_iterations=20,
    )


def prepare(records: pd.DataFrame) -> pd.DataFrame:
    out = records[INPUT_COLUMNS].copy()
    out["birth_date"] = pd.to_datetime(out["birth_date"], errors="coerce").dt.date
    return out.astype(object).where(out.notna(), None)


def linker(records: pd.DataFrame, model: SettingsCreator | dict | str) -> Linker:
    """Splink gets a DuckDB connection of its own: an unfinished result on a shared one breaks it."""
    db = DuckDBAPI()
    return Linker(db.register(prepare(records), dataset_display_name="customers"), model,
                  log_level=logging.ERROR)


def train(records: pd.DataFrame, rules: Matching, path: Path) -> Path:
    """Estimate the model on these records and save it as JSON (reviewed and versioned like code)."""
    link = linker(records, settings(rules))
    link.training.estimate_probability_two_random_records_match(
        list(rules.deterministic_rules), recall=rules.recall_of_deterministic_rules)
    link.training.estimate_u_using_random_sampling(max_pairs=rules.max_pairs_for_u, seed=rules.seed)
    for block in rules.em_blocks:
        link.training.estimate_parameters_using_expectation_maximisation(block, estimate_without_term_frequencies=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    link.misc.save_model_to_json(str(path), overwrite=True)
    model = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(floor_m(model, rules.m_floor), indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def floor_m(model: dict, floor: float) -> dict:
    """Every non-null level gets at least `floor` of the m mass (levels EM never saw included), then each
    comparison's m is renormalised: no single disagreement can outweigh all the evidence that agrees."""
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level in levels:
            level["m_probability"] = max(level.get("m_probability") or 0.0, floor)
        total = sum(lv["m_probability"] for lv in levels)
        for level in levels:
            level["m_probability"] /= total
    return model


def _ordered(pairs: pd.DataFrame) -> pd.DataFrame:
    """Pairs with unique_id_l < unique_id_r, so full and incremental scoring name a pair the same way."""
    swap = pairs["unique_id_l"] > pairs["unique_id_r"]
    if swap.any():
        left = pairs["unique_id_l"].where(~swap, pairs["unique_id_r"])
        pairs["unique_id_r"] = pairs["unique_id_r"].where(~swap, pairs["unique_id_l"])
        pairs["unique_id_l"] = left
        for col in [c for c in pairs.columns if c.endswith("_l") and c != "unique_id_l"]:
            other = col[:-2] + "_r"
            if other in pairs:
                left = pairs[col].where(~swap, pairs[other])
                pairs[other] = pairs[other].where(~swap, pairs[col])
                pairs[col] = left
    return pairs


def score(records: pd.DataFrame, model_path: Path, threshold: float, dirty: pd.Series | None = None) -> pd.DataFrame:
    """Candidate pairs at or above threshold: unique_id_l, unique_id_r, match_probability and evidence.
    With dirty (a boolean mask over records), only pairs touching a dirty record are scored: dirty with dirty
    and dirty with the rest; term frequencies still come from all records, as in a full run."""
    if len(records) < 2 or (dirty is not None and not dirty.any()):
        return pd.DataFrame(columns=PAIR_COLUMNS)
    if dirty is None:
        link = linker(records, str(model_path))
        return _ordered(link.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe())
    db = DuckDBAPI()
    prepared = prepare(records)
    prepared["_dirty"] = dirty.to_numpy()
    db._con.register("_all_records", prepared)
    db._con.execute("create table customers as select * exclude (_dirty) from _all_records")
    db._con.execute("create table dirty_records as select * exclude (_dirty) from _all_records where _dirty")
    db._con.execute("create table known_records as select * exclude (_dirty) from _all_records where not _dirty")
    db._con.unregister("_all_records")
    link = Linker(db.register("customers", dataset_display_name="customers"), str(model_path),
                  log_level=logging.ERROR)
    for column in link._settings_obj._term_frequency_columns:
        link.table_management.compute_tf_table(column.unquote().name)
    new = db.register("dirty_records", table_name="dirty")
    known = db.register("known_records", table_name="known")
    within = link.inference.predict_within(new, threshold_match_probability=threshold).as_pandas_dataframe()
    frames = [within]
    if len(prepared) > int(dirty.sum()):
        frames.append(link.inference.predict_between(new, known, threshold_match_probability=threshold)
                      .as_pandas_dataframe())
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    return _ordered(pd.concat(frames, ignore_index=True))
