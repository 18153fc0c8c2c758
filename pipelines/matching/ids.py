"""Stable master ids: carried over from the last run, the oldest surviving a merge; history of merges/splits."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa


HISTORY = ["old_id", "new_id", "change", "reason"]


Taken = Callable[[list[str]], set[str]]


def record_id_sql(column: str) -> str:
    """new_id in SQL: the id a record (a cluster's seed) gets, before a clash's '-n' (the first ID_STEM
    characters of any id)."""
    return f"'CM-' || sha256({column})[:12]"


ID_STEM = 15


def new_id(seed: str, taken: Taken) -> str:
    """CM- plus a hash of the cluster's earliest record: the same data always yields the same id. taken says
    which of some ids are in use already; a clash (48 bits of hash) gets a counter."""
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()
    base = f"CM-{digest[:12]}"
    candidate, n = base, 1
    while taken([candidate]):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _new_ids(seeds: np.ndarray, taken: Taken) -> list[str]:
    """new_id for each seed in order, the hashing done by DuckDB; only colliding ids are made one by one."""
    hashed = []
    if len(seeds):
        with duckdb.connect() as con:
            con.register("seeds", pa.table({"n": np.arange(len(seeds)), "seed": pa.array(seeds, pa.large_string())}))
            hashed = con.execute(f"select {record_id_sql('seed')} from seeds order by n").fetchall()
    ids = [h[0] for h in hashed]
    clash = pd.Series(ids, dtype=object)
    clash = (clash.duplicated() | clash.isin(taken(ids))).to_numpy()
    if clash.any():
        given = {i for i, c in zip(ids, clash) if not c}
        for k in np.flatnonzero(clash):
            ids[k] = new_id(seeds[k], lambda c: (set(c) & given) | taken(c))
            given.add(ids[k])
    return ids


@dataclass
class Assignment:
    master_of: pd.Series            # record id -> master id
    history: pd.DataFrame           # old_id, new_id, change (merge: old retired into new | split), reason


def _text(values) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object), pa.large_string(), from_pandas=True)


def assign_ids(clusters: pd.Series, first_seen: pd.Series, previous: pd.Series, issued: pd.Series | dict,
               taken: Taken) -> Assignment:
    """clusters: record id -> cluster key; first_seen: record id -> first night seen; previous: record id ->
    master id of the last run (missing for new records); issued: master id -> when it was first issued (at
    least for the previous ids); taken: which of some ids are issued or retired already.
    An old id stays with its origin: the record it was made from (its hash is the id), else the earliest
    record that carried it. So when a merge is undone the id stays with the person it was issued for, never
    moving to the records that joined it (as it would with the cluster keeping most of its records). A cluster
    that won several old ids keeps the one issued first (ties: the earliest origin) and retires the others
    (merge); a cluster that won none gets a new id, and the ids its records came from are recorded as split.
    The set logic runs in DuckDB (pandas sorts strings one by one)."""
    issued = issued if isinstance(issued, pd.Series) else pd.Series(issued, dtype=object)
    index = clusters.index
    records = pa.table({
        "n": np.arange(len(clusters)), "uid": _text(index), "cluster": _text(clusters),
        "first_seen": _text(first_seen.reindex(index).astype(str)), "previous": _text(previous.reindex(index))})
    issued_table = pa.table({"master_id": _text(issued.index), "issued": _text(issued.astype(str))})
    with duckdb.connect() as con:
        con.register("records", records)
        con.register("issued", issued_table)
        con.execute("""create table firsts as
            select cluster, min(first_seen || ' ' || uid) as first, arg_min(uid, first_seen || ' ' || uid) as seed
            from records group by cluster""")
        # each old id's origin: the record whose hash it is (new_id's seed; a clash's '-n' aside), else the
        # earliest record that carried it
        con.execute(f"""create table winners as
            select previous, arg_min(cluster, struct_pack(s := not seed, f := seen)) as cluster,
                   min(struct_pack(s := not seed, f := seen)).f as origin
            from (select previous, cluster, first_seen || ' ' || uid as seen,
                         {record_id_sql('uid')} = left(previous, {ID_STEM}) as seed
                  from records where previous is not null)
            group by previous""")
        con.execute("""create table survivors as
            select w.cluster,
                   arg_min(w.previous, struct_pack(i := coalesce(i.issued, ''), o := w.origin, p := w.previous))
                   as master_id
            from winners as w left join issued as i on i.master_id = w.previous
            group by w.cluster""")
        fresh = con.sql("select cluster, seed from firsts anti join survivors using (cluster) "
                            "order by first").to_arrow_table()
        given = _new_ids(fresh.column("seed").to_numpy(zero_copy_only=False), taken)
        con.register("given", pa.table({"cluster": fresh.column("cluster"), "master_id": _text(given)}))
        con.execute("create table masters as select * from survivors union all select * from given")
        master_of = con.sql("select m.master_id from records as r join masters as m using (cluster) "
                                "order by r.n").to_arrow_table().column(0)
        history = con.execute("""
            select old_id, new_id, change,
                   case change when 'merge' then 'merged into ' || new_id || ': records matched'
                        else 'records split off ' || old_id || ' into ' || new_id end as reason
            from (select w.previous as old_id, s.master_id as new_id, 'merge' as change
                  from winners as w join survivors as s using (cluster) where w.previous <> s.master_id
                  union
                  select distinct r.previous, g.master_id, 'split'
                  from records as r join given as g using (cluster) where r.previous is not null)
            order by change, old_id, new_id""").df()
    return Assignment(pd.Series(master_of.to_numpy(zero_copy_only=False), index=index, dtype=object),
                      history[HISTORY].reset_index(drop=True))
