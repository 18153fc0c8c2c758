"""The nightly partition: one per landing-folder date."""
import datetime as dt
import re

from dagster import DailyPartitionsDefinition

# The last partition is today in UTC (end_offset=1), and the nightly schedule runs the last partition at 02:30
# UTC. A folder dated tomorrow in UTC (an export stamped in China time after 16:00 UTC) is not a partition yet:
# it waits until its date begins in UTC (8 hours at most). With end_offset=2 the schedule would run tomorrow's
# partition, whose exports have not landed, and never today's.
nightly = DailyPartitionsDefinition(start_date="2024-01-01", end_offset=1)


def not_a_night(date: str) -> str | None:
    """Why a date (a landing folder's name, a --date) is not a nightly partition; None when it is one."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return "not a date written YYYY-MM-DD"
    try:
        dt.date.fromisoformat(date)
    except ValueError:
        return "no such day"
    first, last = nightly.get_first_partition_key(), nightly.get_last_partition_key()
    if date < first:
        return f"before the first night, {first}"
    if date > last:
        return f"in the future: the last night is {last} (today in UTC); it can run once {date} has begun in UTC"
    return None
