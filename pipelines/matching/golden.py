"""Golden records by survivorship rules (rules/survivorship.yaml), as one DuckDB aggregate per field."""
from __future__ import annotations

from pipelines.ingest import literal
from pipelines.rules import GOLDEN_FIELDS, Survivorship
_VALIDITY = {"phone": "phone_valid", "email": "email_valid"}


def _order(field: str, strategy: str) -> str:
    recent = "updated_at desc, source_system, source_record_id"
    return {
        "most_recent": recent,
        "most_trusted": f"trust_rank, {recent}",
        "most_frequent": f"{field}__n desc, {recent}",
        "valid_first": f"{_VALIDITY.get(field, 'true')} desc, {recent}",
    }[strategy]


def golden_sql(rules: Survivorship) -> str:
    """select master_id, <field>, <field>_source ... from matched (records with master_id)."""
    ranks = " ".join(f"when {literal(s)} then {i}" for i, s in enumerate(rules.source_ranking))
    counts = "".join(f", count(*) over (partition by master_id, {f}) as {f}__n"
                     for f in GOLDEN_FIELDS if rules.fields.get(f) == "most_frequent")
    aggs = []
    for f in GOLDEN_FIELDS:
        order = _order(f, rules.fields.get(f, "most_recent"))
        aggs.append(f"first({f} order by {order}) filter (where {f} is not null) as {f}")
        aggs.append(f"first(source_system order by {order}) filter (where {f} is not null) as {f}_source")
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
