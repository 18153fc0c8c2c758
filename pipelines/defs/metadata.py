"""Materialisation metadata for the Dagster UI: column schema, pass rates, a preview of non-PII columns."""
from __future__ import annotations

import duckdb
import pandas as pd
from dagster import MetadataValue, TableColumn, TableColumnConstraints, TableRecord, TableSchema

from pipelines.reporting.mask import PLACES, mask_field

# Columns that say nothing about a person: shown in the UI preview. Names, phones, e-mails, addresses below
# the province, ids and free text never are.
PREVIEW_COLUMNS = ("source_system", "source_file", "source_line", "gender", "country", "province", "phone_type",
                   "phone_valid", "email_valid", "quality_flags")
PREVIEW_ROWS = 5


def column_schema(con: duckdb.DuckDBPyConnection, table: str) -> TableSchema:
    """The warehouse table's columns, types and nullability, as DuckDB declares them."""
    rows = con.execute("select column_name, data_type, is_nullable from information_schema.columns "
                       "where table_name = ? order by ordinal_position", [table]).fetchall()
    return TableSchema(columns=[TableColumn(name, str(kind).lower(), constraints=_constraints(nullable))
                                for name, kind, nullable in rows])


def _constraints(nullable: str) -> TableColumnConstraints:
    return TableColumnConstraints(nullable=nullable == "YES")


def _cell(value):
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return ", ".join(str(v) for v in list(value))
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value if isinstance(value, (bool, int, float)) else str(value)


def preview(frame: pd.DataFrame) -> MetadataValue:
    cols = [c for c in PREVIEW_COLUMNS if c in frame.columns]
    head = frame[cols].head(PREVIEW_ROWS)
    # a place column holds what the export wrote when it was not understood: masked as the reports mask it
    records = [TableRecord({c: _cell(mask_field(c, v) if c in PLACES and isinstance(v, str) else v)
                            for c, v in zip(cols, row)}) for row in head.itertuples(index=False)]
    schema = TableSchema(columns=[TableColumn(c, "string") for c in cols])
    return MetadataValue.table(records=records, schema=schema)


def clean_metadata(con: duckdb.DuckDBPyConnection, partition: str, quarantined: int, schema: TableSchema) -> dict:
    """Rates and shape of a customers_clean partition, read back from the warehouse; counts and rates only,
    no customer value."""
    clean, phone, email, flagged = con.execute(
        "select count(*), avg(phone_valid::int), avg(email_valid::int), avg((len(quality_flags) > 0)::int) "
        "from customers_clean where partition_date = ?", [partition]).fetchall()[0]
    head = con.execute("select * from customers_clean where partition_date = ? "
                       "order by source_system, source_file, source_line limit ?", [partition, PREVIEW_ROWS]).df()
    total = clean + quarantined
    return {
        "dagster/column_schema": schema,
        "clean_rate": round(clean / total, 6) if total else 0.0,
        "phone_valid_rate": round(float(phone or 0.0), 6),
        "email_valid_rate": round(float(email or 0.0), 6),
        "flagged_rate": round(float(flagged or 0.0), 6),
        "preview (non-PII columns)": preview(head),
    }
