"""Dagster objects only: partitions, resources, assets, checks, jobs and schedules; thin calls into plain modules."""
