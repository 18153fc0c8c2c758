"""Person names: full name from parts or parts from the full name (Chinese 复姓 included; Western via nameparser)."""
from __future__ import annotations

import re
from functools import partial
from typing import Callable

import pandas as pd
from nameparser import HumanName

from pipelines.standardize.arrow_text import matches, to_arrow
from pipelines.standardize.distinct import filled_later, map_distinct_rows_later

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_NAME = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff·•]+$")
FIELDS = ("full_name", "given_name", "family_name")


def is_cjk(text: str | None) -> bool:
    return bool(text) and bool(_CJK.search(text))


def split_cjk(name: str, compound: tuple[str, ...], prefixes: tuple[str, ...]) -> tuple[str, str | None, str | None]:
    """王小明 -> (王小明, 小明, 王); 欧阳娜娜 -> (欧阳娜娜, 娜娜, 欧阳); 王先生 -> (王先生, None, 王)."""
    core = name.replace(" ", "")
    for title in prefixes:
        if core.endswith(title) and len(core) > len(title):
            return name, None, core[: -len(title)]
    if not _CJK_NAME.match(core) or len(core) < 2:
        return name, None, None
    family = core[:2] if core[:2] in compound and len(core) > 2 else core[0]
    return core, core[len(family):] or None, family


def split_western(name: str) -> tuple[str, str | None, str | None]:
    """Via nameparser; one word in capitals among capitalised ones is the family name, whatever its place
    ('WANG Xiaoming', 'Xiaoming WANG': the passport and pinyin convention)."""
    words = name.split()
    caps = [w for w in words if len(w) > 1 and w.isalpha() and w.isupper()]
    if len(words) >= 2 and len(caps) == 1 and all(w.isalpha() and w.istitle() for w in words if w is not caps[0]):
        return name, " ".join(w for w in words if w is not caps[0]), caps[0]
    parsed = HumanName(name)
    given = " ".join(p for p in (parsed.first, parsed.middle) if p) or None
    return name, given, parsed.last or None


def standardize_name(key: tuple, compound: tuple[str, ...] = (), prefixes: tuple[str, ...] = ()) -> tuple:
    full, given, family = key
    if full is None and (given or family):
        if is_cjk(given) or is_cjk(family):
            full = f"{family or ''}{given or ''}"
        else:
            full = " ".join(p for p in (given, family) if p)
        return full, given, family
    if full is None:
        return None, None, None
    if given or family:
        return full, given, family
    return split_cjk(full, compound, prefixes) if is_cjk(full) else split_western(full)


def standardize_names_later(frame: pd.DataFrame, compound: list[str], prefixes: list[str]
                            ) -> Callable[[], pd.DataFrame]:
    """Full, given and family name of every row, split once per distinct name in the worker processes (see
    distinct.apply_each_later); the returned function gives the frame."""
    fn = partial(standardize_name, compound=tuple(compound), prefixes=tuple(prefixes))
    present = frame[list(FIELDS)].notna().any(axis=1)
    out = pd.DataFrame({f: None for f in FIELDS}, index=frame.index, dtype=object)
    pending = (map_distinct_rows_later(frame.loc[present, list(FIELDS)], fn, FIELDS, parallel=True)
               if present.any() else None)
    return filled_later(out, present, pending, FIELDS, [])


_RE2_SPECIAL = re.compile(r"([.^$*+?()\[\]{}|\\])")


def summary_rows(full_name: pd.Series, labels: list[str]) -> pd.Series:
    """Whether each name is a totals label (rules: names.summary_labels), alone or with ':' and a count: 合计,
    合计：3, Total: 1,204 rows. Arrow's RE2 over the column."""
    if not labels or not len(full_name):
        return pd.Series(False, index=full_name.index)
    alternatives = "|".join(_RE2_SPECIAL.sub(r"\\\1", label) for label in sorted(labels, key=len, reverse=True))
    pattern = (f"(?i)^\\s*(?:{alternatives})\\s*[:：]?\\s*"
               "(?:[0-9][0-9,]*\\s*(?:条|人|个|行|rows?|records?)?)?\\s*$")
    return pd.Series(matches(to_arrow(full_name.astype(object)), pattern), index=full_name.index)
