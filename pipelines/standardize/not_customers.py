"""Rows that are no customers (sources.yaml not_customers: Zendesk's agents): their columns read in SQL, their
values matched once per distinct value."""
from __future__ import annotations

import pandas as pd

from pipelines.readers.delimited import header_key
from pipelines.rules import Rules, Source
from pipelines.standardize import text

# Full-width ASCII forms and the ideographic space, and what NFKC makes of them: an extra member's key is matched
# in SQL as headers are (case, full-width forms and surrounding spaces ignored)
_FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_ASCII = "".join(chr(c) for c in range(0x21, 0x7F)) + " "
# the columns read_raw_for_cleansing.sql adds: the text of each source's i-th not_customers column
COLUMN = "_not_customer_{}"


def columns(source: Source) -> list[tuple[str, str | None]]:
    """(header, the canonical field it is mapped to or None) of each of the source's not_customers columns."""
    fields = {header_key(h): f for f, headers in source.columns.items() for h in headers}
    return [(h, fields.get(header_key(h))) for h in source.not_customers]


# A key given to ->> is a JSON path when it starts with $ and a JSON pointer when it starts with /: a header such
# as $type or /角色 is read as the member it names only when quoted in a path ($."$type"), backslashes and quotes
# escaped
_MEMBER_SQL = r"""('$."' || replace(replace({}, '\', '\\'), '"', '\"') || '"')"""


def member(header: str) -> str:
    """The JSON path of extra's member named header, whatever characters it holds ($, /, ., quotes, brackets)."""
    return '$."' + header.replace("\\", "\\\\").replace('"', '\\"') + '"'


def label(header: str, field: str | None) -> str:
    """What quarantine.field names: the canonical field a mapped header is read as, else the header."""
    return field or header


def select(rules: Rules) -> tuple[str, dict[str, object]]:
    """SQL columns (after a comma) giving each row the text of its source's not_customers columns, and their
    parameters (source names and headers are bound, never spliced in). A mapped header is read from its field
    (the value the field took); an unmapped one from extra, under the header as written in the rules, else the
    member whose key matches it ignoring case, full-width forms and surrounding spaces (a member, never a JSON
    path: $type, /角色 are headers)."""
    branches: dict[int, list[str]] = {}
    params: dict[str, object] = {}
    for j, (name, source) in enumerate(sorted(rules.sources.items())):
        for i, (header, field) in enumerate(columns(source)):
            params[f"nc_source_{j}"] = name
            if field:
                value = f"parsed.{field}"
            else:
                params[f"nc_header_{j}_{i}"], params[f"nc_key_{j}_{i}"] = member(header), header_key(header)
                found = (f"list_filter(json_keys(extra), lambda k: lower(trim(translate(k, $nc_full_width, "
                         f"$nc_ascii))) = $nc_key_{j}_{i})[1]")
                value = f"coalesce(extra->>$nc_header_{j}_{i}, extra->>({_MEMBER_SQL.format(found)}))"
            branches.setdefault(i, []).append(f"when $nc_source_{j} then {value}")
    if not branches:
        return "", {}
    params.update(nc_full_width=_FULL_WIDTH, nc_ascii=_ASCII)
    return "".join(f",\n    case source_system {' '.join(b)} end as {COLUMN.format(i)}"
                   for i, b in sorted(branches.items())), params


def not_a_customer(f: pd.DataFrame, rules: Rules) -> pd.Series:
    """Per row, the column (label) whose value says the row is no customer, or None: the values of the columns
    select() read, cleaned and case-folded once per distinct value (rules.fold_value), looked up by source."""
    out = pd.Series(None, index=f.index, dtype=object)
    i = 0
    while COLUMN.format(i) in f:
        listed = {f"{name}\x1f{value}": label(*columns(source)[i]) for name, source in rules.sources.items()
                  if len(source.not_customers) > i for value in list(source.not_customers.values())[i]}
        folded = text.clean_column(f[COLUMN.format(i)].astype(object), set()).str.casefold()
        found = (f["source_system"] + "\x1f" + folded).map(listed)
        out = out.where(out.notna(), found)
        i += 1
    return out.where(out.notna(), None)
