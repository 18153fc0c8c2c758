"""Golden records by survivorship rules (rules/survivorship.yaml), as one DuckDB aggregate per field."""
from __future__ import annotations

from pipelines.ingest import literal
from pipelines.rules import ADDRESS_FIELDS as ADDRESS, GOLDEN_FIELDS, Survivorship

_VALIDITY = {"phone": "phone_valid", "email": "email_valid"}
# Values that say nothing is known: they survive only when no record of the master knows better (a gender U
# from one export does not outvote or outlast an M from another).
_UNKNOWN = {"gender": "U"}
# Columns that survive with a field, from the record that gives it: a phone's extension belongs to its number.
COMPANIONS = {"phone": ("phone_extension",)}


def _key(field: str, strategy: str) -> str:
    """The integer whose smallest value picks the surviving record: the strategy's criterion above the record's
    recency (0 = most recently updated; ties by source and record id). arg_min over an integer is one pass in
    constant memory per master, where first(... order by ...) sorts every master's records."""
    validity = _VALIDITY.get(field)
    first = {
        "most_recent": None,
        "most_trusted": "trust_rank",
        "most_frequent": f"-{field}__n",
        "valid_first": f"case when {validity} then 0 when not {validity} then 1 else 2 end" if validity else None,
        "true_first": f"case when {field} then 0 else 1 end",
    }[strategy]
    return f"({first})::bigint * 4294967296 + recency" if first else "recency"


# The parts of an address (ADDRESS) survive together, from one record: picked one by one they made addresses no
# record holds (one record's street under another's city). The record is the one street's strategy picks among
# those with a street, else among those with any part.
_AFTER_STREET = 4503599627370496   # 2**52: above every strategy key (criterion * 2**32 + recency)


def golden_sql(rules: Survivorship) -> str:
    """select master_id, <field>, <field>_source ... from matched (records with master_id)."""
    ranks = " ".join(f"when {literal(s)} then {i}" for i, s in enumerate(rules.source_ranking))
    counts = "".join(f", count(*) over (partition by master_id, {f}) as {f}__n"
                     for f in GOLDEN_FIELDS if rules.fields.get(f) == "most_frequent")
    keys = {f: _key(f, rules.fields.get(f, "most_recent")) for f in GOLDEN_FIELDS}
    single = [f for f in GOLDEN_FIELDS if f not in ADDRESS]
    picks = ", ".join(f"arg_min(struct_pack(v := {f}, {''.join(f'{c} := {c}, ' for c in COMPANIONS.get(f, ()))}"
                      f"s := source_system), {keys[f]}) filter (where {f} is not null) as {f}__pick" for f in single)
    parts = ", ".join(f"{f} := {f}" for f in ADDRESS)
    picks += (f", arg_min(struct_pack({parts}, s := source_system), (street is null)::bigint * {_AFTER_STREET} + "
              f"{keys['street']}) filter (where coalesce({', '.join(ADDRESS)}) is not null) as address__pick")
    known = ", ".join(f"arg_min(struct_pack(v := {f}, s := source_system), {keys[f]}) filter (where {f} is not null "
                      f"and {f} <> {literal(value)}) as {f}__known" for f, value in _UNKNOWN.items())

    def unpack_one(f: str) -> str:
        if f in ADDRESS:
            return (f"address__pick.{f} as {f}, "
                    f"case when address__pick.{f} is not null then address__pick.s end as {f}_source")
        if f in _UNKNOWN:
            return f"coalesce({f}__known, {f}__pick).v as {f}, coalesce({f}__known, {f}__pick).s as {f}_source"
        return f"{f}__pick.v as {f}, {f}__pick.s as {f}_source" + "".join(
            f", {f}__pick.{c} as {c}" for c in COMPANIONS.get(f, ()))
    unpack = ", ".join(unpack_one(f) for f in GOLDEN_FIELDS)
    return f"""
with ranked as (
    select *, case source_system {ranks} else {len(rules.source_ranking)} end as trust_rank{counts},
        row_number() over (order by updated_at desc, source_system, source_record_id) as recency
    from matched
), picked as (
    select
        master_id,
        {picks},
        {known},
        count(*) as record_count,
        list_sort(list(distinct source_system)) as sources,
        min(first_seen) as first_seen,
        max(last_seen) as last_seen
    from ranked
    group by master_id
)
select master_id, {unpack}, record_count, sources, first_seen, last_seen
from picked
"""
