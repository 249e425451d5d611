"""Parquet copies of logs (`convert_to_parquet`, ``hvlab log convert --to parquet``): read back
by read_perflog with the same frame and the same metadata as the log itself, with counters=,
tz= and dtype= as on the log; files hvlab did not write are refused with a message that says
what to do."""
from __future__ import annotations

import datetime as dt
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import hvlab as hv
from hvlab.cli import main

DATA = Path(__file__).resolve().parent.parent / "data"
REAL_LOGS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "perflogs"
SAMPLES = sorted(p for p in DATA.iterdir() if p.suffix in (".csv", ".tsv", ".txt"))
REAL = sorted(REAL_LOGS.glob("*.[ct]sv")) if REAL_LOGS.is_dir() else []
# binary logs: the workshop's sample and the real exports (their metadata has tuples)
BINARY = sorted((Path(__file__).resolve().parents[2] / "data").glob("*.blg")) + (
    sorted(REAL_LOGS.glob("*.blg")) if REAL_LOGS.is_dir() else [])


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hv.perflog.PerfLogWarning)
        return fn(*args, **kw)


def _same(a, b):
    (df_a, meta_a), (df_b, meta_b) = a, b
    pd.testing.assert_frame_equal(df_a, df_b)
    assert df_a.index.tz == df_b.index.tz and str(df_a.index.dtype) == str(df_b.index.dtype)
    assert list(meta_a) == list(meta_b)
    assert meta_a == meta_b, {k: (meta_a[k], meta_b[k]) for k in meta_a
                              if meta_a[k] != meta_b[k]}
    for key in ("start", "end"):
        if meta_a[key] is not None:
            assert str(meta_a[key]) == str(meta_b[key])  # same zone, not only the same instant


@pytest.mark.parametrize("path", SAMPLES + REAL + BINARY, ids=lambda p: p.name)
def test_round_trip_keeps_frame_and_metadata(path, tmp_path):
    out = tmp_path / "copy.parquet"
    log = _quiet(hv.perflog.convert_to_parquet, path, out, errors="coerce")
    _same(log, _quiet(hv.read_perflog, path, errors="coerce"))
    _same(_quiet(hv.read_perflog, out), log)
    # pandas reads the copy as a plain frame: the counter paths and the time index
    plain = pd.read_parquet(out)
    assert plain.shape == log[0].shape and plain.index.name == "time"
    np.testing.assert_array_equal(plain.to_numpy(), log[0].to_numpy())


def _generated(tmp_path, tz=None):
    """A log with a bad cell, a short line, a repeated path and a named zone."""
    rng = np.random.default_rng(4)
    keys = [("HV01", "Hyper-V VM Live Migration", f"vm{i}:VM Live Migration",
             "TCP Transport: Bytes Sent/sec") for i in range(6)]
    keys += [("HV01", "Memory", "", "Available MBytes")] * 2
    df = pd.DataFrame(np.round(rng.lognormal(3, 2, (50, len(keys))), 3),
                      index=pd.date_range("2026-03-29 00:30", periods=50, freq="min",
                                          tz="Europe/Berlin"),
                      columns=pd.MultiIndex.from_tuples(keys, names=hv.perflog.vocabulary.LEVELS))
    path = tmp_path / "gen.csv"
    hv.write_perflog(df, path, timezone="W. Europe Standard Time")
    lines = path.read_bytes().split(b"\r\n")
    lines[10] = lines[10].replace(b'","', b'","n/a","', 1).rsplit(b",", 1)[0]  # bad + short
    lines[20] = lines[20].rsplit(b",", 3)[0]  # three absent cells
    path.write_bytes(b"\r\n".join(lines))
    return path


@pytest.mark.parametrize("counters", [["TCP*"], [r"\Memory\*"], [r"\*(vm1:*)\*"], "*"])
def test_counters_pick_columns_and_count_their_cells(tmp_path, counters):
    path = _generated(tmp_path)
    out = tmp_path / "gen.parquet"
    _quiet(hv.perflog.convert_to_parquet, path, out, errors="coerce")
    from_log = _quiet(hv.read_perflog, path, errors="coerce", counters=counters)
    from_copy = _quiet(hv.read_perflog, out, counters=counters)
    pd.testing.assert_frame_equal(from_copy[0], from_log[0])
    for key in ("rows", "columns", "numeric_cells", "missing_cells", "bad_cells",
                "absent_cells", "paths", "duplicate_paths", "start", "end"):
        assert from_copy[1][key] == from_log[1][key], key
    assert from_copy[1]["bad_examples"] == from_log[1]["bad_examples"][:len(
        from_copy[1]["bad_examples"])]


def test_tz_and_dtype_as_on_the_log(tmp_path):
    path = _generated(tmp_path)
    out = tmp_path / "gen.parquet"
    _quiet(hv.perflog.convert_to_parquet, path, out, errors="coerce")
    for kw in ({"tz": "Europe/Berlin"}, {"dtype": "float32"}, {"tz": "UTC", "dtype": "float32"}):
        from_log = _quiet(hv.read_perflog, path, errors="coerce", **kw)
        from_copy = _quiet(hv.read_perflog, out, **kw)
        pd.testing.assert_frame_equal(from_copy[0], from_log[0])
        assert from_copy[1]["start"] == from_log[1]["start"]
        assert sorted(from_copy[1]["warnings"]) == sorted(from_log[1]["warnings"])


def test_a_copy_made_with_tz_keeps_its_zone(tmp_path):
    path = _generated(tmp_path)
    out = tmp_path / "berlin.parquet"
    log = _quiet(hv.perflog.convert_to_parquet, path, out, errors="coerce", tz="Europe/Berlin")
    back = _quiet(hv.read_perflog, out)
    _same(back, log)
    assert str(back[0].index.tz) == "Europe/Berlin"
    assert back[0].index[0].utcoffset() == dt.timedelta(hours=1)  # CET in March


def test_a_parquet_file_not_written_by_hvlab_is_refused(tmp_path):
    other = tmp_path / "other.parquet"
    pd.DataFrame({"a": [1.0, 2.0]}).to_parquet(other)
    with pytest.raises(hv.PerfLogError, match=r"other\.parquet: .*not written by hvlab.*"
                                              r"pandas\.read_parquet.*hvlab log convert"):
        hv.read_perflog(other)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(hv.PerfLogError, match=r"broken\.parquet: not a readable Parquet file"):
        hv.read_perflog(broken)
    damaged = tmp_path / "damaged.parquet"
    table = pa.table({"time": [1, 2], "x": [1.0, 2.0]})
    pq.write_table(table.replace_schema_metadata({b"hvlab.perflog": b"{not json"}), damaged)
    with pytest.raises(hv.PerfLogError, match=r"damaged\.parquet: .*metadata is damaged"):
        hv.read_perflog(damaged)


def test_a_parquet_copy_in_a_buffer(tmp_path):
    out = tmp_path / "relog.parquet"
    log = hv.perflog.convert_to_parquet(DATA / "perflog_relog_en.csv", out)
    back = hv.read_perflog(io.BytesIO(out.read_bytes()))
    pd.testing.assert_frame_equal(back[0], log[0])


def test_read_perflogs_takes_parquet_copies(tmp_path):
    for name in ("perflog_relog_en.csv", "perflog_bad_cell.csv"):
        hv.perflog.convert_to_parquet(DATA / name, tmp_path / (Path(name).stem + ".parquet"),
                                      errors="coerce")
    frame, meta = hv.read_perflogs(sorted(tmp_path.glob("*.parquet")), errors="coerce")
    ref, ref_meta = hv.read_perflogs([DATA / "perflog_bad_cell.csv",
                                      DATA / "perflog_relog_en.csv"], errors="coerce")
    pd.testing.assert_frame_equal(frame, ref)
    for key in ("rows", "columns", "numeric_cells", "missing_cells", "bad_cells"):
        assert meta[key] == ref_meta[key]
    folder, _ = hv.read_perflogs(tmp_path, errors="coerce")
    pd.testing.assert_frame_equal(folder, ref)


def test_cli_convert_round_trip(tmp_path, capsys):
    src = DATA / "perflog_de_cp1252.tsv"
    out = tmp_path / "de.parquet"
    assert main(["log", "convert", str(src), "--to", "parquet", "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    _same(hv.read_perflog(out), hv.read_perflog(src))
    with pytest.raises(SystemExit) as stop:
        main(["log", "convert", str(src), "--to", "parquet", "-o", str(out)])
    assert stop.value.code == 2 and "exists; pass --force" in capsys.readouterr().err
    # and back to a PDH log from the copy
    csv = tmp_path / "de.csv"
    assert main(["log", "convert", str(out), "--to", "csv", "-o", str(csv)]) == 0
    again, meta = hv.read_perflog(csv)
    np.testing.assert_array_equal(again.to_numpy(), hv.read_perflog(src)[0].to_numpy())
    assert meta["encoding"] == "cp1252"


def test_a_folder_with_logs_and_their_copies_reads_each_log_once(tmp_path):
    import os
    import shutil

    for name in ("perflog_relog_en.csv", "perflog_bad_cell.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    hv.perflog.convert_to_parquet(tmp_path / "perflog_relog_en.csv",
                                  tmp_path / "perflog_relog_en.parquet")
    assert hv.perflog.multi.expand_paths(tmp_path) == [str(tmp_path / "perflog_bad_cell.csv"),
                                                      str(tmp_path / "perflog_relog_en.parquet")]
    # the log changed after the copy was made: the log, not the stale copy
    later = os.path.getmtime(tmp_path / "perflog_relog_en.parquet") + 10
    os.utime(tmp_path / "perflog_relog_en.csv", (later, later))
    assert hv.perflog.multi.expand_paths(tmp_path) == [str(tmp_path / "perflog_bad_cell.csv"),
                                                      str(tmp_path / "perflog_relog_en.csv")]
    frame, meta = hv.read_perflogs(tmp_path, errors="coerce")
    assert meta["rows"] == sum(hv.read_perflog(DATA / n, errors="coerce")[1]["rows"]
                               for n in ("perflog_relog_en.csv", "perflog_bad_cell.csv"))
