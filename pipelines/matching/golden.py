"""Golden records by survivorship rules (rules/survivorship.yaml), as one DuckDB aggregate per field."""
from __future__ import annotations

from pipelines.ingest import literal
from pipelines.rules import GOLDEN_FIELDS, Survivorship
_VALIDITY = {"phone": "phone_valid", "email": "email_valid"}


def _key(field: str, strategy: str) -> str:
    """The struct whose smallest value picks the surviving record (arg_min: one pass, constant memory, where an
    ordered first() would sort every master's records)."""
    recent = "r := -epoch_us(updated_at), s := source_system, i := source_record_id"
    validity = _VALIDITY.get(field)
    first = {
        "most_recent": None,
        "most_trusted": "trust_rank",
        "most_frequent": f"-{field}__n",
        "valid_first": f"case when {validity} then 0 when not {validity} then 1 else 2 end" if validity else None,
    }[strategy]
    return "struct_pack(" + (f"f := {first}, " if first else "") + recent + ")"


def golden_sql(rules: Survivorship) -> str:
    """select master_id, <field>, <field>_source ... from matched (records with master_id)."""
    ranks = " ".join(f"when {literal(s)} then {i}" for i, s in enumerate(rules.source_ranking))
    counts = "".join(f", count(*) over (partition by master_id, {f}) as {f}__n"
                     for f in GOLDEN_FIELDS if rules.fields.get(f) == "most_frequent")
    aggs = []
    for f in GOLDEN_FIELDS:
        key = _key(f, rules.fields.get(f, "most_recent"))
        aggs.append(f"arg_min({f}, {key}) filter (where {f} is not null) as {f}")
        aggs.append(f"arg_min(source_system, {key}) filter (where {f} is not null) as {f}_source")
    return f"""
with ranked as (
    select *, case source_system {ranks} else {len(rules.source_ranking)} end as trust_rank{counts}
    from matched
)
select
    master_id,
    {", ".join(aggs)},
    count(*) as record_count,
    list(distinct source_system order by source_system) as sources,
    min(first_seen) as first_seen,
    max(last_seen) as last_seen
from ranked
group by master_id
order by master_id
"""
