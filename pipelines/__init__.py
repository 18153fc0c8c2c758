"""crm-quality: nightly ingest, validation and cleansing of CRM customer exports into DuckDB."""
