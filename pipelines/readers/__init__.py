"""Readers turn one export file into a table of text cells with the physical line of every record."""
from pipelines.readers.base import FileError, RawTable, read_file

__all__ = ["FileError", "RawTable", "read_file"]
