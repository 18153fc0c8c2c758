"""The order of day and month a file writes its dates in, where it is not its source's: read from the dates only
one order reads (13/04/1990 is day first), and the source's formats turned to that order.

A source declares its order (sources.yaml day_first), but one export of it may follow another locale: a
Salesforce org set up in the UK writes 05/03/1990 for 5 March. Read month first, every date of such a file whose
day is 12 or less is silently a wrong date. A file is read in the other order when at least a tenth of its
year-last dates can only be read that way and more than twenty times as many as can only be read the declared
way (a typo's 13/04 does not turn a file)."""
from __future__ import annotations

import re

# At least this share of a file's year-last dates read only in the other order ...
OTHER_ORDER_SHARE = 0.1
# ... and this many times as many as read only in the declared order
OTHER_ORDER_RATIO = 20

_YEAR_LAST = re.compile(r"%[YyGg]")


def other_order(year_last: int, day_first_only: int, month_first_only: int, declared_day_first: bool) -> bool:
    """Whether a file's dates are written in the order its source does not declare."""
    other, declared = ((month_first_only, day_first_only) if declared_day_first
                       else (day_first_only, month_first_only))
    return other > 0 and other >= OTHER_ORDER_SHARE * year_last and other > OTHER_ORDER_RATIO * declared


def in_order(fmt: str, day_first: bool) -> str:
    """A format written year last with its day and month in the given order (%m/%d/%Y -> %d/%m/%Y when day
    first); a format written year first (%Y-%m-%d, ISO) or without both is returned as it is."""
    day, month = fmt.find("%d"), fmt.find("%m")
    year = _YEAR_LAST.search(fmt)
    if day < 0 or month < 0 or not year or year.start() < max(day, month) or (day < month) == day_first:
        return fmt
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
