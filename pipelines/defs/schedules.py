"""The nightly job over all assets and its schedule (one run per partition, after exports land)."""
from dagster import AssetSelection, build_schedule_from_partitioned_job, define_asset_job

from pipelines.defs.partitions import nightly

nightly_job = define_asset_job("nightly_job", selection=AssetSelection.groups("nightly"), partitions_def=nightly)
nightly_schedule = build_schedule_from_partitioned_job(nightly_job, hour_of_day=2, minute_of_hour=30)
