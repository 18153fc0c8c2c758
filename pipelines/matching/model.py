"""The Splink model: comparisons fitted to CRM data, training, saving as JSON (scoring: scoring.py)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator
from splink.internals.exceptions import EMTrainingException

from pipelines.rules import Matching

INPUT_COLUMNS = ["unique_id", "source_system", "full_name", "given_name", "family_name", "gender", "birth_date",
                 "phone", "phone_tail", "email", "city", "district", "street", "street_number", "postcode",
                 "national_id"]
log = logging.getLogger(__name__)


# Jaro-Winkler only where both sides are Latin-script: Chinese names are 2-3 characters (王伟 ~ 王玮 = 0.70),
# and Chinese streets differ by one character when they are other streets.
def _latin(column: str) -> str:
    return f"regexp_full_match({column}_l, '[A-Za-z0-9 .,''/-]+') and regexp_full_match({column}_r, '[A-Za-z0-9 .,''/-]+')"


def _similar(column: str, threshold: float = 0.9) -> str:
    return f"jaro_winkler_similarity({column}_l, {column}_r) >= {threshold}"


def _name() -> cl.CustomComparison:
    # A same given name under another family name is a married-name change; given and family name swapped is
    # an export that filled the two fields the other way round.
    parts = (f"{_latin('full_name')} and (({_similar('given_name', 0.88)} and {_similar('family_name', 0.88)}) or "
             "(jaro_winkler_similarity(given_name_l, family_name_r) >= 0.88 "
             "and jaro_winkler_similarity(family_name_l, given_name_r) >= 0.88))")
    one_part = ("(given_name_l is null or given_name_r is null or family_name_l is null or family_name_r is null) "
                "and (given_name_l = given_name_r or family_name_l = family_name_r "
                "or given_name_l = family_name_r or family_name_l = given_name_r)")
    return cl.CustomComparison(output_column_name="name", comparison_levels=[
        cll.NullLevel("full_name"),
        cll.ExactMatchLevel("full_name", term_frequency_adjustments=True),
        cll.CustomLevel("given_name_l = family_name_r and family_name_l = given_name_r",
                        label_for_charts="given and family name swapped"),
        cll.CustomLevel("family_name_l = family_name_r and least(length(given_name_l), length(given_name_r)) >= 2 "
                        "and damerau_levenshtein(given_name_l, given_name_r) <= 1",
                        label_for_charts="same family name, given name one edit apart"),
        cll.CustomLevel(parts, label_for_charts="both name parts similar, either order (Latin script)"),
        cll.CustomLevel(one_part, label_for_charts="one name part missing, the other equal"),
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
        cll.CustomLevel(f"phone_l = phone_r and {MOBILE}", label_for_charts="same Chinese mobile").configure(**tf),
        cll.CustomLevel("phone_l = phone_r", label_for_charts="same other number").configure(**tf),
        cll.CustomLevel("phone_tail_l = phone_tail_r", label_for_charts="same last 9 digits")
        .configure(tf_adjustment_column="phone_tail", disable_tf_exact_match_detection=True),
        cll.ElseLevel(),
    ])


MOBILE = r"regexp_matches(phone_l, '^\+861[3-9]')"
# A household or an office shares its landline and its street: the phone comparison has counted most of that
# evidence already. Learnt separately, the street would add another ~12 bits and merge two people of one
# household on a shared family name; fixed at a Bayes factor of 16 (4 bits) it still helps the same person.
HOUSEHOLD_M, HOUSEHOLD_U = 0.05, 0.05 / 16


def _address() -> cl.CustomComparison:
    # Postcode is a level of the address, not a separate comparison: the two move together.
    street = {"tf_adjustment_column": "street", "disable_tf_exact_match_detection": True}
    near_street = (f"{_latin('street')} and {_similar('street')} and (postcode_l = postcode_r "
                   "or damerau_levenshtein(postcode_l, postcode_r) <= 1 or city_l = city_r "
                   f"or ({_latin('city')} and {_similar('city', 0.85)}))")
    return cl.CustomComparison(output_column_name="address", comparison_levels=[
        cll.CustomLevel("(city_l is null or city_r is null) and (postcode_l is null or postcode_r is null) "
                        "and (street_l is null or street_r is null)").configure(is_null_level=True),
        cll.CustomLevel(f"street_l = street_r and phone_l = phone_r and not {MOBILE}",
                        label_for_charts="same street and same landline (counted by phone)")
        .configure(m_probability=HOUSEHOLD_M, u_probability=HOUSEHOLD_U,
                   fix_m_probability=True, fix_u_probability=True),
        cll.CustomLevel("city_l = city_r and district_l = district_r and street_l = street_r",
                        label_for_charts="same city, district and street").configure(**street),
        cll.CustomLevel("city_l = city_r and street_l = street_r", label_for_charts="same city and street")
        .configure(**street),
        cll.CustomLevel("street_l = street_r and (postcode_l = postcode_r or city_l is null or city_r is null)",
                        label_for_charts="same street, same postcode or city unknown").configure(**street),
        cll.CustomLevel(near_street, label_for_charts="similar street, postcode or city equal or close (Latin)"),
        cll.CustomLevel("postcode_l = postcode_r", label_for_charts="same postcode")
        .configure(tf_adjustment_column="postcode", disable_tf_exact_match_detection=True),
        cll.CustomLevel("street_l = street_r", label_for_charts="same street, other city")
        .configure(**street),
        cll.CustomLevel("city_l = city_r and district_l = district_r", label_for_charts="same district"),
        cll.CustomLevel(f"city_l = city_r or damerau_levenshtein(postcode_l, postcode_r) <= 1 "
                        f"or ({_latin('city')} and {_similar('city')})",
                        label_for_charts="same or similar city, or postcode one edit apart"),
        cll.ElseLevel(),
    ])


def _birth_date() -> cl.CustomComparison:
    # A day/month swap and a one-digit typo are kept apart from "within a year": they are entry errors,
    # another date within a year is mostly another person.
    text = "strftime(birth_date_{s}, '%Y%m%d')"
    return cl.CustomComparison(output_column_name="birth_date", comparison_levels=[
        cll.NullLevel("birth_date"),
        cll.ExactMatchLevel("birth_date"),
        cll.CustomLevel("year(birth_date_l) = year(birth_date_r) and month(birth_date_l) = day(birth_date_r) "
                        "and day(birth_date_l) = month(birth_date_r)", label_for_charts="day and month swapped"),
        cll.CustomLevel(f"damerau_levenshtein({text.format(s='l')}, {text.format(s='r')}) <= 1",
                        label_for_charts="one digit mistyped or two swapped"),
        cll.CustomLevel("abs(datediff('day', birth_date_l, birth_date_r)) <= 365", label_for_charts="within a year"),
        cll.ElseLevel(),
    ])


# Most CRM exports carry no national id, so training has no pairs to learn it from (the trained model held m 0.5
# and no u: an equal id counted against a match). Where an export has one, an equal id is strong evidence: fixed
# odds instead, an id mistyped in one of twenty records, shared by two people in one of ten million pairs.
NATIONAL_ID_M, NATIONAL_ID_U = 0.95, 1e-7


def _national_id() -> cl.CustomComparison:
    return cl.CustomComparison(output_column_name="national_id", comparison_levels=[
        cll.NullLevel("national_id"),
        cll.ExactMatchLevel("national_id").configure(
            m_probability=NATIONAL_ID_M, u_probability=NATIONAL_ID_U, fix_m_probability=True,
            fix_u_probability=True),
        cll.ElseLevel().configure(m_probability=1 - NATIONAL_ID_M, u_probability=1 - NATIONAL_ID_U,
                                  fix_m_probability=True, fix_u_probability=True),
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
            _birth_date(),
            _address(), _gender(),
            _national_id(),
        ],
        blocking_rules_to_generate_predictions=list(rules.blocking_rules),
        additional_columns_to_retain=["source_system"],
        retain_matching_columns=True,
        max_iterations=20,
    )


# Compared without case: one system writes MARY JONES or Xiaoming WANG where another writes Mary Jones; the golden
# record keeps the names as written (only the model's input is folded).
FOLDED = ("full_name", "given_name", "family_name")


def input_sql(alias: str = "r") -> str:
    """The model's input columns selected from a records table (alias), the names folded to lower case."""
    return ", ".join(f"lower({alias}.{c}) as {c}" if c in FOLDED else f"{alias}.{c}" for c in INPUT_COLUMNS)


def prepare(records: pd.DataFrame) -> pd.DataFrame:
    out = records[INPUT_COLUMNS].copy()
    for column in FOLDED:
        out[column] = out[column].str.lower()
    out["birth_date"] = pd.to_datetime(out["birth_date"], errors="coerce").dt.date
    return out.astype(object).where(out.notna(), None)


def linker(records: pd.DataFrame, model: SettingsCreator | dict | str) -> Linker:
    """Splink gets a DuckDB connection of its own: an unfinished result on a shared one breaks it."""
    db = DuckDBAPI()
    return Linker(db.register(prepare(records), dataset_display_name="customers"), model,
                  log_level=logging.ERROR)


def train(records: pd.DataFrame, rules: Matching, path: Path) -> Path:
    """Estimate the model on these records and save it as JSON (reviewed and versioned like code)."""
    link = linker(training_sample(records, rules), settings(rules))
    link.training.estimate_probability_two_random_records_match(
        list(rules.deterministic_rules), recall=rules.recall_of_deterministic_rules)
    link.training.estimate_u_using_random_sampling(max_pairs=rules.max_pairs_for_u, seed=rules.seed)
    for block in rules.em_blocks:
        try:
            link.training.estimate_parameters_using_expectation_maximisation(
                block, estimate_without_term_frequencies=True)
        except EMTrainingException:
            # An export without e-mails gives no pairs in the e-mail block: the other blocks still learn.
            log.warning("EM block %s gave no record pairs on these records: skipped", block)
    path.parent.mkdir(parents=True, exist_ok=True)
    link.misc.save_model_to_json(str(path), overwrite=True)
    model = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(floor_m(model, rules.m_floor), indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def training_sample(records: pd.DataFrame, rules: Matching) -> pd.DataFrame:
    """At most max_records_for_training records, drawn with the rules' seed: EM over millions of records
    underflows (m below 1e-300), and a few hundred thousand records estimate the same parameters."""
    if len(records) <= rules.max_records_for_training:
        return records
    return records.sample(n=rules.max_records_for_training, random_state=rules.seed).sort_index()


def floor_m(model: dict, floor: float) -> dict:
    """Every non-null level gets at least `floor` of the m mass (levels EM never saw included), then each
    comparison's m is renormalised: no single disagreement can outweigh all the evidence that agrees.
    Levels with a fixed m keep it; the others share what is left."""
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        fixed = sum(lv["m_probability"] for lv in levels if lv.get("fix_m_probability"))
        free = [lv for lv in levels if not lv.get("fix_m_probability")]
        for level in free:
            level["m_probability"] = max(level.get("m_probability") or 0.0, floor)
        total = sum(lv["m_probability"] for lv in free)
        for level in free:
            level["m_probability"] *= (1.0 - fixed) / total
    return model
