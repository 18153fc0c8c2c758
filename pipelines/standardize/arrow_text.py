"""pandas text columns to Arrow string arrays and back, for Arrow's whole-column string functions (RE2)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def to_arrow(series: pd.Series) -> pa.Array:
    """A column of text and nulls (None or NaN) as an Arrow string array."""
    return pa.array(series.to_numpy(dtype=object), pa.string(), from_pandas=True)


def to_series(values: pa.Array, index: pd.Index, dtype: object = object) -> pd.Series:
    """An Arrow array back as a pandas column on the given index."""
    return pd.Series(values.to_numpy(zero_copy_only=False), index=index, dtype=dtype)


def matches(values: pa.Array, pattern: str) -> np.ndarray:
    """Whether each text holds a match of pattern (RE2), as a numpy bool array; false for nulls."""
    return pc.fill_null(pc.match_substring_regex(values, pattern), False).to_numpy(zero_copy_only=False)
