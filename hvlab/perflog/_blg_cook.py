"""Raw counter values -> the numbers PerfMon shows, by Microsoft's published formula for each
counter type (winperf.h values; "Counter Types" on Microsoft Learn, [MS-PCQ] 2.2.4.2).

Notation of those pages: N = the counter's value (PDH_RAW_COUNTER.FirstValue), D = its time or
base (SecondValue), F = the time base (ticks per second, from the log's catalogue), B = the
multi count (MultiCount); 0 and 1 are the previous and the current sample. Rates and averages
need two consecutive samples, so their first sample is missing, as in a PDH-CSV export.
"""
from __future__ import annotations

import numpy as np

__all__ = ["COUNTER_TYPES", "type_name", "cook", "CALC_OK", "CALC_NEGATIVE", "CALC_NO_TIME",
           "CALC_UNSUPPORTED"]

# name -> (value, formula). Formulas:
#   raw        N
#   fraction   100 N / D                       (D: the base)
#   delta      N1 - N0
#   rate       (N1 - N0) / ((D1 - D0) / F)     (D: ticks of a clock running at F per second)
#   timer      100 (N1 - N0) / (D1 - D0)       (N and D in the same time unit)
#   timer_inv  100 (1 - (N1 - N0) / (D1 - D0))
#   multi      100 (N1 - N0) / (D1 - D0) / B
#   multi_inv  100 (B - (N1 - N0) / (D1 - D0))
#   queue      (N1 - N0) / (D1 - D0)           (time-weighted average queue length)
#   avg_timer  ((N1 - N0) / F) / (D1 - D0)     (seconds per operation; D: operation count)
#   avg_bulk   (N1 - N0) / (D1 - D0)           (D: operation count)
#   sample     100 (N1 - N0) / (D1 - D0)       (D: the base count)
#   elapsed    (D - N) / F                     (N: start time, D: now)
#   double     N's 8 bytes read as a float64
#   none       no value (text, base, histogram and no-data types)
COUNTER_TYPES: dict[str, tuple[int, str]] = {
    "PERF_COUNTER_RAWCOUNT_HEX": (0x00000000, "raw"),
    "PERF_COUNTER_LARGE_RAWCOUNT_HEX": (0x00000100, "raw"),
    "PERF_COUNTER_TEXT": (0x00000B00, "none"),
    "PERF_COUNTER_RAWCOUNT": (0x00010000, "raw"),
    "PERF_COUNTER_LARGE_RAWCOUNT": (0x00010100, "raw"),
    "PERF_DOUBLE_RAW": (0x00012000, "double"),
    "PERF_COUNTER_DELTA": (0x00400400, "delta"),
    "PERF_COUNTER_LARGE_DELTA": (0x00400500, "delta"),
    "PERF_SAMPLE_COUNTER": (0x00410400, "rate"),
    "PERF_COUNTER_QUEUELEN_TYPE": (0x00450400, "queue"),
    "PERF_COUNTER_LARGE_QUEUELEN_TYPE": (0x00450500, "queue"),
    "PERF_COUNTER_100NS_QUEUELEN_TYPE": (0x00550500, "queue"),
    "PERF_COUNTER_OBJ_TIME_QUEUELEN_TYPE": (0x00650500, "queue"),
    "PERF_COUNTER_COUNTER": (0x10410400, "rate"),
    "PERF_COUNTER_BULK_COUNT": (0x10410500, "rate"),
    "PERF_RAW_FRACTION": (0x20020400, "fraction"),
    "PERF_LARGE_RAW_FRACTION": (0x20020500, "fraction"),
    "PERF_COUNTER_TIMER": (0x20410500, "timer"),
    "PERF_PRECISION_SYSTEM_TIMER": (0x20470500, "timer"),
    "PERF_100NSEC_TIMER": (0x20510500, "timer"),
    "PERF_PRECISION_100NS_TIMER": (0x20570500, "timer"),
    "PERF_OBJ_TIME_TIMER": (0x20610500, "timer"),
    "PERF_PRECISION_OBJECT_TIMER": (0x20670500, "timer"),
    "PERF_SAMPLE_FRACTION": (0x20C20400, "sample"),
    "PERF_COUNTER_TIMER_INV": (0x21410500, "timer_inv"),
    "PERF_100NSEC_TIMER_INV": (0x21510500, "timer_inv"),
    "PERF_COUNTER_MULTI_TIMER": (0x22410500, "multi"),
    "PERF_100NSEC_MULTI_TIMER": (0x22510500, "multi"),
    "PERF_COUNTER_MULTI_TIMER_INV": (0x23410500, "multi_inv"),
    "PERF_100NSEC_MULTI_TIMER_INV": (0x23510500, "multi_inv"),
    "PERF_AVERAGE_TIMER": (0x30020400, "avg_timer"),
    "PERF_ELAPSED_TIME": (0x30240500, "elapsed"),
    "PERF_COUNTER_NODATA": (0x40000200, "none"),
    "PERF_AVERAGE_BULK": (0x40020500, "avg_bulk"),
    "PERF_SAMPLE_BASE": (0x40030401, "none"),
    "PERF_AVERAGE_BASE": (0x40030402, "none"),
    "PERF_RAW_BASE": (0x40030403, "none"),
    "PERF_LARGE_RAW_BASE": (0x40030500, "none"),
    "PERF_COUNTER_MULTI_BASE": (0x42030500, "none"),
    "PERF_COUNTER_HISTOGRAM_TYPE": (0x80000000, "none"),
}
_BY_VALUE = {value: (name, formula) for name, (value, formula) in COUNTER_TYPES.items()}
_TWO_SAMPLES = {"delta", "rate", "timer", "timer_inv", "multi", "multi_inv", "queue",
                "avg_timer", "avg_bulk", "sample"}

# why a cell has no value (codes in the array `cook` returns)
CALC_OK, CALC_FIRST, CALC_NEGATIVE, CALC_NO_TIME, CALC_UNSUPPORTED = 0, 1, 2, 3, 4


def type_name(value: int) -> str:
    """"PERF_COUNTER_COUNTER" for 0x10410400; "0x........" for a type not in the table."""
    hit = _BY_VALUE.get(int(value))
    return hit[0] if hit else f"0x{int(value):08X}"


def formula(value: int) -> str | None:
    hit = _BY_VALUE.get(int(value))
    return hit[1] if hit else None


def needs_two_samples(value: int) -> bool:
    return formula(value) in _TWO_SAMPLES


def cook(ctype: int, time_base: int, first: np.ndarray, second: np.ndarray,
         multi: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values, codes) for columns of one counter type: arrays [samples, columns].

    `valid` marks raw values that exist and have a good status. A value needs a valid raw
    value (and, for two-sample formulas, a valid previous one): else NaN with code CALC_FIRST.
    A difference that goes backwards where the counter cannot (a restart or a wrap) or a time
    that does not advance gives NaN with CALC_NEGATIVE / CALC_NO_TIME, as PDH reports
    PDH_CALC_NEGATIVE_VALUE / _DENOMINATOR instead of a number."""
    kind = formula(ctype)
    shape = first.shape
    out = np.full(shape, np.nan)
    code = np.full(shape, CALC_FIRST, dtype=np.int8)
    if kind is None or kind == "none":
        code[valid] = CALC_UNSUPPORTED
        return out, code
    n1 = first.astype(np.float64)
    d1 = second.astype(np.float64)
    freq = float(time_base)
    if kind in ("raw", "fraction", "double", "elapsed"):
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "raw":
                val = n1
            elif kind == "double":
                val = first.astype(np.int64).view(np.float64)
            elif kind == "fraction":
                val = 100.0 * n1 / d1
            else:
                val = (d1 - n1) / freq if freq > 0 else np.full(shape, np.nan)
        good = valid.copy()
        bad = np.zeros(shape, bool)
        if kind == "fraction":
            bad = valid & (d1 <= 0)
        elif kind == "elapsed":
            bad = valid & ((d1 < n1) | (freq <= 0))
        out[good & ~bad] = val[good & ~bad]
        code[good & ~bad] = CALC_OK
        code[bad] = CALC_NEGATIVE
        return out, code
    pair = valid.copy()
    pair[0] = False
    pair[1:] &= valid[:-1]
    # differences of the int64 raw values are exact; only the result is a float
    dn = np.zeros(shape, np.float64)
    dd = np.zeros(shape, np.float64)
    dn[1:] = (first[1:] - first[:-1]).astype(np.float64)
    dd[1:] = (second[1:] - second[:-1]).astype(np.float64)
    b = multi.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "delta":
            val = dn
        elif kind == "rate":
            val = dn / (dd / freq)
        elif kind == "timer":
            val = 100.0 * dn / dd
        elif kind == "timer_inv":
            val = 100.0 * (1.0 - dn / dd)
        elif kind == "multi":
            val = 100.0 * (dn / dd) / b
        elif kind == "multi_inv":
            val = 100.0 * (b - dn / dd)
        elif kind == "avg_timer":
            val = (dn / freq) / dd
        else:  # queue, avg_bulk, sample
            val = dn / dd * (100.0 if kind == "sample" else 1.0)
    no_time = pair & (dd <= 0) if kind not in ("delta",) else np.zeros(shape, bool)
    if kind in ("avg_timer", "avg_bulk", "sample"):
        # no new operations: PDH shows 0, not a division by zero
        zero_ops = pair & (dd == 0) & (dn == 0)
        val = np.where(zero_ops, 0.0, val)
        no_time &= ~zero_ops
    backwards = pair & (dn < 0)
    if kind == "rate" and freq <= 0:
        no_time = pair.copy()
    if kind in ("timer_inv", "multi_inv"):
        backwards |= pair & ~no_time & (val < 0)
    good = pair & ~no_time & ~backwards
    out[good] = val[good]
    code[good] = CALC_OK
    code[no_time] = CALC_NO_TIME
    code[backwards & ~no_time] = CALC_NEGATIVE
    return out, code
