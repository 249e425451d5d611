r"""PerfMon binary logs (.blg): the real files from Windows against Windows' own exports of them,
and logs written with `write_blg` whose values follow from the counter types' formulas.

Expected numbers come from the CSV/TSV that Windows wrote for the same samples, from what
Windows' reader reports for the damaged file (275 samples, 5 errors; ../shared/data/perflogs/
SOURCES.md), or from the formulas on Microsoft Learn's "Counter Types" pages applied by hand to
raw values chosen here.
"""
from __future__ import annotations

import datetime as dt
import shutil
import struct

import numpy as np
import pandas as pd
import pytest

import hvlab as hv
from hvlab import PerfLogError
from hvlab.perflog.blg import RawCounter, read_blg, write_blg

F = 10_000_000                      # 100-ns ticks per second
EPOCH = 116444736000000000          # FILETIME of 1970-01-01


def _filetime(ts: str) -> int:
    return int(pd.Timestamp(ts).value // 100 + EPOCH)


def _accounted(df, meta):
    rows, cols = df.shape
    assert rows * cols == meta["numeric_cells"] + meta["missing_cells"] + meta["bad_cells"]
    assert int(df.notna().to_numpy().sum()) == meta["numeric_cells"]


# --------------------------------------------------------------------------------------------
# the real files
@pytest.mark.parametrize("text", ["ps_counter_samples.csv", "ps_counter_samples.tsv"])
def test_real_blg_matches_windows_export_cell_for_cell(real_log, text):
    df, meta = hv.read_perflog(real_log("ps_counter_samples.blg"))
    ref, ref_meta = hv.read_perflog(real_log(text))
    assert meta["format"] == "blg" and meta["encoding"] is None
    assert meta["paths"] == ref_meta["paths"]
    assert list(df.columns) == list(ref.columns)
    pd.testing.assert_index_equal(df.index, ref.index)
    assert str(df.index.tz) == str(ref.index.tz) == "Pacific Standard Time"
    assert meta["timezone"] == ref_meta["timezone"] and meta["bias_min"] == ref_meta["bias_min"]
    a, b = df.to_numpy(), ref.to_numpy()
    assert (np.isnan(a) == np.isnan(b)).all()
    ok = ~np.isnan(b)
    np.testing.assert_allclose(a[ok], b[ok], rtol=1e-12, atol=0)
    assert meta["missing_cells"] == ref_meta["missing_cells"]
    assert meta["rows"] == 25 and meta["bad_samples"] == 0
    _accounted(df, meta)


def test_real_blg_header_and_counter_types(real_log):
    path = real_log("ps_counter_samples.blg")
    _, meta = hv.read_perflog(path)
    raw = path.read_bytes()
    # TRACE_LOGFILE_HEADER after the 0x48-byte buffer header and 32-byte system header:
    # VersionDetail at +4 (major, minor), ProviderVersion (the build) at +8
    major, minor = raw[0x68 + 4], raw[0x68 + 5]
    build = struct.unpack_from("<I", raw, 0x68 + 8)[0]
    assert meta["os_version"] == f"{major}.{minor}.{build}"
    types = meta["counter_types"]
    # the types Windows uses for these well-known counters (Microsoft Learn / typeperf -q)
    assert types[r"\\charlieparker\processor(_total)\% processor time"] == \
        "PERF_100NSEC_TIMER_INV"
    assert types[r"\\charlieparker\memory\% committed bytes in use"] == "PERF_RAW_FRACTION"
    assert types[r"\\charlieparker\memory\cache faults/sec"] == "PERF_COUNTER_COUNTER"
    assert types[r"\\charlieparker\physicaldisk(_total)\% disk time"] == \
        "PERF_PRECISION_100NS_TIMER"
    assert types[r"\\charlieparker\physicaldisk(_total)\current disk queue length"] == \
        "PERF_COUNTER_RAWCOUNT"


def test_real_blg_counters_select_the_same_columns_as_the_csv(real_log):
    pattern = [r"\network interface(*)\*", "% *"]
    df, meta = hv.read_perflog(real_log("ps_counter_samples.blg"), counters=pattern)
    ref, _ = hv.read_perflog(real_log("ps_counter_samples.csv"), counters=pattern)
    assert list(df.columns) == list(ref.columns) and df.shape[1] == 8
    np.testing.assert_allclose(df.to_numpy(), ref.to_numpy(), rtol=1e-12)
    assert meta["file_counters"] == 10


def test_damaged_real_blg_gives_windows_sample_and_error_counts(real_log):
    df, meta = hv.read_perflog(real_log("ps_bad_counter_samples.blg"))
    assert len(df) == 275                 # what Windows' reader returns
    assert meta["bad_samples"] == 5       # the errors Windows' reader reports
    assert meta["statuses"] == {"PDH_CSTATUS_NO_MACHINE (0x800007D0)": meta["status_cells"]}
    assert df.index.is_monotonic_increasing
    assert meta["os_version"].startswith("5.2.")          # a Windows Server 2003 host
    assert meta["timezone"] == "SA Eastern Standard Time" and meta["bias_min"] == 180
    good = df.to_numpy()[~np.isnan(df.to_numpy())]
    assert (good >= 0).all() and (good <= 100).all()      # % Processor Time
    _accounted(df, meta)


def test_folder_of_blg_logs(real_log, tmp_path):
    tree = tmp_path / "HV01_20161126-000001"
    tree.mkdir()
    shutil.copy(real_log("ps_counter_samples.blg"), tree / "DataCollector01.blg")
    shutil.copy(real_log("ps_counter_samples.csv"), tmp_path / "other.csv")
    df, meta = hv.read_perflogs(tree)
    assert meta["files"] == [str(tree / "DataCollector01.blg")] and df.shape == (25, 10)
    both, bmeta = hv.read_perflogs(tmp_path)
    assert len(bmeta["files"]) == 2 and both.shape == (50, 10)


def test_cli_converts_blg_to_csv(real_log, tmp_path):
    from hvlab.cli import main

    blg = tmp_path / "x.blg"
    shutil.copy(real_log("ps_counter_samples.blg"), blg)
    assert main(["log", "convert", str(blg), "--to", "csv"]) == 0
    back, meta = hv.read_perflog(tmp_path / "x.csv")
    ref, _ = hv.read_perflog(real_log("ps_counter_samples.csv"))
    pd.testing.assert_frame_equal(back, ref, rtol=1e-12)
    assert meta["timezone"] == "Pacific Standard Time"


# --------------------------------------------------------------------------------------------
# written logs: every counter type by its formula
N = 6
STEP = 15                                         # [s]
TIMES = pd.date_range("2026-03-02 10:00", periods=N, freq=f"{STEP}s")
QPC = 3_579_545                                   # a performance-counter frequency [1/s]
K = np.arange(N, dtype=np.int64)
PERF_TIME = 1_000_000 + K * STEP * QPC            # performance-counter ticks
TIME_100NS = _filetime("2026-03-02 09:00") + K * STEP * F


def _typed_counters():
    """(RawCounter, value every sample but the first must have by the type's formula)."""
    return [
        (RawCounter(r"\\HV01\Memory\Available MBytes", "PERF_COUNTER_LARGE_RAWCOUNT",
                    first=np.full(N, 4096)), 4096.0),
        (RawCounter(r"\\HV01\Memory\Page Faults/sec", "PERF_COUNTER_COUNTER",
                    first=K * 250 * STEP, second=PERF_TIME, time_base=QPC), 250.0),
        (RawCounter(r"\\HV01\Network Interface(nic1)\Bytes Total/sec",
                    "PERF_COUNTER_BULK_COUNT", first=K * 118_000_000 * STEP, second=PERF_TIME,
                    time_base=QPC), 118e6),
        (RawCounter(r"\\HV01\Processor(_Total)\% Processor Time", "PERF_100NSEC_TIMER_INV",
                    first=K * int(0.8 * STEP * F), second=TIME_100NS), 20.0),
        (RawCounter(r"\\HV01\Processor(_Total)\% User Time", "PERF_100NSEC_TIMER",
                    first=K * int(0.3 * STEP * F), second=TIME_100NS), 30.0),
        (RawCounter(r"\\HV01\PhysicalDisk(_Total)\% Disk Time", "PERF_PRECISION_100NS_TIMER",
                    first=K * int(1.5 * STEP * F), second=TIME_100NS), 150.0),
        (RawCounter(r"\\HV01\Memory\% Committed Bytes In Use", "PERF_RAW_FRACTION",
                    first=np.full(N, 3), second=np.full(N, 4)), 75.0),
        (RawCounter(r"\\HV01\PhysicalDisk(_Total)\Avg. Disk sec/Read", "PERF_AVERAGE_TIMER",
                    first=K * 40 * (QPC // 100), second=K * 40, time_base=QPC),
         (QPC // 100) / QPC),   # 10 ms in whole ticks
        (RawCounter(r"\\HV01\PhysicalDisk(_Total)\Avg. Disk Bytes/Read", "PERF_AVERAGE_BULK",
                    first=K * 40 * 65536, second=K * 40), 65536.0),
        (RawCounter(r"\\HV01\PhysicalDisk(_Total)\Avg. Disk Queue Length",
                    "PERF_COUNTER_100NS_QUEUELEN_TYPE", first=K * 3 * STEP * F,
                    second=TIME_100NS), 3.0),
        (RawCounter(r"\\HV01\Processor(_Total)\% Idle Multi", "PERF_100NSEC_MULTI_TIMER",
                    first=K * 2 * STEP * F, second=TIME_100NS, multi_count=4), 50.0),
        (RawCounter(r"\\HV01\Processor(_Total)\% Busy Multi", "PERF_100NSEC_MULTI_TIMER_INV",
                    first=K * int(3.5 * STEP * F), second=TIME_100NS, multi_count=4), 50.0),
        (RawCounter(r"\\HV01\Cache\Copy Read Hits %", "PERF_SAMPLE_FRACTION",
                    first=K * 9, second=K * 10), 90.0),
        (RawCounter(r"\\HV01\Job\Items", "PERF_COUNTER_DELTA", first=K * 7), 7.0),
        (RawCounter(r"\\HV01\System\System Up Time", "PERF_ELAPSED_TIME",
                    first=np.full(N, 0), second=np.full(N, 3600 * F)), 3600.0),
    ]


def test_every_counter_type_cooks_by_its_formula(tmp_path):
    pairs = _typed_counters()
    path = write_blg(tmp_path / "types.blg", TIMES, [c for c, _ in pairs],
                     timezone="Tokyo Standard Time", bias_min=-540)
    df, meta = hv.read_perflog(path)
    assert df.shape == (N, len(pairs)) and meta["bad_samples"] == 0
    for j, (counter, want) in enumerate(pairs):
        col = df.iloc[:, j].to_numpy()
        two = meta["counter_info"][j]["type"] not in (
            "PERF_COUNTER_LARGE_RAWCOUNT", "PERF_RAW_FRACTION", "PERF_ELAPSED_TIME")
        assert np.isnan(col[0]) == two, counter.path
        np.testing.assert_allclose(col[int(two):], want, rtol=1e-12, err_msg=counter.path)
    assert meta["timezone"] == "Tokyo Standard Time"
    assert df.index[0] == pd.Timestamp("2026-03-02 10:00", tz="Asia/Tokyo")
    _accounted(df, meta)


def test_instances_that_come_and_go_and_share_a_name(tmp_path):
    present = np.ones((N, 3), bool)
    present[2, 1] = False            # nic2 missing in sample 2
    first = K[:, None] * np.array([1, 2, 3]) * 1000 * STEP
    counter = RawCounter(r"\\HV01\Network Interface(*)\Bytes Sent/sec",
                         "PERF_COUNTER_BULK_COUNT", first=first, second=PERF_TIME,
                         time_base=QPC, instances=["nic", "nic2", "nic"], present=present)
    df, meta = hv.read_perflog(write_blg(tmp_path / "inst.blg", TIMES, [counter]))
    assert [c[2] for c in df.columns] == ["nic", "nic2", "nic#1"]
    assert meta["paths"][2] == r"\\HV01\Network Interface(nic#1)\Bytes Sent/sec"
    nic2 = df.iloc[:, 1].to_numpy()
    # absent in sample 2, and sample 3 has no previous value to take a rate from
    assert np.isnan(nic2[[0, 2, 3]]).all()
    np.testing.assert_allclose(nic2[[1, 4, 5]], 2000.0, rtol=1e-12)
    np.testing.assert_allclose(df.iloc[1:, 2], 3000.0, rtol=1e-12)
    assert meta["absent_cells"] == 1
    _accounted(df, meta)


def test_status_errors_and_counters_that_go_backwards(tmp_path):
    status = np.zeros(N, np.int64)
    status[3] = 0x800007D0           # PDH_CSTATUS_NO_MACHINE
    busy = K * int(0.5 * STEP * F)
    busy[4:] -= 10 * STEP * F        # the host restarted: the raw counter starts again
    counters = [RawCounter(r"\\HV02\Processor(_Total)\% Processor Time",
                           "PERF_100NSEC_TIMER_INV", first=busy, second=TIME_100NS,
                           status=status),
                RawCounter(r"\\HV02\Memory\Available MBytes", "PERF_COUNTER_RAWCOUNT",
                           first=np.full(N, 512))]
    df, meta = hv.read_perflog(write_blg(tmp_path / "bad.blg", TIMES, counters))
    cpu = df.iloc[:, 0].to_numpy()
    assert np.isnan(cpu[[0, 3, 4]]).all()       # first, error status, no good previous
    np.testing.assert_allclose(cpu[[1, 2, 5]], 50.0, rtol=1e-12)
    assert meta["bad_samples"] == 1 and meta["status_cells"] == 1
    assert meta["statuses"] == {"PDH_CSTATUS_NO_MACHINE (0x800007D0)": 1}
    assert (df.iloc[:, 1] == 512).all()
    _accounted(df, meta)
    busy[4:] = busy[3] - 1                      # goes backwards between samples 3 and 4
    counters[0] = RawCounter(counters[0].path, "PERF_100NSEC_TIMER_INV", first=busy,
                             second=TIME_100NS)
    df, meta = hv.read_perflog(write_blg(tmp_path / "back.blg", TIMES, counters))
    assert meta["calc_errors"] == 1 and np.isnan(df.iloc[4, 0])
    assert any("negative" in w for w in meta["warnings"])
    _accounted(df, meta)


def test_a_sample_larger_than_a_buffer_is_split_and_joined(tmp_path):
    names = [f"vm{i:04d}:VM Live Migration" for i in range(1500)]    # ~100 KB per sample
    first = K[:, None] * (np.arange(1500) + 1) * STEP
    counter = RawCounter(r"\\HV01\Hyper-V VM Live Migration(*)\Memory Walker: Bytes Read/sec",
                         "PERF_COUNTER_BULK_COUNT", first=first, second=PERF_TIME,
                         time_base=QPC, instances=names)
    df, meta = hv.read_perflog(write_blg(tmp_path / "big.blg", TIMES, [counter]))
    assert df.shape == (N, 1500) and meta["damaged_samples"] == 0
    np.testing.assert_allclose(df.iloc[1:].to_numpy(),
                               np.broadcast_to(np.arange(1500) + 1.0, (N - 1, 1500)), rtol=1e-12)


def test_values_cut_by_a_split_read_back(tmp_path):
    pairs = _typed_counters()
    ref, _ = hv.read_perflog(write_blg(tmp_path / "one.blg", TIMES, [c for c, _ in pairs]))
    # 37-byte parts: many values straddle two events
    df, meta = hv.read_perflog(write_blg(tmp_path / "cut.blg", TIMES, [c for c, _ in pairs],
                                         split_at=37))
    pd.testing.assert_frame_equal(df, ref)
    assert meta["damaged_samples"] == 0


def test_daylight_saving_rules_and_a_log_across_the_change(tmp_path):
    # W. Europe: daylight from the last Sunday in March 02:00 to the last in October 03:00
    tzi = {"bias": -60, "standard_name": "@tzres.dll,-322", "standard_bias": 0,
           "standard_date": (0, 10, 0, 5, 3, 0, 0, 0), "daylight_name": "@tzres.dll,-321",
           "daylight_date": (0, 3, 0, 5, 2, 0, 0, 0), "daylight_bias": -60}
    wall = pd.DatetimeIndex(["2026-03-29 01:30", "2026-03-29 01:59", "2026-03-29 03:00",
                             "2026-03-29 03:30"])
    counter = RawCounter(r"\\HV01\Memory\Available MBytes", "PERF_COUNTER_LARGE_RAWCOUNT",
                         first=np.arange(4))
    df, meta = hv.read_perflog(write_blg(tmp_path / "dst.blg", wall, [counter], tzi=tzi))
    want = pd.DatetimeIndex(wall).tz_localize("Europe/Berlin").tz_convert("UTC")
    assert (df.index.tz_convert("UTC") == want).all()
    assert meta["bias_min"] == -60
    # four Windows zones share these rules: no name is guessed, all are reported
    assert "W. Europe Standard Time" in meta["timezone_candidates"]
    assert meta["timezone"] == "UTC+01:00"
    assert any("tz=" in w for w in meta["warnings"])
    named, _ = hv.read_perflog(tmp_path / "dst.blg", tz="Europe/Berlin")
    assert (named.index.tz_convert("UTC") == want).all()


def test_resource_name_of_the_sample_pair_resolves(tmp_path):
    tzi = {"bias": 480, "standard_name": "@tzres.dll,-212", "standard_bias": 0,
           "standard_date": (0, 11, 0, 1, 2, 0, 0, 0), "daylight_name": "@tzres.dll,-211",
           "daylight_date": (0, 3, 0, 2, 2, 0, 0, 0), "daylight_bias": -60}
    counter = RawCounter(r"\\HV01\Memory\Available MBytes", "PERF_COUNTER_RAWCOUNT",
                         first=np.arange(2))
    df, meta = hv.read_perflog(write_blg(tmp_path / "pdt.blg", ["2026-07-01 12:00",
                                                                 "2026-07-01 12:01"],
                                         [counter], tzi=tzi))
    assert meta["timezone"] == "Pacific Daylight Time" and meta["bias_min"] == 420
    assert df.index[0] == pd.Timestamp("2026-07-01 12:00", tz="America/Los_Angeles")


def test_float32_and_counters_and_buffers(tmp_path):
    pairs = _typed_counters()
    path = write_blg(tmp_path / "t.blg", TIMES, [c for c, _ in pairs])
    df, meta = hv.read_perflog(str(path), dtype="float32", counters=r"\Processor(*)\*")
    assert df.dtypes.unique().tolist() == [np.dtype("float32")] and df.shape[1] == 4
    with open(path, "rb") as fh:
        same, _ = hv.read_perflog(fh, dtype="float32", counters=r"\Processor(*)\*")
    pd.testing.assert_frame_equal(df, same)
    with pytest.raises(PerfLogError, match="matched none"):
        hv.read_perflog(path, counters="No Such Counter")


# --------------------------------------------------------------------------------------------
# variants that are refused, with the relog command
def test_circular_log_is_refused_with_relog_hint(tmp_path):
    counter = RawCounter(r"\\HV01\Memory\Available MBytes", "PERF_COUNTER_RAWCOUNT",
                         first=np.arange(N))
    path = write_blg(tmp_path / "ring.blg", TIMES, [counter], log_file_mode=0x2)
    with pytest.raises(PerfLogError, match=r"circular.*relog ring\.blg -f csv -o ring\.csv"):
        hv.read_perflog(path)


@pytest.mark.parametrize("content, what", [
    (b"", "empty"),
    (b"\x00\x01PDH binary 2003 log" + bytes(4000), "pre-Vista"),
    (b'"(PDH-CSV 4.0) (UTC)(0)","\\\\H\\Memory\\Available MBytes"\r\n', "text log"),
])
def test_other_files_named_blg_are_refused_with_relog_hint(tmp_path, content, what):
    path = tmp_path / "old.blg"
    path.write_bytes(content)
    with pytest.raises(PerfLogError, match=f"{what}.*relog old.blg -f csv -o old.csv"):
        hv.read_perflog(path)


def test_read_blg_takes_bytes_and_names_them(real_log):
    raw = real_log("ps_counter_samples.blg").read_bytes()
    df, meta = read_blg(raw, name="copy.blg")
    assert meta["source"] == "copy.blg" and df.shape == (25, 10)
    head = hv.perflog.read.read_header(real_log("ps_counter_samples.blg"))
    assert head["format"] == "blg" and len(head["keys"]) == 10


def test_time_stamps_are_the_sample_events(tmp_path):
    stamps = ["2026-01-01 00:00:00.001", "2026-01-01 00:00:01.002"]
    counter = RawCounter(r"\\H\Memory\Available MBytes", "PERF_COUNTER_RAWCOUNT",
                         first=np.arange(2))
    df, _ = hv.read_perflog(write_blg(tmp_path / "ms.blg", stamps, [counter]))
    assert list(df.index.tz_localize(None)) == [pd.Timestamp(s) for s in stamps]
    assert df.index.tz.utcoffset(None) == dt.timedelta(0)
