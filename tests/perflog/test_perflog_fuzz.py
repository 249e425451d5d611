"""Robustness of read_perflog: mutated real-looking logs either load with every cell accounted
for, or raise PerfLogError; never another exception, never a hang.

Mutations: truncation anywhere, random bytes, deleted spans, unbalanced quotes, wrong
delimiters, ragged rows, enormous fields, duplicated or joined lines, an empty file, a header
alone. The three value parsers (pandas, cutting cells out, cell by cell) must agree on every
mutated file they accept.
"""
from __future__ import annotations

import io
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hvlab.perflog._blocks as blocks_mod
import hvlab.perflog._values as values_mod
from hvlab import PerfLogError, read_perflog

DATA = Path(__file__).resolve().parent.parent / "data"
SEEDS = sorted(p for p in DATA.iterdir() if p.suffix in (".csv", ".tsv", ".txt"))
SEED_BYTES = [p.read_bytes() for p in SEEDS]


def _mutate(data: bytes, ops) -> bytes:
    for kind, a, b, blob in ops:
        n = len(data)
        i = a % (n + 1)
        j = b % (n + 1)
        lo, hi = min(i, j), max(i, j)
        if kind == "truncate":
            data = data[:i]
        elif kind == "insert":
            data = data[:i] + blob + data[i:]
        elif kind == "delete":
            data = data[:lo] + data[hi:]
        elif kind == "replace_byte" and n:
            data = data[:i % n] + blob[:1] + data[i % n + 1:]
        elif kind == "quote":
            data = data[:i] + b'"' + data[i:]
        elif kind == "delimiter":
            old, new = [(b",", b";"), (b",", b"\t"), (b"\t", b","), (b'","', b'"')][b % 4]
            data = data[:lo] + data[lo:hi].replace(old, new) + data[hi:]
        elif kind == "huge_field":
            field = (b"9" if b % 2 else b"x") * (20_000 + b % 50_000)
            data = data[:i] + field + data[i:]
        elif kind == "dup_line":
            lines = data.split(b"\n")
            k = i % len(lines)
            lines.insert(k, lines[k])
            data = b"\n".join(lines)
        elif kind == "join_lines":
            data = data[:i] + data[i:].replace(b"\r\n", b"", 1)
        elif kind == "ragged":
            lines = data.split(b"\n")
            k = i % len(lines)
            lines[k] = lines[k].rstrip(b"\r") + (b',"1"' * (1 + b % 3)) + b"\r"
            data = b"\n".join(lines)
        elif kind == "header_only":
            data = data.split(b"\n", 1)[0] + b"\n"
        elif kind == "empty":
            data = b""
    return data


_op = st.tuples(
    st.sampled_from(["truncate", "insert", "delete", "replace_byte", "quote", "delimiter",
                     "huge_field", "dup_line", "join_lines", "ragged", "header_only",
                     "empty"]),
    st.integers(0, 1 << 16), st.integers(0, 1 << 16), st.binary(min_size=1, max_size=12))
mutated = st.tuples(st.sampled_from(range(len(SEED_BYTES))), st.lists(_op, min_size=1,
                                                                      max_size=3))


def _check_accounting(df: pd.DataFrame, meta: dict):
    rows, cols = df.shape
    assert meta["rows"] == rows and meta["columns"] == cols
    for key in ("numeric_cells", "missing_cells", "bad_cells", "absent_cells", "extra_cells"):
        assert isinstance(meta[key], int) and meta[key] >= 0, key
    assert rows * cols == meta["numeric_cells"] + meta["missing_cells"] + meta["bad_cells"]
    # every number read is a number cell; every NaN is a missing or a bad cell
    assert int(df.notna().to_numpy().sum()) == meta["numeric_cells"]
    assert meta["absent_cells"] <= meta["missing_cells"]
    assert isinstance(df.index, pd.DatetimeIndex) and df.index.name == "time"
    assert list(df.columns.names) == ["host", "object", "instance", "counter"]
    assert len(meta["paths"]) == cols
    assert all(isinstance(w, str) for w in meta["warnings"])


@settings(max_examples=2000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=mutated, errors=st.sampled_from(["raise", "coerce"]))
def test_mutated_logs_load_or_raise_perflogerror(case, errors):
    seed, ops = case
    data = _mutate(SEED_BYTES[seed], ops)
    try:
        df, meta = read_perflog(io.BytesIO(data), errors=errors)
    except PerfLogError as exc:
        assert str(exc)  # a message that says something
        return
    _check_accounting(df, meta)


def _read_with(path_kind: str, data: bytes):
    # "auto-small": blocks of ~1-3 lines (polars' blocks and the runs within a block sent to
    # the exact path) and no cell-by-cell stop before single lines, so block edges and the
    # halving of refused runs are compared too
    small = path_kind == "auto-small"
    with mock.patch.object(values_mod, "PARSER", "auto" if small else path_kind), \
            mock.patch.object(blocks_mod, "BLOCK_BYTES_MIN", 120 if small else blocks_mod.BLOCK_BYTES_MIN), \
            mock.patch.object(blocks_mod, "BLOCK_BYTES_MAX", 120 if small else blocks_mod.BLOCK_BYTES_MAX), \
            mock.patch.object(values_mod, "BLOCK_CELLS", 30 if small else values_mod.BLOCK_CELLS), \
            mock.patch.object(values_mod, "CAREFUL_ROWS", 1 if small else values_mod.CAREFUL_ROWS):
        try:
            return read_perflog(io.BytesIO(data), errors="coerce")
        except PerfLogError as exc:
            return exc


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=mutated)
def test_value_parsers_agree_on_mutated_logs(case):
    seed, ops = case
    data = _mutate(SEED_BYTES[seed], ops)
    results = {k: _read_with(k, data) for k in ("auto", "auto-small", "careful", "extract")}
    kinds = {k: isinstance(v, PerfLogError) for k, v in results.items()}
    assert len(set(kinds.values())) == 1, kinds
    if kinds["auto"]:
        return
    (ref, ref_meta) = results["careful"]
    _check_accounting(ref, ref_meta)
    for k in ("auto", "auto-small", "extract"):
        df, meta = results[k]
        pd.testing.assert_frame_equal(df, ref)
        for key in ("numeric_cells", "missing_cells", "bad_cells", "absent_cells"):
            assert meta[key] == ref_meta[key], (k, key)


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"\x00\x01\x02garbage\xff",
                                  b'"(PDH-CSV 4.0) (UTC)(0)"', b'"(PDH-CSV 4.0) (UTC)(0)"\r\n'])
def test_degenerate_files(data):
    try:
        df, meta = read_perflog(io.BytesIO(data))
    except PerfLogError:
        return
    _check_accounting(df, meta)
    assert meta["rows"] == 0


def test_seeds_are_valid():
    """The unmutated seeds all load (the truncated and bad-cell ones with errors='coerce')."""
    for path, data in zip(SEEDS, SEED_BYTES):
        df, meta = read_perflog(io.BytesIO(data), errors="coerce")
        _check_accounting(df, meta)
        assert meta["rows"] > 0, path.name
    assert np.isfinite(len(SEEDS)) and len(SEEDS) >= 10
