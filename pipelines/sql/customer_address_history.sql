-- Rebuilt for the masters in _touched_masters (all of them in a full run).
-- Every address a master's records have carried on any night. One is current: of those with the golden
-- street and city, the one agreeing with the golden record in most other parts, then the latest seen.
with seen as (
    select x.master_id, c.province, c.city, c.district, c.street, c.postcode, c.source_system, c.partition_date
    from (select * from customer_xref semi join _touched_masters using (master_id)) as x
    join _matchable_clean as c using (source_system, source_record_id)
    where coalesce(c.province, c.city, c.district, c.street, c.postcode) is not null
),
addresses as (
    select
        seen.master_id,
        seen.province, seen.city, seen.district, seen.street, seen.postcode,
        list_sort(list(distinct seen.source_system)) as sources,
        min(seen.partition_date) as first_seen,
        max(seen.partition_date) as last_seen,
        coalesce(any_value(m.street) is not distinct from seen.street
                 and any_value(m.city) is not distinct from seen.city, false) as golden_street,
        (any_value(m.province) is not distinct from seen.province)::int
            + (any_value(m.district) is not distinct from seen.district)::int
            + (any_value(m.postcode) is not distinct from seen.postcode)::int as agreeing
    from seen
    left join customer_master as m using (master_id)
    group by seen.master_id, seen.province, seen.city, seen.district, seen.street, seen.postcode
)
select
    master_id, province, city, district, street, postcode, sources, first_seen, last_seen,
    golden_street and row_number() over (
        partition by master_id
        order by golden_street desc, agreeing desc, last_seen desc,
                 province nulls last, city nulls last, district nulls last, street nulls last, postcode nulls last
    ) = 1 as is_current
from addresses
