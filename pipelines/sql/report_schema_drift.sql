-- Columns that appeared in or vanished from a source's export since its previous night with a read file.
with headers as (
    select partition_date, source_system, unnest(from_json(columns, '["VARCHAR"]')) as header
    from ingest_files
    where status = 'read' and columns is not null and partition_date <= $partition
),

previous_night as (
    select source_system, max(partition_date) as partition_date
    from headers
    where partition_date < $partition
    group by all
),

tonight as (
    select distinct source_system, header from headers where partition_date = $partition
),

before as (
    select distinct h.source_system, h.header
    from headers as h
    join previous_night as p using (source_system, partition_date)
)

select source_system, p.partition_date as previous_night, 'appeared' as change, t.header
from tonight as t
join previous_night as p using (source_system)
where not exists (select 1 from before as b where b.source_system = t.source_system and b.header = t.header)
union all
select source_system, p.partition_date, 'vanished', b.header
from before as b
join previous_night as p using (source_system)
where b.source_system in (select source_system from tonight)
  and not exists (select 1 from tonight as t where t.source_system = b.source_system and t.header = b.header)
order by source_system, change, header
