"""Benchmark of ingest + validate + cleanse on generated exports; prints wall time per stage, rows/s, peak memory.

Beside our pipeline it measures, on the same files and in fresh processes:
  floor    - DuckDB alone scanning the CSVs (read_csv) plus calamine reading the XLSX: the I/O floor;
  obvious  - what a user would write instead: pandas read_csv/read_excel, then phonenumbers and
             email-validator once per distinct value on a pool of 2 processes. The workbook is read with the
             calamine engine, the fastest pandas has (12x openpyxl here): the strictest comparison.
  obvious-openpyxl - the same with read_excel's default engine (openpyxl), as pandas runs it when no engine
             is asked for; not in the default sequence (--kinds adds it).
Usage: python benchmarks/ingest_cleanse.py --rows 1000000   (data is generated once under benchmarks/data/)
       --repeat 3 runs the children in turn three times (this machine's speed drifts by a fifth within minutes)
       and prints each run's total and, at the end, each kind's best and median.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATE = "2026-11-20"


class PeakMemory(threading.Thread):
    """Samples the memory this process and its worker processes really hold, every second: the sum of their
    proportional set sizes (PSS, /proc/<pid>/smaps_rollup), where a page shared by a forked worker and its parent
    counts once. (ru_maxrss of the process plus that of its largest child counts such pages twice.)"""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_kb, self._stop_event = 0, threading.Event()
        self.cpu_ticks: dict[int, int] = {}   # last seen user + system clock ticks of each worker process

    def run(self) -> None:
        while not self._stop_event.wait(1.0):
            tree = _process_tree(os.getpid())
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(pid) for pid in tree))
            for pid in tree[1:]:
                self.cpu_ticks[pid] = max(self.cpu_ticks.get(pid, 0), _cpu_ticks(pid))

    def worker_cpu_s(self) -> float:
        """CPU seconds of the worker processes, as last sampled (up to a second of each is missed)."""
        return sum(self.cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return self.peak_kb / 1024


def _process_tree(pid: int) -> list[int]:
    out = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out += [p for child in (task / "children").read_text().split() for p in _process_tree(int(child))]
    except OSError:  # the process ended meanwhile
        pass
    return out


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])   # utime, stime
    except (OSError, IndexError, ValueError):
        return 0


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            return next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
    except OSError:
        return 0


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def make_data(rows: int, folder: Path) -> Path:
    marker = folder / f"rows-{rows}.done"
    if marker.exists():
        return folder
    from pipelines.samples import generate

    folder.mkdir(parents=True, exist_ok=True)
    people = int(rows / 0.945)
    t = time.perf_counter()
    written = list(generate(folder, people=people, nights=1, start=DATE, seed=1, xlsx_scale=0.193))
    for path, n in written:
        print(f"  generated {n:>9} rows {path.relative_to(folder)}", flush=True)
    print(f"  generation took {time.perf_counter() - t:.1f} s", flush=True)
    marker.write_text("ok")
    return folder


def run_ours(landing: Path, warehouse: Path | None = None) -> dict:
    """The same calls the assets make, stage by stage, into a fresh warehouse file (or the given one: a
    second run then finds every phone and e-mail in the value cache, as a night of known customers would)."""
    from pipelines import cleanse
    from pipelines.ingest import ingest_partition, with_constants
    from pipelines.rules import load_rules
    from pipelines.warehouse.store import connect, replace_partition
    from pipelines.warehouse.value_cache import DuckDBValueStore

    rules = load_rules(Path(__file__).resolve().parent.parent / "rules")
    times = {}
    with tempfile.TemporaryDirectory() as tmp, connect(warehouse or Path(tmp) / "w.duckdb") as con:
        t = time.perf_counter()
        result = ingest_partition(landing, DATE, rules.sources)
        raw = with_constants(result.raw, partition_date=DATE, run_id="bench")
        times["ingest: read + map files"] = time.perf_counter() - t
        t = time.perf_counter()
        replace_partition(con, DATE, {"raw_customers": raw, "ingest_files": result.files.assign(
            partition_date=DATE, run_id="bench")})
        times["ingest: write raw_customers"] = time.perf_counter() - t
        rows = raw.num_rows
        del raw, result
        # cleanse_night's steps, timed by wrapping the names it calls (summed over the chunks)
        steps = {"read: SQL text cleaning (first chunk)": "read_arrow", "read: rows to pandas": "to_frame",
                 "standardise: start the background work": "start_standardize",
                 "standardise: the rest, background results": "finish_standardize",
                 "validate: pandera lazy + triage": "validate", "split": "split",
                 "write customers_clean + quarantine": "append"}
        spent = dict.fromkeys(steps, 0.0)
        originals = {label: getattr(cleanse, name) for label, name in steps.items()}

        def timed(label, fn):
            def wrapper(*a, **kw):
                start = time.perf_counter()
                try:
                    return fn(*a, **kw)
                finally:
                    spent[label] += time.perf_counter() - start
            return wrapper
        for label, name in steps.items():
            setattr(cleanse, name, timed(label, originals[label]))
        try:
            t = time.perf_counter()
            night = cleanse.cleanse_night(con, DATE, rules, "bench", DuckDBValueStore(con))
            total = time.perf_counter() - t
        finally:
            for label, name in steps.items():
                setattr(cleanse, name, originals[label])
        # the other chunks' SQL runs in a thread beside the main one's work, and the writes in the warehouse's
        # writer thread (warehouse/serial.py): timed apart, not part of the sum
        overlapped = spent.pop("read: SQL text cleaning (first chunk)")
        written = spent.pop("write customers_clean + quarantine")
        for label, seconds in spent.items():
            times[f"cleanse: {label}"] = seconds
        times["cleanse: other (chunks, commit, waiting for the SQL)"] = total - sum(spent.values())
        overlapping = {"cleanse: the cleansing SQL, all chunks (in a thread from the second on)": overlapped,
                       "cleanse: write customers_clean + quarantine (writer thread)": written}
    return {"rows": rows, "clean": night.clean, "quarantined": night.quarantined, "times": times,
            "overlapping": overlapping}


def run_floor(landing: Path) -> dict:
    import duckdb
    from python_calamine import CalamineWorkbook

    t = time.perf_counter()
    con = duckdb.connect()
    n = 0
    for csv_file in sorted(landing.glob(f"*/{DATE}/*.csv")):
        n += con.execute("select count(*) from read_csv(?, all_varchar = true, ignore_errors = true)", [str(csv_file)]).fetchone()[0]
    for xlsx in sorted(landing.glob(f"*/{DATE}/*.xlsx")):
        n += len(CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()) - 2
    return {"rows": n, "times": {"scan": time.perf_counter() - t}}


def _phone(v):
    import phonenumbers

    try:
        p = phonenumbers.parse(v, "CN")
        return phonenumbers.format_number(p, 0) if phonenumbers.is_valid_number(p) else None
    except phonenumbers.NumberParseException:
        return None


def _email(v):
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(v, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def run_obvious(landing: Path, engine: str = "calamine") -> dict:
    from multiprocessing import Pool

    import pandas as pd

    t = time.perf_counter()
    frames = [pd.read_csv(f, dtype=str, on_bad_lines="skip") for f in sorted(landing.glob(f"*/{DATE}/*.csv"))]
    frames += [pd.read_excel(f, dtype=str, header=1, engine=engine) for f in sorted(landing.glob(f"*/{DATE}/*.xlsx"))]
    read = time.perf_counter() - t
    phones = pd.concat([f[c] for f in frames for c in ("Phone", "MobilePhone", "Phone Number", "手机") if c in f])
    emails = pd.concat([f[c] for f in frames for c in ("Email", "邮箱") if c in f])
    t = time.perf_counter()
    with Pool(2) as pool:
        up = phones.dropna().unique().tolist()
        dict(zip(up, pool.map(_phone, up, chunksize=5000)))
        ue = emails.dropna().unique().tolist()
        dict(zip(ue, pool.map(_email, ue, chunksize=5000)))
    return {"rows": sum(len(f) for f in frames), "times": {"read (pandas)": read, "phones + emails (pool of 2)":
                                                           time.perf_counter() - t}}


def run_ours_warm(landing: Path) -> dict:
    warehouse = landing.parent / "warm.duckdb"
    warehouse.unlink(missing_ok=True)
    run_ours(landing, warehouse)
    return run_ours(landing, warehouse)


def child(kind: str, landing: Path) -> None:
    t = time.perf_counter()
    memory = PeakMemory()
    memory.start()
    if kind == "ours-warm":
        result = run_ours_warm(landing)
        result["total"] = sum(result["times"].values())
    else:
        result = {"ours": run_ours, "floor": run_floor, "obvious": run_obvious,
                  "obvious-openpyxl": lambda folder: run_obvious(folder, engine="openpyxl")}[kind](landing)
        result["total"] = time.perf_counter() - t
    result["peak_pss_mb"] = memory.stop()
    result["peak_mb"] = peak_mb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["main_cpu_s"] = usage.ru_utime + usage.ru_stime
    result["worker_cpu_s"] = memory.worker_cpu_s()
    print(json.dumps(result))


KINDS = ["floor", "obvious", "obvious-openpyxl", "ours", "ours-warm"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--child", choices=KINDS)
    parser.add_argument("--kinds", default="floor,obvious,ours,ours-warm",
                        help=f"comma-separated, run in this order (of {', '.join(KINDS)})")
    parser.add_argument("--repeat", type=int, default=1, help="run the kinds in turn this many times")
    args = parser.parse_args()
    landing = args.data / f"landing-{args.rows}"
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if unknown := set(kinds) - set(KINDS):
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    if args.child:
        child(args.child, landing)
        return
    print(f"machine: {os.cpu_count()} cores; data: {landing}", flush=True)
    make_data(args.rows, landing)
    totals: dict[str, list[float]] = {}
    for _ in range(max(1, args.repeat)):
        for kind in kinds:
            totals.setdefault(kind, []).append(run_child(kind, args))
    if args.repeat > 1:
        print("\n== totals over the runs (best / median / all)")
        for kind, seconds in totals.items():
            print(f"   {kind:<10}{min(seconds):>7.1f} s {statistics.median(seconds):>7.1f} s   "
                  + ", ".join(f"{t:.1f}" for t in seconds))


def run_child(kind: str, args: argparse.Namespace) -> float:
    """Run one kind in a fresh process, print its figures; its total in seconds."""
    proc = subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--data", str(args.data),
                           "--child", kind], capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr[-3000:])
        raise SystemExit(f"{kind} failed")
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\n== {kind}: {r['rows']:,} rows, {r['total']:.1f} s total, {r['rows'] / r['total']:,.0f} rows/s, "
          f"peak {r['peak_pss_mb']:,.0f} MB held (PSS of process + workers; max RSS sum {r['peak_mb']:,.0f} MB), "
          f"CPU: main process {r['main_cpu_s']:.1f} s, workers {r['worker_cpu_s']:.1f} s", flush=True)
    for stage, seconds in r["times"].items():
        print(f"   {stage:<36}{seconds:>7.1f} s")
    for stage, seconds in r.get("overlapping", {}).items():
        print(f"   {stage:<36}{seconds:>7.1f} s (beside the stages above, not added to them)")
    if kind.startswith("ours"):
        print(f"   clean {r['clean']:,}  quarantined {r['quarantined']:,}")
    return r["total"]


if __name__ == "__main__":
    main()
