"""`hvlab log summary | migrations | convert` on sample logs."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hvlab as hv
from hvlab.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"


def test_summary(capsys):
    assert main(["log", "summary", str(DATA / "perflog_relog_en.csv")]) == 0
    out = capsys.readouterr().out
    assert "format      pdh-csv 4.0" in out
    assert "time zone   'W. Europe Standard Time' (bias -60 min" in out
    assert "interval    1 s" in out and "rows        6" in out
    assert "counters    10" in out
    assert "missing     6 of 60 cells (10.0%)" in out
    assert "hosts       HV01" in out
    assert "Hyper-V VM Live Migration: 4 counters, 1 instances" in out


def test_summary_of_a_localised_console_capture(capsys):
    assert main(["log", "summary", str(DATA / "typeperf_console_ru_cp866.txt")]) == 0
    out = capsys.readouterr().out
    assert "encoding    cp866" in out and "Процессор: 1 counters" in out
    assert "console     2 non-data lines skipped" in out


def test_bad_cell_is_an_error_unless_coerced(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["log", "summary", str(DATA / "perflog_bad_cell.csv")])
    assert exit_.value.code == 2
    assert "line 4, column 3" in capsys.readouterr().err
    assert main(["log", "summary", "--coerce", str(DATA / "perflog_bad_cell.csv")]) == 0
    assert "bad cells   1" in capsys.readouterr().out


def test_migrations_in_a_simulated_log(tmp_path, capsys):
    result = hv.live_migration(hv.VM(name="sql01", memory_gib=2, dirty_rate_mib_s=20),
                               hv.Link(gbps=1))
    path = tmp_path / "sql01.csv"
    result.to_perflog(path, host="HV01")
    assert main(["log", "migrations", str(path)]) == 0
    out = capsys.readouterr().out
    assert "sql01" in out and "HV01" in out
    assert main(["log", "migrations", str(DATA / "perflog_ru_cp1251.csv")]) == 0
    assert "no migrations found" in capsys.readouterr().out


def test_convert_to_csv_keeps_names_values_and_code_page(tmp_path, capsys):
    src = tmp_path / "ru.csv"
    shutil.copy(DATA / "perflog_ru_cp1251.csv", src)
    assert main(["log", "convert", str(src), "--to", "tsv"]) == 0
    out = tmp_path / "ru.tsv"
    assert f"wrote {out}" in capsys.readouterr().out
    a, meta_a = hv.read_perflog(src)
    b, meta_b = hv.read_perflog(out)
    pd.testing.assert_frame_equal(a, b)
    assert meta_b["encoding"] == "cp1251" and meta_b["format"] == "pdh-tsv"
    # converting a CSV to CSV writes beside it, and never over an existing file
    assert main(["log", "convert", str(src), "--to", "csv"]) == 0
    assert (tmp_path / "ru-converted.csv").exists()
    with pytest.raises(SystemExit):
        main(["log", "convert", str(src), "--to", "csv"])
    assert "exists" in capsys.readouterr().err
    assert main(["log", "convert", str(src), "--to", "csv", "--force"]) == 0


def test_convert_get_counter_export_to_pdh(tmp_path):
    out = tmp_path / "gc.csv"
    assert main(["log", "convert", str(DATA / "getcounter_export.csv"), "--to", "csv",
                 "-o", str(out)]) == 0
    a, _ = hv.read_perflog(DATA / "getcounter_export.csv")
    b, meta = hv.read_perflog(out)
    assert meta["format"] == "typeperf-console"  # no zone: written without one
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    assert list(a.columns) == list(b.columns)


def test_convert_to_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    out = tmp_path / "log.parquet"
    assert main(["log", "convert", str(DATA / "perflog_bad_cell.csv"), "--coerce", "--to",
                 "parquet", "-o", str(out)]) == 0
    df, meta = hv.read_perflog(DATA / "perflog_bad_cell.csv", errors="coerce")
    back = pd.read_parquet(out)
    assert list(back.columns) == [r"\\HV07\Memory\Available MBytes",
                                  r"\\HV07\Network Interface(nic1)\Bytes Sent/sec",
                                  r"\\HV07\Memory\Available MBytes [2]"]
    np.testing.assert_array_equal(back.to_numpy(), df.to_numpy())
    assert (back.index == df.index).all()
