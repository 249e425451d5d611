"""Robustness of the .blg reader: damaged binary logs either load with every cell and every
lost sample accounted for, or raise PerfLogError; never another exception.

Seeds: logs written with `write_blg` (several counter types, a wildcard with instances that
come and go, a sample split over events) and, where present, the real files from Windows.
Mutations: truncation anywhere, bit flips, random bytes, deleted or duplicated spans, whole
buffers repeated, dropped, swapped or appended from another log, zeroed buffers.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hvlab import PerfLogError, read_perflog
from hvlab.perflog.blg import RawCounter, looks_like_blg, write_blg

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "perflogs"
BUF = 65536


def _seed_logs(tmp: Path) -> list[bytes]:
    n = 400
    k = np.arange(n, dtype=np.int64)
    present = np.ones((n, 3), bool)
    present[10:20, 2] = False
    wide = [f"vm{i:03d}" for i in range(1200)]
    counters = [
        RawCounter(r"\\HV01\Network Interface(*)\Bytes Total/sec", "PERF_COUNTER_BULK_COUNT",
                   first=k[:, None] * np.array([1, 2, 3]) * 15_000, second=k * 15 * 10**7,
                   instances=["a", "b", "c"], present=present),
        RawCounter(r"\\HV01\Processor(_Total)\% Processor Time", "PERF_100NSEC_TIMER_INV",
                   first=k * 12 * 10**7, second=k * 15 * 10**7),
        RawCounter(r"\\HV01\Memory\Available MBytes", "PERF_COUNTER_LARGE_RAWCOUNT",
                   first=np.full(n, 2048), status=np.where(k == 5, 0x800007D0, 0)),
    ]
    times = pd.date_range("2026-01-01", periods=n, freq="15s")
    seeds = []
    for name, ctrs in (("small", counters),
                       ("split", counters + [RawCounter(
                           r"\\HV01\Hyper-V VM Live Migration(*)\Transfer Pass: Number",
                           "PERF_COUNTER_LARGE_RAWCOUNT", first=np.ones((n, 1200), np.int64),
                           instances=wide)])):
        path = tmp / f"{name}.blg"
        write_blg(path, times[: (n if name == "small" else 6)],
                  [_cut(c, n if name == "small" else 6) for c in ctrs], buffer_size=BUF)
        seeds.append(path.read_bytes())
    for real in ("ps_counter_samples.blg", "ps_bad_counter_samples.blg"):
        if (REAL / real).is_file():
            seeds.append((REAL / real).read_bytes())
    return seeds


def _cut(c: RawCounter, n: int) -> RawCounter:
    def part(x):
        a = np.asarray(x)
        return a[:n] if a.ndim else a
    return RawCounter(c.path, c.counter_type, part(c.first), part(c.second), c.time_base,
                      c.default_scale, c.instances, part(c.multi_count), part(c.status),
                      None if c.present is None else part(c.present))


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return _seed_logs(tmp_path_factory.mktemp("blg_seeds"))


def _mutate(data: bytes, ops, other: bytes) -> bytes:
    for kind, a, b, blob in ops:
        n = len(data)
        i, j = a % (n + 1), b % (n + 1)
        lo, hi = min(i, j), max(i, j)
        nbuf = max(n // BUF, 1)
        x, y = (a % nbuf) * BUF, (b % nbuf) * BUF
        if kind == "truncate":
            data = data[:i]
        elif kind == "flip" and n:
            data = data[:i % n] + bytes([data[i % n] ^ (1 << (b % 8))]) + data[i % n + 1:]
        elif kind == "bytes":
            data = data[:i] + blob + data[i + len(blob):]
        elif kind == "delete":
            data = data[:lo] + data[hi:]
        elif kind == "duplicate":
            data = data[:hi] + data[lo:hi][:200_000] + data[hi:]
        elif kind == "repeat_buffer":
            data = data[:x + BUF] + data[x:x + BUF] + data[x + BUF:]
        elif kind == "drop_buffer" and n > BUF:
            data = data[:x] + data[x + BUF:] if x else data[:BUF] + data[2 * BUF:]
        elif kind == "swap_buffers":
            p, q = sorted((x, y))
            if p != q:
                data = data[:p] + data[q:q + BUF] + data[p + BUF:q] + data[p:p + BUF] + \
                    data[q + BUF:]
        elif kind == "append_other":
            data = data + other[BUF:]
        elif kind == "zero_buffer":
            data = data[:x] + bytes(min(BUF, max(n - x, 0))) + data[x + BUF:]
    return data


_op = st.tuples(
    st.sampled_from(["truncate", "flip", "bytes", "delete", "duplicate", "repeat_buffer",
                     "drop_buffer", "swap_buffers", "append_other", "zero_buffer"]),
    st.integers(0, 1 << 20), st.integers(0, 1 << 20), st.binary(min_size=1, max_size=16))


@settings(max_examples=1000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(pick=st.integers(0, 3), other=st.integers(0, 3), ops=st.lists(_op, min_size=1,
                                                                      max_size=3))
def test_damaged_blg_loads_with_damage_counted_or_raises(seeds, pick, other, ops):
    data = _mutate(seeds[pick % len(seeds)], ops, seeds[other % len(seeds)])
    try:
        df, meta = read_perflog(io.BytesIO(data), errors="coerce")
    except PerfLogError as exc:
        assert str(exc)
        return
    rows, cols = df.shape
    if looks_like_blg(data[:256]):
        assert meta["format"] == "blg"
    assert rows * cols == meta["numeric_cells"] + meta["missing_cells"] + meta["bad_cells"]
    assert int(df.notna().to_numpy().sum()) == meta["numeric_cells"]
    assert isinstance(df.index, pd.DatetimeIndex) and len(meta["paths"]) == cols
    if meta["format"] == "blg":
        assert meta["bad_samples"] >= meta["damaged_samples"] >= 0
        assert all(isinstance(w, str) for w in meta["warnings"])


def test_truncated_log_keeps_the_whole_buffers_and_says_so(seeds):
    whole, _ = read_perflog(io.BytesIO(seeds[0]))
    cut = seeds[0][: len(seeds[0]) - 1000]
    df, meta = read_perflog(io.BytesIO(cut))
    assert meta["trailing_bytes"] == BUF - 1000
    assert len(df) < len(whole) and any("last whole buffer" in w for w in meta["warnings"])
    pd.testing.assert_frame_equal(df, whole.iloc[: len(df)])


def test_a_flipped_record_header_drops_that_sample_only(seeds):
    data = bytearray(seeds[0])
    whole, _ = read_perflog(io.BytesIO(bytes(data)))
    # the second sample event of the first data buffer: its container record's "BL" magic
    at = data.index(b"BL\x03\x00", BUF + 0x48)
    at = data.index(b"BL\x03\x00", at + 4)
    data[at] ^= 0xFF
    df, meta = read_perflog(io.BytesIO(bytes(data)))
    assert len(df) == len(whole) - 1
    assert meta["damaged_samples"] == 1 and meta["bad_samples"] >= 1
