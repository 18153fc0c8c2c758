"""Pairwise precision, recall and F1 of a predicted clustering against the true one, counted in DuckDB."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import duckdb
import pandas as pd

# Pairs are counted per cluster as n * (n - 1) / 2, never enumerated: one cluster of a million records is
# fine. A truth record missing from the prediction (e.g. quarantined) is a cluster of its own.
_COUNTS = """
with joined as (
    select
        t.record_id,
        t.entity_id::varchar as entity_id,
        coalesce(p.cluster_id::varchar, '~alone:' || t.record_id::varchar) as cluster_id,
        p.record_id is null as unpredicted
    from _acc_truth as t
    left join _acc_predicted as p using (record_id)
),
by_cluster as (select count(*)::hugeint as n from joined group by cluster_id),
by_entity as (select count(*)::hugeint as n from joined group by entity_id),
by_both as (select count(*)::hugeint as n from joined group by cluster_id, entity_id)
select
    (select count(*) from joined) as records,
    (select count(*) from joined where unpredicted) as unpredicted,
    (select count(*) from by_entity) as entities,
    (select count(*) from by_cluster) as clusters,
    (select coalesce(sum(n * (n - 1) // 2), 0) from by_both)::bigint as true_positive_pairs,
    (select coalesce(sum(n * (n - 1) // 2), 0) from by_cluster)::bigint as predicted_pairs,
    (select coalesce(sum(n * (n - 1) // 2), 0) from by_entity)::bigint as true_pairs
"""

# The error pairs themselves, for reading examples: only inside clusters of at most max_size records.
_ERRORS = """
with joined as (
    select
        t.record_id,
        t.entity_id::varchar as entity_id,
        coalesce(p.cluster_id::varchar, '~alone:' || t.record_id::varchar) as cluster_id
    from _acc_truth as t
    left join _acc_predicted as p using (record_id)
),
sized as (
    select
        *,
        count(*) over (partition by cluster_id) as cluster_size,
        count(*) over (partition by entity_id) as entity_size
    from joined
),
false_merges as (
    select 'false_merge' as error, l.record_id as record_l, r.record_id as record_r,
           l.entity_id as entity_l, r.entity_id as entity_r, l.cluster_id as cluster_l, r.cluster_id as cluster_r
    from sized as l
    join sized as r on l.cluster_id = r.cluster_id and l.record_id < r.record_id
    where l.entity_id <> r.entity_id and l.cluster_size <= $max_size
),
missed as (
    select 'missed' as error, l.record_id, r.record_id, l.entity_id, r.entity_id, l.cluster_id, r.cluster_id
    from sized as l
    join sized as r on l.entity_id = r.entity_id and l.record_id < r.record_id
    where l.cluster_id <> r.cluster_id and l.entity_size <= $max_size
)
select * from false_merges
union all
select * from missed
order by error, record_l, record_r
"""


@dataclass(frozen=True)
class PairwiseScores:
    records: int            # truth records evaluated
    unpredicted: int        # of which absent from the prediction, counted as clusters of one
    entities: int           # true clusters
    clusters: int           # predicted clusters (unpredicted records included, one each)
    true_positive_pairs: int
    predicted_pairs: int
    true_pairs: int

    @property
    def false_merge_pairs(self) -> int:
        return self.predicted_pairs - self.true_positive_pairs

    @property
    def missed_pairs(self) -> int:
        return self.true_pairs - self.true_positive_pairs

    @property
    def precision(self) -> float:
        """1.0 when nothing was merged: no pair was wrongly put together."""
        return self.true_positive_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        """1.0 when no two truth records belong together."""
        return self.true_positive_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@contextmanager
def _tables(con: duckdb.DuckDBPyConnection, predicted, truth) -> Iterator[None]:
    """predicted: record_id, cluster_id; truth: record_id, entity_id (frames or Arrow tables)."""
    con.register("_acc_predicted", predicted)
    con.register("_acc_truth", truth)
    try:
        yield
    finally:
        con.unregister("_acc_predicted")
        con.unregister("_acc_truth")


def pairwise_scores(predicted: pd.DataFrame, truth: pd.DataFrame,
                    con: duckdb.DuckDBPyConnection | None = None) -> PairwiseScores:
    """Scores over the truth's records. predicted has record_id, cluster_id; truth has record_id, entity_id.
    Predicted records absent from the truth are ignored; truth records absent from predicted stand alone."""
    con = con or duckdb.connect()
    with _tables(con, predicted, truth):
        row = con.execute(_COUNTS).fetchall()[0]
    return PairwiseScores(*(int(v) for v in row))


def error_pairs(predicted: pd.DataFrame, truth: pd.DataFrame, max_size: int = 50,
                con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """The wrong pairs, for inspection: error (false_merge | missed), record_l, record_r, entity_l, entity_r,
    cluster_l, cluster_r. Clusters (false merges) or entities (misses) above max_size records are skipped."""
    con = con or duckdb.connect()
    with _tables(con, predicted, truth):
        return con.execute(_ERRORS, {"max_size": max_size}).df()
