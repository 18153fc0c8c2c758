"""Pairwise precision / recall / F1 of a clustering, checked against values counted by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from pipelines.matching.accuracy import error_pairs, pairwise_scores

# Truth: A = a1 a2 a3 d1, B = b1 b2, C = c1 -> true pairs 6 + 1 + 0 = 7.
TRUTH = pd.DataFrame({"record_id": ["a1", "a2", "a3", "d1", "b1", "b2", "c1"],
                      "entity_id": ["A", "A", "A", "A", "B", "B", "C"]})
# Predicted: X = a1 a2 b1 (+ e1, not in the truth: ignored), Y = a3, Z = b2 c1; d1 quarantined (absent).
# Predicted pairs 3 + 0 + 1 = 4, of which a1-a2 is right: precision 1/4, recall 1/7, F1 2/11.
PREDICTED = pd.DataFrame({"record_id": ["a1", "a2", "b1", "e1", "a3", "b2", "c1"],
                          "cluster_id": ["X", "X", "X", "X", "Y", "Z", "Z"]})


def test_hand_counted_example():
    s = pairwise_scores(PREDICTED, TRUTH)
    assert (s.records, s.unpredicted, s.entities, s.clusters) == (7, 1, 3, 4)
    assert (s.true_positive_pairs, s.predicted_pairs, s.true_pairs) == (1, 4, 7)
    assert (s.false_merge_pairs, s.missed_pairs) == (3, 6)
    assert s.precision == pytest.approx(1 / 4)
    assert s.recall == pytest.approx(1 / 7)
    assert s.f1 == pytest.approx(2 / 11)


def test_error_pairs_name_each_wrong_pair():
    errors = error_pairs(PREDICTED, TRUTH)
    merged = set(zip(errors.loc[errors["error"] == "false_merge", "record_l"],
                     errors.loc[errors["error"] == "false_merge", "record_r"]))
    missed = set(zip(errors.loc[errors["error"] == "missed", "record_l"],
                     errors.loc[errors["error"] == "missed", "record_r"]))
    assert merged == {("a1", "b1"), ("a2", "b1"), ("b2", "c1")}
    assert missed == {("a1", "a3"), ("a2", "a3"), ("a1", "d1"), ("a2", "d1"), ("a3", "d1"), ("b1", "b2")}


def test_perfect_and_empty_predictions():
    perfect = pairwise_scores(TRUTH.rename(columns={"entity_id": "cluster_id"}), TRUTH)
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    nothing = pairwise_scores(pd.DataFrame({"record_id": [], "cluster_id": []}, dtype=str), TRUTH)
    assert (nothing.predicted_pairs, nothing.precision, nothing.recall, nothing.f1) == (0, 1.0, 0.0, 0.0)
    assert nothing.clusters == 7


def test_huge_cluster_is_counted_not_enumerated():
    n = 200_000  # 19,999,900,000 pairs: would never fit in memory as a list
    truth = pd.DataFrame({"record_id": range(n), "entity_id": 1})
    predicted = pd.DataFrame({"record_id": range(n), "cluster_id": [i % 2 for i in range(n)]})
    s = pairwise_scores(predicted, truth)
    half = n // 2
    assert s.true_pairs == n * (n - 1) // 2
    assert s.predicted_pairs == s.true_positive_pairs == 2 * (half * (half - 1) // 2)
    assert s.precision == 1.0
    assert s.recall == pytest.approx(2 * half * (half - 1) / (n * (n - 1)))
