import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.standardize.emails import standardize_emails
from pipelines.standardize.cache import cached, encode_key, encode_keys
from pipelines.standardize.phones import FIELDS, FLAGS, VERSION, standardize_phone, standardize_phones
from pipelines.warehouse.store import connect
from pipelines.warehouse.value_cache import DuckDBValueStore


class DictStore:
    def __init__(self):
        self.data, self.puts = {}, []

    def lookup(self, kind, version, keys, flags):
        found = [(i, json.loads(self.data[(kind, version, k)])) for i, k in enumerate(keys.to_pylist())
                 if (kind, version, k) in self.data]
        columns = [np.array([r[j] for _, r in found] + [None], dtype=object)[:-1] for j in range(len(flags))]
        return np.array([i for i, _ in found], dtype=np.intp), columns

    def put(self, kind, version, keys, results):
        self.puts.append(len(results))
        self.data.update({(kind, version, k): json.dumps(list(v)) for k, v in zip(keys.to_pylist(), results)})


def test_second_night_calls_no_library_and_gives_the_same_values():
    store = DictStore()
    phones = pd.Series(["138 0013 8000", "+86 138-0013-8000", "1.38001E+10", None, "12345"])
    region = pd.Series(["CN"] * 5)
    emails = pd.Series(["A@Example.com", "a@example.com", "bad@", None, "b@x.org"])
    first = (standardize_phones(phones, region, store), standardize_emails(emails, store))
    assert store.puts == [3, 3]  # 3 distinct phone keys, 3 distinct e-mail keys
    second = (standardize_phones(phones, region, store), standardize_emails(emails, store))
    assert store.puts == [3, 3, 0, 0]
    pd.testing.assert_frame_equal(first[0], second[0])
    pd.testing.assert_frame_equal(first[1], second[1])
    assert first[1]["email"].tolist() == ["a@example.com", "a@example.com", None, None, "b@x.org"]


def _frame(keys):
    return pd.DataFrame(keys, columns=["raw", "region"], dtype=object)


def _tuples(rows):
    """Results as the function gave them: bools as bool, not numpy's."""
    return [tuple(bool(v) if isinstance(v, np.bool_) else v for v in row) for row in rows.tolist()]


KEYS = [("+8613800138000", None), ("138 0013 8000", "CN"), ("12345", "US"), ("a\x1fb", None), ("[x]", "CN")]


def test_keys_do_not_collide():
    keys = KEYS + [("a", "\x1fb"), (None, "CN"), ("\x00", "CN"), ('["a", "b"]', None), ("a", "b")]
    assert len({encode_key(k) for k in keys}) == len(keys)
    # the column-wise encoding is the same
    assert encode_keys(pd.DataFrame(keys, dtype=object)).to_pylist() == [encode_key(k) for k in keys]


def test_results_come_back_identical_from_the_warehouse_cache():
    calls = []

    def counted(key):
        calls.append(key)
        return standardize_phone(key)

    with tempfile.TemporaryDirectory() as tmp, connect(Path(tmp) / "w.duckdb") as con:
        apply = cached("phone", VERSION, DuckDBValueStore(con), FIELDS, FLAGS)
        first = _tuples(apply(counted, _frame(KEYS))())
        assert len(calls) == len(KEYS)
        again = _tuples(apply(counted, _frame(KEYS))())
        assert len(calls) == len(KEYS)          # nothing computed twice
        assert again == first == [standardize_phone(k) for k in KEYS]
        assert con.execute("select count(*) from value_cache").fetchall() == [(len(KEYS),)]


def test_results_are_stored_as_json_writes_them(tmp_path):
    """Columns of one type go to DuckDB as Arrow, the others through json.dumps: both read back alike."""
    cases = {"plain": [("+8613800138000", True, "mobile", None, "8001"), (None, False, None, None, None)],
             "empty": [(None, None), (None, None)],
             "whole": [(1, "北京"), (-2, None)],
             "mixed": [("a", 1), (2, "b")],
             "floats": [(1, None), (2.5, None)],
             "no result": [None, ("x",)],
             "huge": [(2 ** 70, "x")]}
    with connect(tmp_path / "w.duckdb") as con:
        store = DuckDBValueStore(con)
        for kind, results in cases.items():
            keys = [f"{kind} {i}" for i in range(len(results))]
            store.put(kind, "v", keys, results)
            stored = dict(con.execute("select key, result::varchar from value_cache where kind = ?", [kind]).fetchall())
            assert [json.loads(stored[k]) for k in keys] == [json.loads(json.dumps(r)) for r in results], kind


def test_distinct_rows_are_told_apart_by_value_not_by_their_text():
    """A null and the text 'None', a value holding the separator of a joined key: distinct rows all the same."""
    import numpy as np
    import pandas as pd

    from pipelines.standardize.distinct import map_distinct_rows_later, row_codes

    frame = pd.DataFrame({"a": [None, "None", "x\x1fy", "x", None, "None", np.nan],
                          "b": ["1", "1", None, "y\x1f", "1", "1", "1"]}, dtype=object)
    assert row_codes(frame).tolist() == [0, 1, 2, 3, 0, 1, 0]
    seen = map_distinct_rows_later(frame, lambda row: row, ["a", "b"])()
    assert list(seen.itertuples(index=False, name=None)) == [(None, "1"), ("None", "1"), ("x\x1fy", None), ("x", "y\x1f"), (None, "1"),
                             ("None", "1"), (None, "1")]


def test_a_key_the_previous_call_is_computing_is_not_computed_again():
    """A night starts chunk n+1 before it takes chunk n's results: keys the two share come from chunk n's
    computation, not from a second library call."""
    calls = []

    def counted(key):
        calls.append(key)
        return standardize_phone(key)

    store = DictStore()
    apply = cached("phone", "test-in-flight", store, FIELDS, FLAGS)
    first = apply(counted, _frame(KEYS[:3]))
    second = apply(counted, _frame(KEYS[1:]))  # started before the first call's results are taken
    assert sorted(calls) == sorted(KEYS)       # each key once
    assert _tuples(first()) == [standardize_phone(k) for k in KEYS[:3]]
    assert _tuples(second()) == [standardize_phone(k) for k in KEYS[1:]]
    assert store.puts == [3, 2]


def test_addresses_are_parsed_once_ever_and_again_when_their_rules_change():
    from pipelines.rules import load_rules
    from pipelines.standardize.addresses import standardize_addresses_later

    std = load_rules(Path(__file__).resolve().parents[3] / "rules").standardization
    frame = pd.DataFrame({"province": [None, "北京", None, None], "city": [None, "朝阳", None, None],
                          "district": [None] * 4, "street": [None, "建国路88号", None, "Main St 1"],
                          "address": ["北京朝阳建国路88号", None, "广州天河区体育西路1号", None]}, dtype=object)
    store = DictStore()
    first = standardize_addresses_later(frame, std.address_suffixes, std.address_aliases, store)()
    # three distinct Chinese texts: row 1's columns join with a space where each ends (北京 朝阳 建国路88号)
    assert store.puts == [3]
    assert first.loc[0, ["province", "city", "district", "street"]].tolist() == ["北京市", "北京市", "朝阳区", "建国路88号"]
    assert first.loc[2, ["province", "city", "district"]].tolist() == ["广东省", "广州市", "天河区"]
    again = standardize_addresses_later(frame, std.address_suffixes, std.address_aliases, store)()
    assert first.loc[1, ["province", "city", "district", "street"]].tolist() == ["北京市", "北京市", "朝阳区", "建国路88号"]
    assert store.puts == [3, 0]       # nothing parsed twice
    pd.testing.assert_frame_equal(first, again)
    changed = {**std.address_aliases, "羊城": "广州市"}
    standardize_addresses_later(frame, std.address_suffixes, changed, store)()
    assert store.puts == [3, 0, 3]    # a steward's new alias: every address is parsed again under the new rules


def test_a_change_to_a_standardisers_code_computes_its_values_again(tmp_path):
    """The cached results' version holds a digest of the standardiser's source: an edit that changes how values
    are computed cannot leave results of the old code in the cache (no version number to remember to bump)."""
    from pipelines.standardize import addresses, emails, phones
    from pipelines.standardize.cache import code_version

    module = tmp_path / "standardiser.py"
    module.write_text("def f(v):\n    return v\n")
    before = code_version(str(module))
    assert code_version(str(module)) == before
    module.write_text("def f(v):\n    return v.strip()\n")
    assert code_version(str(module)) != before
    for standardiser in (addresses, emails, phones):
        assert standardiser.VERSION.endswith(code_version(standardiser.__file__))
    assert code_version(str(tmp_path / "missing.py")) != code_version(str(tmp_path / "missing.py"))
