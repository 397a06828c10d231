"""Arrow arrays of the export's columns, built from their buffers.

Why not ``pa.array``: its first call imports pandas when pandas is installed (pyarrow
checks every input for pandas objects), about 0.3 s of an export that never needs
pandas. The columns here are plain: strings without nulls, integers, floats with nulls,
list offsets. Each array is the one ``pa.array`` builds from the same values (same
buffers, no validity bitmap where nothing is null), so the Parquet bytes and the card's
byte counts do not change; tests/test_export_arrow.py holds them equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

_INTEGERS = {pa.int32(): np.int32, pa.int64(): np.int64}


def integers(values: Any, type: Any) -> Any:
    """A null-free int32 or int64 array of a sequence or numpy array of integers."""
    data = np.ascontiguousarray(values, dtype=_INTEGERS[type])
    return pa.Array.from_buffers(type, len(data), [None, pa.py_buffer(data)])


def floats(values: Sequence[float | None]) -> Any:
    """A float64 array; None becomes null."""
    valid = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    data = np.fromiter((0.0 if v is None else v for v in values), np.float64, len(values))
    nulls = len(values) - int(valid.sum())
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    return pa.Array.from_buffers(pa.float64(), len(data), [bitmap, pa.py_buffer(data)], nulls)


def strings(values: Sequence[str]) -> Any:
    """A null-free string array."""
    encoded = list(map(str.encode, values))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), out=offsets[1:])
    if offsets[-1] >= 2**31:
        large = pa.Array.from_buffers(
            pa.large_string(),
            len(encoded),
            [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
        )
        return large.cast(pa.string())  # raises as pa.array would: too large for one array
    return pa.Array.from_buffers(
        pa.string(),
        len(encoded),
        [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(b"".join(encoded))],
    )


def column(values: Sequence[Any], type: Any) -> Any:
    """A flat column of the export's schema: strings, integers or floats."""
    if pa.types.is_string(type):
        return strings(values)
    if pa.types.is_floating(type):
        return floats(values)
    return integers(values, type)


def listed(bounds: Any, values: Any, type: Any) -> Any:
    """A list column: row k holds ``values[bounds[k]:bounds[k + 1]]``."""
    return pa.ListArray.from_arrays(integers(bounds, pa.int32()), values, type=type)
