-- Rebuilt for the masters in _touched_masters (all of them in a full run).
-- Every name a master's records have carried on any night; the golden one is current, others are former (no
-- record carries a steward's overridden name: then the latest seen is current). Spellings of one name are one
-- row, not former names: letter case, accents, punctuation and spacing, and the order of the words of a name
-- in Latin letters (Zhang San / SAN ZHANG / zhang-san; José / Jose; 张 三 / 张三). The row shows the golden
-- spelling when it is among them, else the latest seen.
with seen as (
    select
        x.master_id,
        c.full_name,
        c.family_name,
        c.given_name,
        c.source_system,
        c.partition_date,
        case when regexp_matches(c.full_name, '[\x{3400}-\x{9fff}]')
             then regexp_replace(lower(strip_accents(c.full_name)), '[^\p{L}\p{N}]+', '', 'g')
             else array_to_string(list_sort(list_filter(string_split(
                      regexp_replace(lower(strip_accents(c.full_name)), '[^\p{L}\p{N}]+', ' ', 'g'), ' '),
                  lambda w: w <> '')), ' ')
        end as spelling_key
    from (select * from customer_xref semi join _touched_masters using (master_id)) as x
    join _matchable_clean as c using (source_system, source_record_id)
    where c.full_name is not null
),
marked as (
    select seen.*, coalesce(m.full_name = seen.full_name, false) as is_golden
    from seen
    left join customer_master as m using (master_id)
),
names as (
    select
        master_id,
        arg_max(full_name, (is_golden, partition_date, full_name)) as full_name,
        arg_max(family_name, (is_golden, partition_date, full_name)) as family_name,
        arg_max(given_name, (is_golden, partition_date, full_name)) as given_name,
        list_sort(list(distinct source_system)) as sources,
        min(partition_date) as first_seen,
        max(partition_date) as last_seen,
        bool_or(is_golden) as golden
    from marked
    group by master_id, spelling_key
)
-- the golden name is current; when no record carries it (a steward's override), the latest seen name is
select
    * exclude (golden),
    golden or (not bool_or(golden) over (partition by master_id)
               and row_number() over (partition by master_id order by last_seen desc, full_name) = 1) as is_current
from names
