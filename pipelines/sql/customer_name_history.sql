-- Rebuilt for the masters in _touched_masters (all of them in a full run).
-- Every name a master's records have carried on any night; the golden one is current, others are former (no
-- record carries a steward's overridden name: then the latest seen is current).
with seen as (
    select
        x.master_id,
        c.full_name,
        c.family_name,
        c.given_name,
        c.source_system,
        c.partition_date
    from (select * from customer_xref semi join _touched_masters using (master_id)) as x
    join _matchable_clean as c using (source_system, source_record_id)
    where c.full_name is not null
),
names as (
    select
        seen.master_id,
        seen.full_name,
        arg_max(seen.family_name, seen.partition_date) as family_name,
        arg_max(seen.given_name, seen.partition_date) as given_name,
        list_sort(list(distinct seen.source_system)) as sources,
        min(seen.partition_date) as first_seen,
        max(seen.partition_date) as last_seen,
        coalesce(any_value(m.full_name) = seen.full_name, false) as golden
    from seen
    left join customer_master as m using (master_id)
    group by seen.master_id, seen.full_name
)
-- the golden name is current; when no record carries it (a steward's override), the latest seen name is
select
    * exclude (golden),
    golden or (not bool_or(golden) over (partition by master_id)
               and row_number() over (partition by master_id order by last_seen desc, full_name) = 1) as is_current
from names
