"""pandas text columns to Arrow string arrays and back, for Arrow's whole-column string functions (RE2)."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa


def to_arrow(series: pd.Series) -> pa.Array:
    """A column of text and nulls (None or NaN) as an Arrow string array."""
    return pa.array(series.to_numpy(dtype=object), pa.string(), from_pandas=True)


def to_series(values: pa.Array, index: pd.Index, dtype: object = object) -> pd.Series:
    """An Arrow array back as a pandas column on the given index."""
    return pd.Series(values.to_numpy(zero_copy_only=False), index=index, dtype=dtype)
