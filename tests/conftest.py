"""Shared fixtures: the repo's rules, and a seeded small landing folder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.rules import Rules, load_rules

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@pytest.fixture(scope="session")
def rules() -> Rules:
    return load_rules(REPO / "rules")


@pytest.fixture(scope="session")
def small_landing(tmp_path_factory) -> Path:
    from pipelines.samples import generate

    out = tmp_path_factory.mktemp("landing")
    list(generate(out, people=300, nights=2, start="2026-11-20", seed=7))
    return out
