"""Writes the steward report of a night: <reports>/<date>/index.html, example CSVs, and the list of nights."""
from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipelines.reporting.charts import Chart, line_chart
from pipelines.reporting.mask import csv_safe, mask_field, mask_name, mask_text
from pipelines.standardize.text import visible
from pipelines.warehouse import holds
from pipelines.warehouse.store import sql

TEMPLATES = Path(__file__).resolve().parent / "templates"
SCORE_METRICS = ("completeness", "validity", "uniqueness", "consistency", "timeliness", "duplicate_rate")
EXAMPLE_COLUMNS = ("source_file", "source_line", "source_record_id", "name", "phone", "email", "value")
REVIEW_LIMIT = 50
_NIGHT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class ReportResult:
    path: Path
    index: Path
    csv_files: list[Path]
    alerts: int
    failing_rules: list[dict]
    preview: str


def _pct(value) -> str:
    return "" if value is None or pd.isna(value) else f"{value:.1%}"


def _points(delta) -> str:
    return "" if delta is None or pd.isna(delta) else f"{delta * 100:+.1f} pt"


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=_pct, points=_points)
    return env


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def scorecard(con: duckdb.DuckDBPyConnection, night: str) -> dict[str, list[dict]]:
    """{source: [{field, metric: {value, previous, delta, numerator, denominator}}]}, 'all' first."""
    rows = _records(con.execute(sql("report_scorecard"), {"partition": night}).df())
    out: dict[str, dict[str, dict]] = {}
    for row in rows:
        out.setdefault(row["source_system"], {}).setdefault(row["field"], {"field": row["field"]})[row["metric"]] = row
    return {source: list(fields.values()) for source, fields in out.items()}


def trends(con: duckdb.DuckDBPyConnection, night: str) -> list[Chart]:
    frame = con.execute(sql("report_trends"), {"partition": night}).df()
    if frame.empty:
        return []
    frame["night"] = frame["partition_date"].astype(str).str[:10]
    nights = sorted(frame["night"].unique())
    charts = []
    for title, rows in frame.groupby("title", sort=False):
        series = {src: dict(zip(r["night"], r["value"])) for src, r in rows.groupby("source_system")}
        if series:   # a chart whose metric no night of the window has is left out
            charts.append(line_chart(str(title), nights, series))
    return charts


def _shown(text):
    """A file or sheet name, a record id or an error naming them as a reader sees it: no right-to-left override
    (a file's name comes from whoever delivered it, a record id from the export) or control character."""
    return None if text is None else visible(str(text))


def _shown_rows(rows: list[dict], *columns: str) -> list[dict]:
    for row in rows:
        row.update({c: _shown(row[c]) for c in columns})
    return rows


def _example(row: dict, field: str) -> dict:
    value_field = field if field in row else None
    return {
        "source_file": _shown(row["source_file"]), "source_line": row["source_line"],
        "source_record_id": row["source_record_id"], "name": mask_name(row["full_name"]),
        "phone": mask_field("phone", row["phone"]), "email": mask_field("email", row["email"]),
        "value": mask_field(field, row[value_field]) if value_field and field not in ("full_name", "phone", "email")
        else None,
    }


def failing_rules(con: duckdb.DuckDBPyConnection, night: str, rule_fields: dict[str, str]) -> list[dict]:
    """Each failing rule with its count and up to five masked example records."""
    rules: dict[str, dict] = {}
    for row in _records(con.execute(sql("report_failing_rules"), {"partition": night}).df()):
        field = rule_fields.get(row["rule"], "")
        rule = rules.setdefault(row["rule"], {"rule": row["rule"], "action": row["action"], "field": field,
                                              "failures": int(row["failures"]), "examples": []})
        rule["examples"].append(_example(row, field))
    return list(rules.values())


# A header holding what looks like an e-mail address or a phone number (a data row or a note taken for part of
# the header): shown masked, as the values it may be.
_PERSONAL_HEADER = re.compile(r"@|\d[\d\s().-]{5,}\d")


def schema_drift(con: duckdb.DuckDBPyConnection, night: str) -> list[dict]:
    rows = _records(con.execute(sql("report_schema_drift"), {"partition": night}).df())
    for row in rows:
        if row["header"]:   # shown without invisible characters (a right-to-left override displays it reversed)
            row["header"] = visible(row["header"])
        if row["header"] and _PERSONAL_HEADER.search(row["header"]):
            row["header"] = mask_text(row["header"])
    return rows


def failed_expectations(con: duckdb.DuckDBPyConnection, night: str) -> list[dict]:
    return _records(con.execute(sql("report_failed_expectations"), {"partition": night}).df())


def night_files(con: duckdb.DuckDBPyConnection, night: str) -> list[dict]:
    """Each file of the night's latest run (pipeline_runs): its source, status, rows in, clean, quarantined, and
    what reading it noted (ingest_files.notes: encoding, delimiter, mapped fields none of whose headers it has,
    a footer not read; headers only, no values)."""
    return _shown_rows(_records(con.execute(
        "select r.source_system, r.source_file, r.status, r.rows_in, r.rows_clean, r.rows_quarantined, "
        "(select string_agg(i.notes, '; ' order by i.notes) from ingest_files i where i.partition_date = "
        "r.partition_date and i.source_system = r.source_system and i.source_file = r.source_file "
        "and i.notes <> '') as notes "
        "from pipeline_runs r where r.partition_date = ? and r.run_id = (select arg_max(run_id, finished) "
        "from pipeline_runs where partition_date = ?) order by r.source_system, r.source_file",
        [night, night]).df()), "source_file", "notes")


def rejected_files(con: duckdb.DuckDBPyConnection, night: str) -> list[dict]:
    return _shown_rows(_records(con.execute("select source_system, source_file, error from ingest_files where "
                                            "partition_date = ? and status = 'rejected' order by all", [night]).df()),
                       "source_file", "error")


def _masked_evidence(evidence: str | None) -> list[dict]:
    values = (json.loads(evidence) if evidence else {}).get("values", {})
    return [{"field": f, "left": mask_field(f, a), "right": mask_field(f, b), "same": a == b}
            for f, (a, b) in values.items()]


def review_queue(con: duckdb.DuckDBPyConnection) -> tuple[int, list[dict]]:
    total = con.execute("select count(*) from match_review").fetchone()[0]
    rows = con.execute("select unique_id_l, unique_id_r, match_probability, evidence from match_review "
                       "order by match_probability desc, unique_id_l, unique_id_r limit ?", [REVIEW_LIMIT]).fetchall()
    return int(total), [{"left": _shown(l), "right": _shown(r), "probability": p, "evidence": _masked_evidence(e)}
                        for l, r, p, e in rows]


def night_alerts(con: duckdb.DuckDBPyConnection, night: str) -> list[dict]:
    return _records(con.execute("select rule, source_system, table_name, field, metric, value, baseline, threshold, "
                                "message from alerts where partition_date = ? order by rule, source_system, field",
                                [night]).df())


def totals(con: duckdb.DuckDBPyConnection, night: str) -> list[dict]:
    return _records(con.execute(
        "select source_system, numerator as clean, denominator - numerator as quarantined, value as pass_rate "
        "from quality_metrics where partition_date = ? and metric = 'pass_rate' "
        "order by source_system = 'all', source_system", [night]).df())


def _write(path: Path, text: str) -> None:
    """Readers of the folder see the old file or the new one, never half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


def _csv_name(rule: str) -> str:
    return "failing_" + re.sub(r"[^A-Za-z0-9_-]", "_", rule) + ".csv"


def write_example_csvs(folder: Path, rules: list[dict]) -> list[Path]:
    for old in folder.glob("failing_*.csv"):
        old.unlink()
    paths = []
    for rule in rules:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(("rule",) + EXAMPLE_COLUMNS)
        for example in rule["examples"]:
            writer.writerow([csv_safe(rule["rule"])] + [csv_safe(example[c]) for c in EXAMPLE_COLUMNS])
        rule["csv"] = _csv_name(rule["rule"])
        paths.append(folder / rule["csv"])
        _write(paths[-1], "\ufeff" + buffer.getvalue())  # the BOM makes Excel read UTF-8 (Chinese names)
    return paths


def preview(alerts: list[dict], rules: list[dict]) -> str:
    """Markdown for Dagster: metric names, counts and masked examples only."""
    lines = ["| rule | failures | example (masked) |", "| --- | --- | --- |"]
    for rule in rules[:5]:
        first = rule["examples"][0] if rule["examples"] else {}
        example = " ".join(str(first.get(k) or "") for k in ("name", "phone", "email")).strip()
        lines.append(f"| {_md(rule['rule'])} | {rule['failures']} | {_md(example)} |")
    lines += ["", f"alerts: {len(alerts)}"] + [f"- {_md(a['rule'])} ({_md(a['source_system'])}, {_md(a['field'])})"
                                               for a in alerts]
    return "\n".join(lines)


_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def _md(value) -> str:
    """Text as Markdown shows it literally: every ASCII punctuation character backslash-escaped (no link,
    emphasis, HTML or table cell can come from a value), line breaks as spaces."""
    return _MD_PUNCTUATION.sub(r"\\\1", " ".join(str(value or "").split()))


def build_report(con: duckdb.DuckDBPyConnection, night: str, reports: Path, rule_fields: dict[str, str],
                 now: datetime | None = None) -> ReportResult:
    folder = reports / night
    folder.mkdir(parents=True, exist_ok=True)
    rules = failing_rules(con, night, rule_fields)
    csv_files = write_example_csvs(folder, rules)
    alerts = night_alerts(con, night)
    review_total, review = review_queue(con)
    html = _env().get_template("night.html.j2").render(
        night=night, generated=(now or datetime.now()).strftime("%Y-%m-%d %H:%M"), alerts=alerts,
        totals=totals(con, night), files=night_files(con, night), scorecard=scorecard(con, night),
        metrics=SCORE_METRICS,
        charts=trends(con, night), rules=rules, drift=schema_drift(con, night),
        rejected=rejected_files(con, night), expectations=failed_expectations(con, night),
        review_total=review_total, review=review, held=holds.held(con),
        gx=(reports / "gx").is_dir(), nights=list_nights(con, reports, also=night))
    _write(folder / "index.html", html)
    index = write_index(con, reports, also=night)
    return ReportResult(folder / "index.html", index, csv_files, len(alerts), rules, preview(alerts, rules))


def list_nights(con: duckdb.DuckDBPyConnection, reports: Path, also: str | None = None) -> list[dict]:
    """Every night with a report folder (newest first), with its pass rate and alert count."""
    names = {p.name for p in reports.iterdir() if p.is_dir() and _NIGHT.match(p.name) and (p / "index.html").exists()}
    names |= {also} if also else set()
    stats = {str(r[0]): r[1:] for r in con.execute(
        "select m.partition_date, m.value, m.numerator, m.denominator, "
        "(select count(*) from alerts as a where a.partition_date = m.partition_date) "
        "from quality_metrics as m where m.source_system = 'all' and m.metric = 'pass_rate'").fetchall()}
    return [{"night": n, "pass_rate": stats.get(n, (None,) * 4)[0], "rows": stats.get(n, (None,) * 4)[2],
             "alerts": stats.get(n, (None,) * 4)[3] or 0} for n in sorted(names, reverse=True)]


def write_index(con: duckdb.DuckDBPyConnection, reports: Path, also: str | None = None) -> Path:
    html = _env().get_template("index.html.j2").render(nights=list_nights(con, reports, also),
                                                        gx=(reports / "gx").is_dir())
    _write(reports / "index.html", html)
    return reports / "index.html"
