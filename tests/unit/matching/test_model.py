"""The Splink model's comparisons, training sample, m floor and training without e-mails."""
import dataclasses
import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from pipelines.matching import model, scoring
from pipelines.rules import load_matching

REPO = Path(__file__).resolve().parents[3]

PAIRS = [
    # (level label, left record, right record): one row per comparison level worth pinning down
    ("name", "given and family name swapped",
     {"full_name": "smith john", "given_name": "smith", "family_name": "john"},
     {"full_name": "john smith", "given_name": "john", "family_name": "smith"}),
    ("name", "both name parts similar, either order (Latin script)",
     {"full_name": "jhon smiht", "given_name": "jhon", "family_name": "smiht"},
     {"full_name": "john smith", "given_name": "john", "family_name": "smith"}),
    ("name", "same given name, other family name",
     {"full_name": "王丽", "given_name": "丽", "family_name": "王"},
     {"full_name": "李丽", "given_name": "丽", "family_name": "李"}),
    ("name", "Exact match on family_name",   # Chinese names never reach the Jaro-Winkler level
     {"full_name": "王伟", "given_name": "伟", "family_name": "王"},
     {"full_name": "王玮", "given_name": "玮", "family_name": "王"}),
    ("birth_date", "day and month swapped", {"birth_date": "1980-03-07"}, {"birth_date": "1980-07-03"}),
    ("birth_date", "one digit mistyped or two swapped", {"birth_date": "1980-03-17"}, {"birth_date": "1980-03-27"}),
    ("birth_date", "within a year", {"birth_date": "1980-03-17"}, {"birth_date": "1980-09-01"}),
    ("address", "same street and same landline (counted by phone)",
     {"street": "12 high st", "city": "york", "phone": "+441904000001"},
     {"street": "12 high st", "city": "york", "phone": "+441904000001"}),
    ("address", "same city and street",
     {"street": "12 high st", "city": "york", "phone": "+8613800000001"},
     {"street": "12 high st", "city": "york", "phone": "+8613800000001"}),
    ("address", "similar street, postcode or city equal or close (Latin)",
     {"street": "16 brooker street", "city": "scarborough", "postcode": "3305"},
     {"street": "16 brooker rstreet", "city": "scarborouhg", "postcode": "3350"}),
    ("address", "All other comparisons", {"street": "建国路88号", "city": "北京"}, {"street": "建国路8号", "city": "上海"}),
]


def _level(comparison: str, left: dict, right: dict) -> str:
    """The label of the first level of `comparison` whose SQL holds for this pair, evaluated in DuckDB."""
    settings = model.settings(_matching()).get_settings("duckdb").as_dict()
    levels = next(c for c in settings["comparisons"] if c["output_column_name"] == comparison)["comparison_levels"]
    row = {}
    for column in model.INPUT_COLUMNS:
        for side, record in (("l", left), ("r", right)):
            row[f"{column}_{side}"] = record.get(column)
    con = duckdb.connect()
    con.register("p", pd.DataFrame([row]).astype(object))
    con.execute("create table pair as select * replace (birth_date_l::date as birth_date_l, "
                "birth_date_r::date as birth_date_r) from p")
    for level in levels:
        if level["sql_condition"] == "ELSE":
            return level["label_for_charts"]
        if con.execute(f"select coalesce(({level['sql_condition']}), false) from pair").fetchone()[0]:
            return level.get("label_for_charts") or level["sql_condition"]
    raise AssertionError("no level applies")


def _matching():
    return load_matching(REPO / "rules")


@pytest.mark.parametrize("comparison, label, left, right", PAIRS, ids=[p[1] for p in PAIRS])
def test_comparison_levels(comparison, label, left, right):
    assert _level(comparison, left, right) == label


def test_floor_m_keeps_fixed_levels():
    doc = {"comparisons": [{"comparison_levels": [
        {"is_null_level": True},
        {"m_probability": 0.05, "fix_m_probability": True},
        {"m_probability": 0.95},
        {"m_probability": 0.0},
    ]}]}
    levels = model.floor_m(doc, 0.01)["comparisons"][0]["comparison_levels"]
    assert levels[1]["m_probability"] == 0.05
    assert sum(lv["m_probability"] for lv in levels[1:]) == pytest.approx(1.0)
    assert levels[3]["m_probability"] == pytest.approx(0.01 * 0.95 / 0.96)


def test_training_sample_is_seeded_and_capped():
    rules = dataclasses.replace(_matching(), max_records_for_training=10)
    records = pd.DataFrame({"unique_id": range(100)})
    first, second = model.training_sample(records, rules), model.training_sample(records, rules)
    assert len(first) == 10 and first.equals(second)
    assert model.training_sample(records.head(5), rules).equals(records.head(5))


def test_train_skips_an_em_block_without_pairs(tmp_path):
    """An export without e-mails (FEBRL) gives no pairs in the e-mail EM block: training goes on without it."""
    people = [("john", "smith", "1980-03-07", "york"), ("mary", "jones", "1975-11-30", "leeds"),
              ("peter", "brown", "1990-01-15", "hull"), ("anna", "white", "1985-06-21", "bath")]
    rows = []
    for i in range(40):
        given, family, dob, city = people[i % 4]
        rows.append({"unique_id": f"s:{i}", "source_system": "s", "full_name": f"{given} {family}",
                     "given_name": given, "family_name": family, "gender": "U", "birth_date": dob,
                     "phone": None, "phone_tail": None, "email": None, "city": city, "district": None,
                     "street": f"{i % 4} high st", "street_number": str(i % 4), "postcode": None,
                     "national_id": None})
    path = model.train(pd.DataFrame(rows), _matching(), tmp_path / "model.json")
    assert path.exists()


def _pair(**both) -> list[dict]:
    """Two model-input records (salesforce:1, hubspot:2) of Ann Lee, born 1980-05-06 in Boston; `both` gives
    each side's own values as (left, right) pairs."""
    rows = []
    for side, uid in enumerate(("salesforce:1", "hubspot:2")):
        row = dict.fromkeys(model.INPUT_COLUMNS)
        row.update(unique_id=uid, source_system=uid.split(":")[0], full_name="ann lee", given_name="ann",
                   family_name="lee", birth_date=dt.date(1980, 5, 6), city="Boston")
        row.update({column: values[side] for column, values in both.items()})
        rows.append(row)
    return rows


def _best(table: pa.Table, blocking: str) -> float:
    """The highest match probability the saved model gives a pair of the table (0 when none is scored)."""
    links = scoring.score(table, REPO / "data/models/splink_model.json", 0.0001,
                          load_matching(REPO / "rules").merge_threshold, [blocking]).links
    return float(links["match_probability"].max()) if len(links) else 0.0


def test_names_differing_only_in_case_are_one_name_to_the_model():
    """MARY JONES (one export's capitals) and Mary Jones fell to the names' 'else' level (-6.7 bits): the model's
    input folds them (input_sql), the records keep them as written."""
    records = pa.Table.from_pylist(_pair(
        full_name=("Mary Jones", "MARY JONES"), given_name=("Mary", "MARY"), family_name=("Jones", "JONES"),
        street=("30 Pine St", "30 Pine St"), postcode=("02108", "02108"), gender=("F", "F"),
        phone=("+16175550101", None), email=(None, "mj@example.com")))
    folded = duckdb.connect().sql(f"select {model.input_sql('r')} from records as r").to_arrow_table()
    assert folded.column("full_name").to_pylist() == ["mary jones", "mary jones"]
    # 0.44 against 0.0085: the rest of the evidence is equal
    assert _best(folded, "l.street = r.street") > 40 * _best(records, "l.street = r.street") > 0


def test_an_equal_national_id_is_evidence_for_a_match_not_against():
    """No export of the samples has one, so training left it m 0.5 and no u: an equal id lowered the weight.
    Its odds are fixed (NATIONAL_ID_M / NATIONAL_ID_U)."""
    saved = json.loads((REPO / "data/models/splink_model.json").read_text(encoding="utf-8"))
    levels = next(c for c in saved["comparisons"] if c["output_column_name"] == "national_id")["comparison_levels"]
    assert levels[1]["m_probability"] == model.NATIONAL_ID_M and levels[1]["u_probability"] == model.NATIONAL_ID_U

    def records(national_id) -> pa.Table:
        return pa.Table.from_pylist(_pair(street=("30 Pine St", "48 Oak Ave"), national_id=(national_id, national_id)))
    same_id = _best(records("110101198005060023"), "l.full_name = r.full_name")
    assert same_id > max(_best(records(None), "l.full_name = r.full_name"), 0.5)
