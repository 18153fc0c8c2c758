"""The nightly partition: one per landing-folder date."""
from dagster import DailyPartitionsDefinition

nightly = DailyPartitionsDefinition(start_date="2024-01-01", end_offset=1)
