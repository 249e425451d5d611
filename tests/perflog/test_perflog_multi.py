"""read_perflogs: a PerfMon folder tree or logs from many hosts into one frame; with
engine="dask" a lazy Dask DataFrame, one partition per file."""
from __future__ import annotations

import datetime as dt
import sys
from unittest import mock

import numpy as np
import pandas as pd
import pytest

import hvlab as hv
from hvlab.perflog.vocabulary import LEVELS


def _write(path, host, start, rows, tz, counters=("Bytes Sent/sec",), base=0.0):
    keys = [(host, "Network Interface", "nic1", c) for c in counters]
    keys.append((host, "Memory", "", "Available MBytes"))
    index = pd.date_range(start, periods=rows, freq="s", tz=tz)
    values = base + np.arange(rows * len(keys), dtype=float).reshape(rows, len(keys))
    values[0, 0] = np.nan  # rate counters start empty
    df = pd.DataFrame(values, index=index, columns=pd.MultiIndex.from_tuples(keys,
                                                                             names=LEVELS))
    path.parent.mkdir(parents=True, exist_ok=True)
    hv.write_perflog(df, path)
    return df


@pytest.fixture
def tree(tmp_path):
    """PerfMon's layout: one folder per collector run, HOST_yyyyMMdd-NNNNNN."""
    cet = dt.timezone(dt.timedelta(hours=1), "W. Europe Standard Time")
    frames = {
        "HV01_20260105-000001": _write(tmp_path / "HV01_20260105-000001" /
                                       "DataCollector01.csv", "HV01", "2026-01-05 10:00:00",
                                       5, cet),
        "HV01_20260105-000002": _write(tmp_path / "HV01_20260105-000002" /
                                       "DataCollector01.csv", "HV01", "2026-01-05 10:00:05",
                                       4, cet, base=100),
        "HV02_20260105-000001": _write(tmp_path / "HV02_20260105-000001" /
                                       "DataCollector01.csv", "HV02", "2026-01-05 10:00:02.5",
                                       3, cet, counters=("Bytes Sent/sec",
                                                         "Bytes Received/sec"), base=1000),
    }
    return tmp_path, frames


def test_folder_tree_into_one_frame(tree):
    root, frames = tree
    df, meta = hv.read_perflogs(root)
    assert len(meta["files"]) == 3 and meta["rows"] == 12
    # columns: the union, in order of first appearance
    assert list(df.columns) == [("HV01", "Network Interface", "nic1", "Bytes Sent/sec"),
                                ("HV01", "Memory", "", "Available MBytes"),
                                ("HV02", "Network Interface", "nic1", "Bytes Sent/sec"),
                                ("HV02", "Network Interface", "nic1", "Bytes Received/sec"),
                                ("HV02", "Memory", "", "Available MBytes")]
    assert df.index.is_monotonic_increasing and df.index.name == "time"
    assert str(df.index.tz) == "W. Europe Standard Time"
    # every value lands in its own file's row and column
    for frame in frames.values():
        for key in frame.columns:
            got = df[key].dropna()
            want = frame[key].dropna()
            assert set(want.index) <= set(got.index)
            np.testing.assert_array_equal(got.loc[want.index].to_numpy(), want.to_numpy())
    # accounting: cells of counters a file does not have are missing (and absent)
    fill = 5 * 3 + 4 * 3 + 3 * 2
    assert meta["absent_cells"] == fill
    assert meta["numeric_cells"] == int(df.notna().to_numpy().sum())
    assert df.size == meta["numeric_cells"] + meta["missing_cells"] + meta["bad_cells"]
    assert meta["interval_s"] == pytest.approx(1.0)
    assert meta["start"] == pd.Timestamp("2026-01-05 09:00:00", tz="UTC")


def test_glob_and_lists(tree):
    root, _ = tree
    a, meta_a = hv.read_perflogs(str(root / "HV01_*" / "DataCollector01.csv"))
    b, _ = hv.read_perflogs(sorted(root.glob("HV01_*/*.csv")))
    pd.testing.assert_frame_equal(a, b)
    assert a.shape == (9, 2) and len(meta_a["files"]) == 2
    c, _ = hv.read_perflogs(str(root / "**" / "*.csv"))
    assert c.shape == (12, 5)
    with pytest.raises(FileNotFoundError, match="no files match"):
        hv.read_perflogs(str(root / "nothing*.csv"))
    with pytest.raises(FileNotFoundError, match="no such log file"):
        hv.read_perflogs(root / "missing.csv")
    with pytest.raises(ValueError, match="engine"):
        hv.read_perflogs(root, engine="spark")


def test_hosts_in_different_zones_meet_in_utc(tmp_path):
    _write(tmp_path / "a.csv", "HV01", "2026-01-05 10:00", 3,
           dt.timezone(dt.timedelta(hours=1)))
    _write(tmp_path / "b.csv", "HV02", "2026-01-05 12:00", 3,
           dt.timezone(dt.timedelta(hours=3)))
    df, meta = hv.read_perflogs(tmp_path)
    assert meta["timezone"] == "UTC" and any("time zones" in w for w in meta["warnings"])
    # 10:00 at UTC+1 and 12:00 at UTC+3 are both 09:00 UTC
    assert (df.index[:2] == pd.Timestamp("2026-01-05 09:00", tz="UTC")).all()


def test_naive_and_aware_do_not_mix(tmp_path):
    _write(tmp_path / "a.csv", "HV01", "2026-01-05 10:00", 3, "UTC")
    _write(tmp_path / "b.csv", "HV02", "2026-01-05 10:00", 3, None)
    with pytest.raises(hv.PerfLogError, match="pass tz="):
        hv.read_perflogs(tmp_path)
    df, meta = hv.read_perflogs(tmp_path, tz="UTC")
    assert str(df.index.tz) == "UTC" and df.shape == (6, 4)


def test_read_kwargs_reach_every_file(tree):
    root, _ = tree
    df, meta = hv.read_perflogs(root, counters="Available MBytes", dtype="float32")
    assert df.shape == (12, 2) and (df.dtypes == "float32").all()


def test_dask_engine_one_partition_per_file(tree):
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    root, _ = tree
    expected, _ = hv.read_perflogs(root)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        ddf, meta = hv.read_perflogs(root, engine="dask")
        assert ddf.npartitions == 3 and meta["partitions"] == 3
        assert list(ddf.columns) == [hv.CounterPath(*k).path for k in expected.columns]
        got = ddf.compute()
        # a lazy read: the per-file metadata stays with the files
        assert len(meta["files"]) == 3
        only_hv02 = ddf[r"\\HV02\Network Interface(nic1)\Bytes Received/sec"].dropna()
        assert only_hv02.compute().tolist() == [1001.0, 1004.0, 1007.0]
    got = got.sort_index(kind="stable")
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    assert (got.index == expected.index).all()


def test_dask_missing_says_how_to_install(tree):
    root, _ = tree
    with mock.patch.dict(sys.modules, {"dask": None, "dask.dataframe": None}):
        with pytest.raises(ImportError, match=r"pip install hvlab\[dask\]"):
            hv.read_perflogs(root, engine="dask")
