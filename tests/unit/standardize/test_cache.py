import pandas as pd

from pipelines.standardize.emails import standardize_emails
from pipelines.standardize.phones import standardize_phones


class DictStore:
    def __init__(self):
        self.data, self.puts = {}, []

    def get(self, kind, version, keys):
        return {k: self.data[(kind, version, k)] for k in keys if (kind, version, k) in self.data}

    def put(self, kind, version, results):
        self.puts.append(len(results))
        self.data.update({(kind, version, k): v for k, v in results.items()})


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
