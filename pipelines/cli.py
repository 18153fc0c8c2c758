"""The crm-quality command: run the nightly assets in-process for a date or every landed date."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import re
import sys
import threading
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pipelines.settings import REPO_ROOT, load_settings, problems as settings_problems

# Stage errors are summarised by this command; Dagster's own console log would print tracebacks.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
def _instance():
    """The Dagster instance of DAGSTER_HOME, the runs dead processes left behind released first. Its steps'
    stdout and stderr go to the terminal as they are, not through Dagster's compute-log capture: that mirrors
    each step's output through a `tail` and a Python watcher process started per step, and Ctrl-C in the
    terminal reaches those too, each printing a KeyboardInterrupt traceback. The stages log through Dagster's
    event log, which the UI shows for these runs as for its own."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    home = os.path.expanduser(os.environ["DAGSTER_HOME"])
    instance = DagsterInstance.from_ref(InstanceRef.from_dir(home, overrides={"compute_logs": {
        "module": "dagster._core.storage.noop_compute_log_manager", "class": "NoOpComputeLogManager"}}))
    from pipelines.defs.dead_runs import release_dead_runs

    for run_id in release_dead_runs(instance):
        print(f"run {run_id} was left running by a crm-quality process that is gone (killed?): marked failed, "
              "its hold on the warehouse released", file=sys.stderr)
    return instance


def dagster_home() -> None:
    """Runs are kept in the repo's .dagster_home, not a temporary folder, so `make ui` shows them; with another
    DAGSTER_HOME, in that folder, under the repo's dagster.yaml."""
    home = os.path.expanduser(os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT)))
    if not (home and os.path.isabs(home) and os.path.isdir(home)):
        raise SystemExit(f"DAGSTER_HOME is set to '{home}', which is not the absolute path of a folder: create "
                         "it, or unset DAGSTER_HOME to keep the runs in this repository")
    # Another home gets the repo's instance settings (telemetry off, one warehouse writer at a time, storage
    # paths), which Dagster would otherwise replace by its defaults, and keeps its runs inside itself.
    base = REPO_ROOT / ".dagster_home" if Path(home).resolve() == REPO_ROOT else Path(home)
    config = Path(home) / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(REPO_ROOT / "dagster.yaml", config)
        print(f"wrote the repository's dagster.yaml into DAGSTER_HOME ({home})", file=sys.stderr)
    storage = Path(os.environ.setdefault("CRM_DAGSTER_STORAGE", str(base / "storage")))
    logs = Path(os.environ.setdefault("CRM_DAGSTER_LOGS", str(base / "logs")))
    storage.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)


def seed_landing(landing: Path, samples: Path) -> bool:
    """Copy the bundled sample exports into an empty landing folder."""
    if landing.exists() and any(landing.iterdir()):
        return False
    if not samples.exists():
        return False
    shutil.copytree(samples, landing, dirs_exist_ok=True)
    return True


def landed_folders(landing: Path) -> tuple[dict[str, list[Path]], list[Path]]:
    """The folders in the landing folder's source folders (<source>/<YYYY-MM-DD>, or misnamed ones: 2026-11-5,
    latest), by name, in order; and the files lying in a source's folder itself, outside any night's folder.
    Hidden entries (.DS_Store, ~$ lock files) are left out."""
    found: dict[str, list[Path]] = {}
    stray: list[Path] = []
    for entry in sorted(landing.glob("*/*")) if landing.exists() else []:
        if entry.name.startswith((".", "~$")) or entry.parent.name.startswith(".") or not entry.parent.is_dir():
            continue
        if entry.is_dir():
            found.setdefault(entry.name, []).append(entry)
        else:
            stray.append(entry)
    return dict(sorted(found.items())), stray


def _nights(folders: dict[str, list[Path]], stray: list[Path]) -> tuple[list[str], list[str]]:
    """The landed dates that are nightly partitions, and one line for each folder skipped because it is not and
    for each file outside a night's folder."""
    from pipelines.defs.partitions import not_a_night

    nights, skipped = [], []
    for date, paths in folders.items():
        why = not_a_night(date)
        if why is None:
            nights.append(date)
        else:
            skipped += [f"skipped landing folder {path}: {why}" for path in paths]
    skipped += [f"skipped file {path}: not in a night's folder (land it in {path.parent}/<YYYY-MM-DD>/)"
                for path in stray]
    return nights, skipped


def _summary(warehouse: Path, run_ids: list[str]) -> list[tuple]:
    from pipelines.warehouse.store import connect

    with connect(warehouse) as con:
        return con.execute(
            """select partition_date, source_system, sum(rows_in), sum(rows_clean), sum(rows_quarantined),
                      count(*) filter (where status = 'rejected'), count(*) filter (where status = 'unbalanced')
               from pipeline_runs where run_id in (select unnest($ids))
               group by all order by all""", {"ids": run_ids}).fetchall()


# a mapped field none of whose headers the file has, with a header of the file close to one of them (ingest's note)
_MISSPELT = re.compile(r"(\w+) \(((?:(?!\), \w+ \().)*?); closest header: ('.*?')\)(?=, \w+ \(|$)")


def _noted(warehouse: Path, run_ids: list[str], marker: str) -> list[tuple]:
    """(night, file, the text after marker) of the run's files whose ingest notes hold marker."""
    from pipelines.warehouse.store import connect

    with connect(warehouse) as con:
        rows = con.execute("select partition_date, source_file, notes from ingest_files where run_id in (select "
                           "unnest($ids)) and contains(notes, $marker) order by all",
                           {"ids": run_ids, "marker": marker}).fetchall()
    return [(night, path, note.split(marker, 1)[1]) for night, path, note in rows]


def _misspelt_fields(warehouse: Path, run_ids: list[str]) -> list[tuple]:
    """(night, file, field, its headers, the file's close header) of the run's files in which a mapped field has
    none of its headers but one close to them (a typo in sources.yaml, a renamed column): the field stays empty
    on every row, which the counts alone do not show. Fields merely absent from an export (a report of a few
    columns) are left to the notes."""
    from pipelines.ingest import ABSENT_FIELDS

    return [(night, path, *m.groups()) for night, path, text in _noted(warehouse, run_ids, ABSENT_FIELDS)
            for m in _MISSPELT.finditer(text)]


def _surrogate_gaps(warehouse: Path, run_ids: list[str]) -> list[tuple]:
    """(night, file, fields) of the run's files lacking a column their records' surrogate id is hashed from."""
    from pipelines.ingest import SURROGATE_GAP

    return [(night, path, text.split("; ")[0]) for night, path, text in _noted(warehouse, run_ids, SURROGATE_GAP)]


def _error_line(error) -> str:
    """The innermost error's own message, first line: no traceback for the user."""
    while error is not None and error.cause is not None:
        error = error.cause
    if error is None:
        return "unknown error"
    first = error.message.strip().splitlines()[0] if error.message.strip() else ""
    first = first.split(f"{error.cls_name}: ", 1)[-1]  # the message often repeats the qualified class name
    return f"{error.cls_name}: {first}"


def _print_failures(result) -> None:
    """Failed stages and failed asset checks (the check, the night, its counts), one line each."""
    from pipelines.defs.checks import failed_checks
    from pipelines.interrupts import error_is_interrupt

    for event in result.all_events:
        error = event.step_failure_data.error if event.is_step_failure else None
        if error is None or error.cls_name == "DagsterAssetCheckFailedError":
            continue
        print(f"    stage {event.step_key} " + ("stopped (interrupted)" if error_is_interrupt(error) else
                                                f"failed: {_error_line(error)}"), file=sys.stderr)
    for line in failed_checks(result):
        print(f"    {line}", file=sys.stderr)


def _interrupted(result) -> bool:
    """Whether a stage of the run was stopped by Ctrl-C (or SIGTERM): then the nights after it are not run."""
    from pipelines.interrupts import error_is_interrupt, signal_received

    return signal_received() or any(event.is_step_failure and error_is_interrupt(event.step_failure_data.error)
                                    for event in result.all_events)


def _print_blocked(result, night: str) -> None:
    """What a night stopped by a blocking check leaves behind, and how to go on."""
    from pipelines.defs.checks import blocked_by

    if blocked_by(result):
        print(f"    night {night} stopped by a blocking check: its customers_clean and quarantine rows stay for "
              "inspection; pipeline_runs and the report were not built for it. Fix the cause and run "
              f"`crm-quality run --date {night}` again (the night's rows are replaced).", file=sys.stderr)


def _run_masters(instance, materialize, full: bool = False) -> bool:
    from pipelines.defs.assets import MASTER_ASSETS
    from pipelines.defs import dead_runs
    from pipelines.defs.checks import MASTER_CHECKS
    from pipelines.defs.resources import default_resources

    print(f"customer masters ({'full rebuild' if full else 'new and changed records'}): customer_master, "
          "customer_xref, match_review ...", flush=True)
    config = {**QUIET_LOGS, "ops": {"customer_master_tables": {"config": {"full_rebuild": full}}}}
    result = materialize(MASTER_ASSETS + MASTER_CHECKS, resources=default_resources(), instance=instance,
                         raise_on_error=False, run_config=config, tags=dead_runs.run_tags())
    _print_failures(result)
    if _interrupted(result):
        raise KeyboardInterrupt
    for event in result.get_asset_materialization_events():
        unapplied = event.materialization.metadata.get("unapplied_decisions")
        if unapplied is not None and unapplied.value != "none":
            for problem in unapplied.value.split("; "):
                print(f"    steward decision not applied: {problem} (edit the decisions file)", file=sys.stderr)
    return result.success


def _held_nights(warehouse: Path) -> set[str]:
    from pipelines.warehouse import holds
    from pipelines.warehouse.store import connect

    with connect(warehouse) as con:
        return {night for night, _checks in holds.held(con)}


def _partial_full_nights(warehouse: Path, dates: list[str]) -> list[tuple[str, str, str]]:
    from pipelines.warehouse import holds
    from pipelines.warehouse.store import connect

    with connect(warehouse) as con:
        return [row for row in holds.partial_full_nights(con) if row[0] in dates]


def _master_summary(warehouse: Path) -> None:
    from pipelines.warehouse import holds
    from pipelines.warehouse.store import connect

    with connect(warehouse) as con:
        masters, records = con.execute("select count(*), coalesce(sum(record_count), 0) from customer_master").fetchone()
        review = con.execute("select count(*) from match_review").fetchone()[0]
        held = holds.held(con)
        deleted = holds.deleted(con)
    print(f"\n{records} source records -> {masters} customer masters; {review} pairs await review "
          f"(crm-quality review)")
    for source, marked, missing in deleted:
        said = ([f"{marked} marked deleted or no customer"] * bool(marked)
                + [f"{missing} missing from a full delivery (deleted in the source)"] * bool(missing))
        # an agent (not_a_customer) is no deletion in the source: only the records missing are said to be
        print(f"{source}: {' and '.join(said)}: they no longer feed the masters")

    for night, checks in held:
        print(f"night {night} is held out of the masters: {checks} failed on its rows; rerun it once fixed",
              file=sys.stderr)


def run(dates: list[str], masters: bool = True, full_rebuild: bool = False) -> int:
    with _one_run_at_a_time(load_settings().warehouse):
        return _run(dates, masters, full_rebuild)


@contextmanager
def _one_run_at_a_time(warehouse: Path) -> Iterator[None]:
    """Runs on one warehouse one after the other: a second run waits for the first to end, be it another
    `crm-quality run` or a run the Dagster UI launched (a backfill, the schedule, a sensor's master build), which
    takes the same lock (pipelines/defs/executor.py). Interleaved, a run's master build read a night another run
    was rewriting (its new rows held until their checks passed), retired that night's masters and the other run
    reissued them: false history and masters missing meanwhile."""
    from pipelines.warehouse.run_lock import one_run_at_a_time

    def waiting() -> None:
        print(f"another run is using {warehouse} (a crm-quality run, or a run launched from the Dagster UI: a "
              "backfill, the schedule, a master build): waiting for it to end", file=sys.stderr, flush=True)

    with one_run_at_a_time(warehouse, on_wait=waiting):
        yield


def _run(dates: list[str], masters: bool, full_rebuild: bool) -> int:
    dagster_home()
    from dagster import materialize

    from pipelines.defs import dead_runs
    from pipelines.defs.assets import NIGHTLY_ASSETS
    from pipelines.defs.checks import NIGHTLY_CHECKS
    from pipelines.defs.resources import default_resources

    settings = load_settings()
    if settings.warehouse.exists():   # one that cannot be opened (not DuckDB's, held by a session) stops the run
        import duckdb                 # here, in one line, not a failed stage per night and an empty summary

        duckdb.connect(str(settings.warehouse)).close()
    instance = _instance()
    failed, run_ids = [], []
    for i, date in enumerate(dates, start=1):
        # a stop anywhere in the night's turn (even right after its line is printed, before the run starts)
        # names the night and the nights not run, as a stop inside a stage does
        try:
            print(f"[{i}/{len(dates)}] {date}: raw_customers -> customers_clean + quarantine -> pipeline_runs",
                  flush=True)
            result = materialize(NIGHTLY_ASSETS + NIGHTLY_CHECKS, partition_key=date, resources=default_resources(),
                                 instance=instance, raise_on_error=False, run_config=QUIET_LOGS, tags=dead_runs.run_tags())
            run_ids.append(result.run_id)
            _print_failures(result)
            if not result.success:
                _print_blocked(result, date)
                failed.append(date)
        except KeyboardInterrupt:   # stopped outside a stage (the run starting or ending)
            result = None
        if result is None or _interrupted(result):   # the night's tables are whole: its last run or this one
            rest = dates[i:]
            print(f"interrupted during night {date}" + (f"; {', '.join(rest)} not run" if rest else ""),
                  file=sys.stderr)
            return 130
    print(f"\n{'night':<12}{'source':<14}{'rows in':>9}{'clean':>9}{'quarant.':>10}{'files rejected':>16}")
    for night, source, rows_in, clean, quarantined, rejected, unbalanced in _summary(settings.warehouse, run_ids):
        note = f"  ({unbalanced} unbalanced)" if unbalanced else ""
        print(f"{str(night):<12}{source:<14}{rows_in:>9}{clean:>9}{quarantined:>10}{rejected:>16}{note}")
    for night, path, field, headers, close in _misspelt_fields(settings.warehouse, run_ids):
        print(f"{night} {path}: {field} left empty: the file has none of its headers ({headers}) but has {close} "
              "(a typo in sources.yaml, or a renamed column?)")
    for night, path, fields in _surrogate_gaps(settings.warehouse, run_ids):
        print(f"{night} {path}: record ids hashed without {fields}: they differ from the ids of files that have "
              "the column, so the same customer delivered both ways is two records (restore the column, or change "
              "surrogate_key in sources.yaml)")
    for night, source, why in _partial_full_nights(settings.warehouse, dates):
        print(f"{night} {source}: a full delivery not read whole ({why}): no record is taken as deleted from it")
    if failed:
        print(f"no report for {', '.join(failed)}: the night failed", file=sys.stderr)
    # a night whose customers_clean checks failed (or never ran) is held out of the masters (warehouse/holds.py):
    # they are built from the others. A night that failed otherwise, unheld, stops them as before.
    held = _held_nights(settings.warehouse) if failed else set()
    unheld = [d for d in failed if d not in held]
    if masters and unheld:
        print(f"customer masters not built: {', '.join(unheld)} failed and is not held out of them (they would "
              "read its rows)", file=sys.stderr)
    build = masters and not unheld
    masters_failed = build and not _run_masters(instance, materialize, full_rebuild)
    if build and not masters_failed:
        _master_summary(settings.warehouse)
    failed += ["masters"] if masters_failed else []
    if not masters_failed:
        failed += _run_reports(instance, materialize, [d for d in dates if d not in failed])
    print(f"\nwarehouse: {settings.warehouse}")
    print("rejected files and their reasons: select * from pipeline_runs where status = 'rejected'")
    print("Dagster UI: make ui  (then open http://127.0.0.1:3000)")
    if failed:
        print(f"stage failures on: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """The command line; a warehouse another process holds is a one-line message, not a traceback."""
    import duckdb

    if threading.current_thread() is threading.main_thread():   # SIGTERM stops a run as Ctrl-C does
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    from pipelines.interrupts import signals_watched

    try:
        with signals_watched():
            return _main(argv)
    except KeyboardInterrupt:   # between stages (or in one: _interrupted); what landed stays, the rest not run
        print("crm-quality: interrupted; the nights and stages that completed stay in the warehouse", file=sys.stderr)
        return 130
    except OSError as exc:
        # a folder of the settings that cannot be made or written (CRM_WAREHOUSE under a file, /proc, a read-only
        # mount, a full disk)
        print(f"crm-quality: {exc.strerror or type(exc).__name__}: {exc.filename or ''}", file=sys.stderr)
        return 1
    except duckdb.IOException as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        held = "lock" in first.lower()
        print(f"crm-quality: the warehouse could not be opened ({first})" + (
              "; DuckDB lets one process write a warehouse at a time: wait for the other one (or close it) and "
              "run the command again" if held else ""), file=sys.stderr)
        return 1


def _count(text: str) -> int:
    """A command-line count: a whole number of at least 1 (argparse says so in one line otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text}")
    return value


def _day(text: str) -> str:
    """A command-line day written YYYY-MM-DD that exists."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or len(text) != 10:   # fromisoformat also takes 20261120
        raise argparse.ArgumentTypeError(f"not a day written YYYY-MM-DD: {text!r}")
    return text


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crm-quality", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="materialise the nightly assets")
    which = run_p.add_mutually_exclusive_group(required=True)
    which.add_argument("--date", help="partition date YYYY-MM-DD")
    which.add_argument("--all", action="store_true", help="every date present in the landing folder")
    run_p.add_argument("--seed-samples", action="store_true",
                       help="copy the bundled sample exports into the landing folder when it is empty")
    run_p.add_argument("--no-masters", action="store_true", help="skip matching into customer masters")
    run_p.add_argument("--full-rebuild", action="store_true",
                       help="score every record again (default: only new and changed records)")
    sub.add_parser("train", help="retrain the matching model on the warehouse's clean records and save it")
    review = sub.add_parser("review", help="list open match-review pairs, or record a steward decision")
    review.add_argument("--limit", type=_count, default=20)
    review.add_argument("--decide", choices=["must_link", "cannot_link"], help="record a decision for a pair")
    review.add_argument("records", nargs="*", help="with --decide: the two records, as source:record_id")
    review.add_argument("--override", nargs=3, metavar=("MASTER_ID", "FIELD", "VALUE"),
                        help="set a golden field of a master; wins over survivorship on every run")
    review.add_argument("--by", default=os.environ.get("USER", ""), help="who decides (kept in the file)")
    review.add_argument("--note", default="")
    review.add_argument("--show-values", action="store_true",
                        help="show the pairs' values unmasked (personal data: only on a steward's own terminal)")
    gen = sub.add_parser("generate", help="write synthetic exports of the three presets (seeded)")
    gen.add_argument("--out", required=True, type=Path)
    gen.add_argument("--people", type=_count, default=3000)
    gen.add_argument("--nights", type=_count, default=3)
    gen.add_argument("--start", type=_day, default="2026-11-20")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--truth", type=Path, help="also write who each line really is, for accuracy figures")
    report_p = sub.add_parser("report", help="rebuild a night's quality metrics, alerts and steward report "
                                             "from the warehouse alone")
    report_p.add_argument("--date", required=True, help="partition date YYYY-MM-DD")
    args = parser.parse_args(argv)
    if args.command == "train":
        return train()
    if args.command == "review":
        return review_command(args, parser)
    if args.command == "report":
        return report_command(args, parser)
    if args.command == "generate":
        from pipelines.samples import generate

        for path, rows in generate(args.out, people=args.people, nights=args.nights, start=args.start,
                                   seed=args.seed, truth=args.truth):
            print(f"{rows:>9} rows  {path}")
        return 0
    from pipelines.rules import rules_problems

    settings = load_settings()
    wrong = settings_problems(settings) or rules_problems(settings.rules)
    for problem in wrong:
        print(problem, file=sys.stderr)
    if wrong:
        return 2
    if args.seed_samples and seed_landing(settings.landing, settings.samples):
        print(f"copied the sample exports from {settings.samples} into {settings.landing}")
    if args.date is not None:   # an empty --date "" (an unset variable) is a bad night, not --all
        if _bad_night(args.date):
            return 2
        if not Path(settings.landing).is_dir():
            print(f"the landing folder {settings.landing} does not exist (CRM_LANDING)", file=sys.stderr)
            return 1
        if not any(Path(settings.landing).glob(f"*/{args.date}/*")):
            print(f"nothing landed for {args.date} in {settings.landing}", file=sys.stderr)
            _, skipped = _nights(*landed_folders(settings.landing))
            for line in skipped:   # a night landed under a misspelt folder (2026-11-5) is named
                print(line, file=sys.stderr)
        return run([args.date], masters=not args.no_masters, full_rebuild=args.full_rebuild)
    folders, stray = landed_folders(settings.landing)
    if not folders and not stray:
        print(f"nothing landed in {settings.landing}", file=sys.stderr)
        return 1
    dates, skipped = _nights(folders, stray)
    for line in skipped:
        print(line, file=sys.stderr)
    if not dates:
        print(f"no landing folder in {settings.landing} is a nightly partition: nothing to run", file=sys.stderr)
        return 1
    code = run(dates, masters=not args.no_masters, full_rebuild=args.full_rebuild)
    if skipped:
        print(f"{len(skipped)} landing folder(s) or file(s) skipped, not in a nightly partition's folder (listed at "
              "the start)", file=sys.stderr)
    return code


def _bad_night(date: str) -> bool:
    """A --date that is not a nightly partition: say why in one line."""
    from pipelines.defs.partitions import not_a_night

    why = not_a_night(date)
    if why:
        print(f"crm-quality: --date {date} is not a nightly partition: {why}", file=sys.stderr)
    return why is not None


def train() -> int:
    from pipelines.matching.model import train as train_model
    from pipelines.matching.records import latest_versions
    from pipelines.rules import RulesError, load_matching
    from pipelines.warehouse.store import connect

    settings = load_settings()
    try:
        matching = load_matching(settings.rules)
    except RulesError as exc:
        print(exc, file=sys.stderr)
        return 1
    with connect(settings.warehouse) as con:
        records = latest_versions(con)
    if len(records) < 2:
        print("no clean records in the warehouse yet: run the pipeline first", file=sys.stderr)
        return 1
    train_model(records, matching, settings.model)
    print(f"trained on {len(records)} records; model saved to {settings.model} (review and commit it)")
    return 0


def review_command(args, parser) -> int:
    from pipelines.matching.decisions import record_decision
    from pipelines.warehouse.store import connect

    settings = load_settings()
    if args.override:
        from pipelines.rules import GOLDEN_FIELDS

        master_id, field_name, value = args.override
        if field_name not in GOLDEN_FIELDS:
            parser.error(f"FIELD must be one of {', '.join(GOLDEN_FIELDS)}")
        from pipelines.matching.decisions import override_text, typed_override
        from pipelines.rules import RulesError, load_standardization

        try:   # recorded in its standard form (a phone as E.164): what the golden record will hold
            markers = load_standardization(settings.rules).phone_extension_markers if field_name == "phone" else ()
            value = override_text(typed_override(Path("--override"), 0, field_name, value, markers))
        except RulesError as exc:
            parser.error(str(exc).split(": ", 1)[-1])
        record_decision(settings.decisions, "override", master_id=master_id, field_name=field_name, value=value,
                        decided_by=args.by, note=args.note)
        print(f"recorded override of {field_name} for {master_id} in {settings.decisions}; "
              "it applies from the next run")
        return 0
    if args.decide:
        if len(args.records) != 2 or not all(":" in r for r in args.records):
            parser.error("--decide needs two records written as source:record_id")
        record_decision(settings.decisions, args.decide, args.records[0], args.records[1],
                        decided_by=args.by, note=args.note)
        print(f"recorded {args.decide} {args.records[0]} {args.records[1]} in {settings.decisions}; "
              "it applies from the next run")
        return 0
    if not settings.warehouse.exists():   # connect would make an empty warehouse and list no pair
        print(f"no warehouse at {settings.warehouse} (CRM_WAREHOUSE): run the pipeline first", file=sys.stderr)
        return 1
    with connect(settings.warehouse) as con:
        rows = con.execute("select unique_id_l, unique_id_r, match_probability, evidence from match_review "
                           "order by match_probability desc limit ?", [args.limit]).fetchall()
        total = con.execute("select count(*) from match_review").fetchone()[0]
    print(f"{total} open pairs (showing {len(rows)}); decide with: crm-quality review --decide "
          "must_link|cannot_link A B")
    from pipelines.reporting.mask import mask_field
    from pipelines.standardize.text import visible

    def shown(field: str, value) -> str:   # masked as in the reports unless asked for; never a terminal escape
        return "(empty)" if value is None else visible(str(value)) if args.show_values else mask_field(
            field, visible(str(value)))
    if rows and not args.show_values:
        print("values masked; --show-values shows them (personal data)")
    for left, right, probability, evidence in rows:
        values = json.loads(evidence)["values"]
        print(f"\n{probability:.3f}  {visible(left)}  <->  {visible(right)}")
        for field, (a, b) in values.items():
            # a missing value (or gender U, which the model reads as unknown) agrees with nothing
            unknown = a is None or b is None or field == "gender" and "U" in (a, b)
            mark = "?" if unknown else "=" if a == b else "≠"
            print(f"    {field:<12}{_padded(shown(field, a), 32)}{mark} {shown(field, b)}")
    return 0


def _padded(text: str, width: int) -> str:
    """text padded to a terminal width: a Chinese character takes two columns."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
    return text + " " * max(width - shown, 1)


def _run_reports(instance, materialize, dates: list[str]) -> list[str]:
    """quality_metrics + alerts -> steward_report for each night; the nights whose report failed."""
    from pipelines.defs import dead_runs
    from pipelines.defs.reports import REPORT_ASSETS, report_resources
    from pipelines.defs.resources import default_resources

    failed = []
    for date in dates:
        result = materialize(REPORT_ASSETS, partition_key=date, resources={**default_resources(), **report_resources()},
                             instance=instance, raise_on_error=False, run_config=QUIET_LOGS, tags=dead_runs.run_tags())
        _print_failures(result)
        if _interrupted(result):
            raise KeyboardInterrupt
        if not result.success:
            failed.append(f"report {date}")
            continue
        meta = result.asset_materializations_for_node("steward_report")[0].metadata
        alerts = meta["alerts"].value
        print(f"report {date}: {meta['path'].value}" + (f"  ({alerts} alert(s))" if alerts else ""), flush=True)
    return failed


def report_command(args, parser) -> int:
    from pipelines.warehouse.store import connect

    if _bad_night(args.date):
        return 2
    settings = load_settings()
    if not settings.warehouse.exists():
        print(f"no warehouse at {settings.warehouse}: run the pipeline first", file=sys.stderr)
        return 1
    with connect(settings.warehouse) as con:
        known = con.execute("select count(*) from pipeline_runs where partition_date = ?", [args.date]).fetchone()[0]
    if not known:
        print(f"the warehouse has no run of night {args.date}", file=sys.stderr)
        return 1
    dagster_home()
    from dagster import materialize

    failed = _run_reports(_instance(), materialize, [args.date])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
