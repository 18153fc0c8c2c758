-- Counts behind the required-fields check of a quarantine partition: every row names its rule, file and line.
select
    count(*) as rows,
    count(*) filter (where rule is null or field is null or reason is null) as no_rule,
    count(*) filter (where source_file is null or source_line is null) as no_lineage
from quarantine
where partition_date = $partition
