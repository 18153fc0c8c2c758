"""DuckDB warehouse access: connections, schema, SQL files and atomic partition replacement."""
