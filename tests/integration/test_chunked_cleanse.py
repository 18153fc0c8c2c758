"""Cleansing a night in chunks gives exactly the tables of one pass: every version of a record is in the same
chunk, so the duplicate rule still sees them together; rows in = clean + quarantined."""
from __future__ import annotations

from pathlib import Path

from pipelines import cleanse
from pipelines.ingest import ingest_partition, with_constants
from pipelines.standardize import distinct
from pipelines.rules import MAPPABLE_FIELDS, load_rules
from pipelines.warehouse.store import connect, replace_partition
from pipelines.warehouse.value_cache import DuckDBValueStore

REPO = Path(__file__).resolve().parents[2]
NIGHT = "2026-11-20"


def tables(con) -> tuple[list, list]:
    clean = con.execute("select * from customers_clean order by source_file, source_line").fetchall()
    quarantine = con.execute("select * from quarantine order by source_file, source_line, rule").fetchall()
    return clean, quarantine


def test_chunks_give_the_same_tables(tmp_path, monkeypatch):
    rules = load_rules(REPO / "rules")
    result = ingest_partition(REPO / "data" / "samples", NIGHT, rules.sources)
    raw = with_constants(result.raw, partition_date=NIGHT, run_id="r")
    with connect(tmp_path / "w.duckdb") as con:
        replace_partition(con, NIGHT, {"raw_customers": raw})
        whole = cleanse.cleanse_night(con, NIGHT, rules, "r", chunk_rows=10**9)
        one_pass = tables(con)
        chunked = cleanse.cleanse_night(con, NIGHT, rules, "r", DuckDBValueStore(con), chunk_rows=700)
        assert tables(con) == one_pass
        # the night's shared pool of worker processes, the next chunk's work started before this one ends
        monkeypatch.setattr(distinct, "PARALLEL_FROM", 50)
        monkeypatch.setattr(distinct, "SHARED_FROM", 50)
        con.execute("delete from value_cache")
        pooled = cleanse.cleanse_night(con, NIGHT, rules, "r", DuckDBValueStore(con), chunk_rows=1500)
        assert tables(con) == one_pass and pooled.clean == whole.clean
        # each key is computed and stored once, though the next chunk looks up before this one stores
        stored, distinct_keys = con.execute("select count(*), count(distinct (kind, key, version)) from value_cache"
                                            ).fetchall()[0]
        assert stored == distinct_keys > 1000
    assert (chunked.clean, chunked.quarantined, chunked.by_rule) == (whole.clean, whole.quarantined, whole.by_rule)
    assert whole.clean + whole.quarantined == raw.num_rows
    assert whole.by_rule.get("duplicate_record_id", 0) >= 1


def test_text_cleaned_in_sql_equals_text_cleaned_in_python(tmp_path):
    """read_raw_for_cleansing.sql settles ASCII and CJK values itself; standardising its output gives what
    standardising every value in Python (NFKC, whitespace, null tokens) gives."""
    from checks.schemas import CANONICAL_FIELDS
    from pipelines.warehouse.store import read_sql

    rules = load_rules(REPO / "rules")
    raw = with_constants(ingest_partition(REPO / "data" / "samples", NIGHT, rules.sources).raw,
                         partition_date=NIGHT, run_id="r")
    with connect(tmp_path / "w.duckdb") as con:
        replace_partition(con, NIGHT, {"raw_customers": raw})
        con.execute("""update raw_customers set full_name = case source_line % 4
                         when 0 then '  张\t三  ' when 1 then '无' when 2 then '欧阳　娜娜' else 'Ｌｉ Ｎａ' end,
                         city = '北京  朝阳' where source_line % 7 = 0""")
        # a given name that is also a null token elsewhere (王楠 Wang Nan), and such a token in another field
        con.execute("update raw_customers set given_name = 'Nan', postcode = 'NA' where source_line % 9 = 0")
        # whitespace at either end, runs of it, other kinds of it, nothing but it, nothing at all
        con.execute("""update raw_customers set company = case source_line % 8
                         when 0 then ' Acme' when 1 then 'Acme ' when 2 then 'A  B' when 3 then ''
                         when 4 then ' ' when 5 then 'A' || chr(11) || 'B' || chr(12)
                         when 6 then 'A' || chr(13) || chr(10) || 'B'
                         else 'A B C' end where source_line % 5 = 0""")
        fragments, params = cleanse.cleansing_select(rules)
        in_sql = read_sql(con, "read_raw_for_cleansing", {"partition": NIGHT, "chunks": 1, "chunk": 0, **params},
                          **fragments)
        plain = con.execute("select * from raw_customers order by source_system, source_file, source_line").df()
    name_bit = 1 << MAPPABLE_FIELDS.index("full_name")
    assert ((in_sql["nfkc_fields"] & name_bit == 0) & in_sql["full_name"].str.contains("张", na=False)).any()
    assert ((in_sql["nfkc_fields"] & name_bit != 0) & in_sql["full_name"].str.contains("Ｌｉ", na=False)).any()
    assert (in_sql["given_name"] == "Nan").any() and not (in_sql["postcode"] == "NA").any()
    fields = [f for f in CANONICAL_FIELDS if f != "extra"]
    fast = cleanse.standardize(in_sql.assign(run_id="r"), rules)[fields]
    slow = cleanse.standardize(plain.assign(run_id="r"), rules)[fields]
    assert fast.astype(str).equals(slow.astype(str))


def test_files_read_in_worker_processes_give_the_same_rows(monkeypatch):
    """A large night reads its files in worker processes: the rows and the ledger are those of reading them
    one after another here, in the same order."""
    from pipelines import ingest

    rules = load_rules(REPO / "rules")
    serial = ingest_partition(REPO / "data" / "samples", NIGHT, rules.sources)
    monkeypatch.setattr(ingest, "PARALLEL_BYTES", 0)
    monkeypatch.setenv("CRM_WORKERS", "2")
    pooled = ingest_partition(REPO / "data" / "samples", NIGHT, rules.sources)
    assert pooled.raw.equals(serial.raw)
    assert pooled.files.equals(serial.files)
    assert serial.raw.num_rows > 0 and len(serial.files) >= 3


def test_a_file_whose_worker_died_is_read_here(monkeypatch):
    """A worker process killed while reading (out of memory, say) costs time, not the file."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from pipelines import ingest, workers

    class DeadPool:
        def submit(self, *args, **kwargs):
            future = Future()
            future.set_exception(BrokenProcessPool("a worker died"))
            return future

    rules = load_rules(REPO / "rules")
    serial = ingest_partition(REPO / "data" / "samples", NIGHT, rules.sources)
    monkeypatch.setattr(ingest, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(workers, "current", lambda: DeadPool())
    survived = ingest_partition(REPO / "data" / "samples", NIGHT, rules.sources)
    assert survived.raw.equals(serial.raw) and survived.files.equals(serial.files)


def test_wukong_exports_with_split_or_one_line_regions_resolve_their_addresses(tmp_path):
    """悟空CRM exports write the region as 地区定位 / 省市区, as 地址 (广东省,深圳市,南山区), or as separate
    省份 / 城市 / 区县 columns, depending on the version and the custom fields: each is mapped."""
    from openpyxl import Workbook

    rules = load_rules(REPO / "rules")
    folder = tmp_path / "landing" / "wukong" / NIGHT
    folder.mkdir(parents=True)
    layouts = {"split.xlsx": (["客户名称", "手机", "省份", "城市", "区县", "详细地址", "创建时间"],
                              ["张三", "13800138000", "广东省", "深圳市", "南山区", "科技园路1号", "2026-11-01 10:00:00"]),
               "one_line.xlsx": (["客户名称", "手机", "地址", "创建时间"],
                                 ["李四", "13900139000", "广东省,深圳市,南山区", "2026-11-01 10:00:00"])}
    for name, (header, row) in layouts.items():
        wb = Workbook()
        wb.active.append(header)
        wb.active.append(row)
        wb.save(folder / name)
    result = ingest_partition(tmp_path / "landing", NIGHT, rules.sources)
    assert set(result.files["status"]) == {"read"}
    with connect(tmp_path / "w.duckdb") as con:
        replace_partition(con, NIGHT, {"raw_customers": with_constants(result.raw, partition_date=NIGHT, run_id="r")})
        cleanse.cleanse_night(con, NIGHT, rules, "r")
        rows = con.execute("select full_name, province, city, district, street from customers_clean "
                           "order by full_name").fetchall()
    assert rows == [("张三", "广东省", "深圳市", "南山区", "科技园路1号"), ("李四", "广东省", "深圳市", "南山区", None)]


def test_a_record_its_source_marks_deleted_is_quarantined(tmp_path):
    """A Salesforce Data Loader "Export All" carries IsDeleted: such a row is not a live customer."""
    rules = load_rules(REPO / "rules")
    folder = tmp_path / "landing" / "salesforce" / NIGHT
    folder.mkdir(parents=True)
    (folder / "contacts.csv").write_text(
        "Id,IsDeleted,FirstName,LastName,Email\n003A1,false,Ann,Lee,ann@example.com\n"
        "003A2,true,Bob,Ray,bob@example.com\n003A3,,Cy,Fox,cy@example.com\n", encoding="utf-8")
    result = ingest_partition(tmp_path / "landing", NIGHT, rules.sources)
    with connect(tmp_path / "w.duckdb") as con:
        replace_partition(con, NIGHT, {"raw_customers": with_constants(result.raw, partition_date=NIGHT, run_id="r")})
        night = cleanse.cleanse_night(con, NIGHT, rules, "r")
        clean = con.execute("select source_record_id from customers_clean order by 1").fetchall()
        quarantined = con.execute("select source_record_id, rule, field, source_line from quarantine").fetchall()
    assert clean == [("003A1",), ("003A3",)] and night.clean + night.quarantined == 3
    assert quarantined == [("003A2", "deleted_in_source", "deleted", 3)]


def test_files_are_dealt_to_the_workers_and_this_process_by_their_cost(tmp_path):
    """This process reads its share of a large night instead of waiting: the files go, costliest first (a
    workbook costs ten times a CSV of its size), to whoever has the least to read so far."""
    from pipelines.ingest import _files_read_here

    sizes = {"big.csv": 1000, "book.xlsx": 90, "mid.csv": 800, "small.csv": 10}
    files = []
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(b"x" * size)
        files.append(("s", tmp_path / name, name))
    def here(known, workers):
        return {path.name for path in _files_read_here(known, workers)}
    assert here(files, 2) == {"big.csv"}              # then book (900) and mid (800) to the workers
    assert here(files, 1) == {"big.csv", "small.csv"}  # book and mid to the one worker
    assert here(files[:1], 2) == {"big.csv"}
