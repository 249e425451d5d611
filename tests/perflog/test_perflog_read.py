"""read_perflog on the hand-made samples in tests/data (one per quirk of real Windows exports;
tests/data/make_perflog_samples.py holds their text) and on generated logs."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

import hvlab as hv
import hvlab.perflog._values as values_mod

DATA = Path(__file__).resolve().parent.parent / "data"
LM = ("HV01", "Hyper-V VM Live Migration", "sql01:VM Live Migration")
API_KEYS = {"format", "timezone", "bias_min", "encoding", "rows", "columns", "missing_cells",
            "bad_cells", "interval_s", "start", "end", "paths", "warnings"}


def read(name, **kw):
    df, meta = hv.read_perflog(DATA / name, **kw)
    assert API_KEYS <= set(meta)
    assert df.shape[0] * df.shape[1] == (meta["numeric_cells"] + meta["missing_cells"]
                                         + meta["bad_cells"])
    assert int(df.notna().to_numpy().sum()) == meta["numeric_cells"]
    assert df.index.name == "time" and list(df.columns.names) == list(hv.perflog.vocabulary.LEVELS)
    return df, meta


def test_relog_export():
    df, meta = read("perflog_relog_en.csv")
    assert (meta["format"], meta["version"]) == ("pdh-csv", "4.0")
    assert meta["timezone"] == "W. Europe Standard Time" and meta["bias_min"] == -60
    assert meta["encoding"] == "ascii"
    assert df.shape == (6, 10) and (meta["rows"], meta["columns"]) == (6, 10)
    # the first row of the 6 rate counters is " ": missing, not zero
    assert meta["missing_cells"] == 6 and meta["bad_cells"] == 0
    assert df.iloc[0].isna().sum() == 6
    # times: the host's wall clock at UTC+1 (bias -60)
    assert df.index[0] == pd.Timestamp("2013-03-07 08:41:53.468", tz="UTC")
    assert df.index[0].utcoffset() == dt.timedelta(hours=1)
    assert meta["interval_s"] == pytest.approx(1.0)
    assert meta["start"] == df.index[0] and meta["end"] == df.index[-1]
    # values as written, exponent style included
    vsd = ("HV01", "Hyper-V Virtual Storage Device",
           "C:-ClusterStorage-Volume1-sql01-sql01.vhdx", "Write Bytes/sec")
    assert df[vsd].iloc[1] == 5.0045e-05
    nic = ("HV01", "Network Interface", "Intel[R] 82574L Gigabit Network Connection",
           "Bytes Sent/sec")
    assert df[nic].iloc[1] == 118234521.39999999 and df[nic].iloc[5] == 1200.0
    assert df[LM + ("Transfer Pass: Number",)].tolist() == [0, 1, 1, 2, 3, 0]
    assert df[LM + ("Transfer Pass: Is blackout",)].tolist() == [0, 0, 0, 0, 1, 0]
    # awkward instances come through whole
    assert ("HV01", "Thread", "vmms/12#1", "Context Switches/sec") in df.columns
    assert ("HV01", "Process", "foo (x86)", "% Processor Time") in df.columns
    assert ("HV01", "Memory", "", "Available MBytes") in df.columns
    assert meta["paths"][0] == (r"\\HV01\Hyper-V VM Live Migration(sql01:VM Live Migration)"
                                r"\Transfer Pass: Number")
    assert meta["warnings"] == []


def test_cyrillic_cp1251():
    df, meta = read("perflog_ru_cp1251.csv")
    assert meta["encoding"] == "cp1251"
    assert meta["timezone"] == "RTZ 2 (зима)" and meta["bias_min"] == -180
    assert list(df.columns) == [
        ("HV02", "Процессор", "_Total", "% загруженности процессора"),
        ("HV02", "Сетевой интерфейс", "Microsoft Hyper-V Network Adapter", "Отправлено байт/с"),
        ("HV02", "Память", "", "Доступно МБ")]
    assert df.index[0].utcoffset() == dt.timedelta(hours=3)
    assert meta["interval_s"] == pytest.approx(15.0015)  # median of 15.002 s and 15.001 s
    assert df.iloc[2, 1] == 1024.5 and meta["missing_cells"] == 1


def test_spanish_cp1252_is_not_read_as_cp1250():
    df, meta = read("perflog_es_cp1252.csv")
    assert meta["encoding"] == "cp1252"
    assert meta["timezone"] == "Hora estándar romance"
    assert ("HV03", "Disco físico", "0 C:", "Bytes de lectura de disco/s") in df.columns
    assert ("HV03", "Hyper-V VM Live Migration", "señal01:VM Live Migration",
            "Transfer Pass: Number") in df.columns  # cp1250 would give "seńal01"


def test_german_tsv():
    df, meta = read("perflog_de_cp1252.tsv")
    assert meta["format"] == "pdh-tsv" and meta["encoding"] == "cp1252"
    assert meta["timezone"] == "Mitteleuropäische Zeit"
    assert ("HV04", "Prozessor", "_Total", "Prozessorzeit (%)") in df.columns
    assert ("HV04", "Arbeitsspeicher", "", "Verfügbare MB") in df.columns
    assert df.iloc[1].tolist() == [100.0, 1.18e8, 2047.0]
    assert df.index[0] == pd.Timestamp("2013-02-01 06:30:00.250", tz="UTC")


def test_utf16_with_bom():
    df, meta = read("perflog_utf16.csv")
    assert meta["encoding"] == "utf-16-le" and meta["bias_min"] == -540
    assert df.columns[0] == ("HV05", "Hyper-V VM Live Migration",
                             "データベース01:VM Live Migration", "Transfer Pass: Number")
    # across midnight and a month end, on the host's clock
    assert [str(t) for t in df.index] == ["2014-06-30 23:59:59.500000+09:00",
                                          "2014-07-01 00:00:00.500000+09:00"]


def test_utf16_without_bom_and_utf8_with_bom():
    text = (DATA / "perflog_utf16.csv").read_bytes().decode("utf-16")
    df16, meta16 = hv.read_perflog(io.BytesIO(text.encode("utf-16-le")))
    assert meta16["encoding"] == "utf-16-le" and any("zero bytes" in w
                                                     for w in meta16["warnings"])
    df8, meta8 = hv.read_perflog(io.BytesIO(text.encode("utf-8-sig")))
    assert meta8["encoding"] == "utf-8-sig"
    df_text, meta_text = hv.read_perflog(io.StringIO(text))
    assert meta_text["encoding"] == "str"
    ref, _ = read("perflog_utf16.csv")
    for df in (df16, df8, df_text):
        pd.testing.assert_frame_equal(df, ref)


def test_encoding_override():
    df, meta = hv.read_perflog(DATA / "perflog_ru_cp1251.csv", encoding="cp1252")
    assert meta["encoding"] == "cp1252"
    assert df.columns[0][1] == "Ïðîöåññîð"  # what cp1252 makes of "Процессор": as asked
    with pytest.raises(ValueError, match="not a known codec"):
        hv.read_perflog(DATA / "perflog_ru_cp1251.csv", encoding="no-such-codec")


def test_broken_header_loads_without_zone():
    df, meta = read("perflog_broken_header.csv")
    assert meta["timezone"] is None and meta["bias_min"] is None
    assert df.index.tz is None
    assert meta["header_cell"] == "(PDH-CSV 4.0) (RTZ 2 ("
    assert any("broken first header cell" in w for w in meta["warnings"])
    assert meta["encoding"] == "cp1251"
    assert df.columns[0] == ("HV06", "Память", "", "Доступно МБ")
    assert df.iloc[:, 0].tolist() == [4096.0, 4095.0]
    # the zone can be given: the wall clock placed in Moscow time (UTC+4 in 2013)
    df_tz, meta_tz = hv.read_perflog(DATA / "perflog_broken_header.csv", tz="Europe/Moscow")
    assert df_tz.index[0] == pd.Timestamp("2013-12-31 19:59:58", tz="UTC")


def test_tz_overrides_bias_and_says_when_they_disagree():
    df, meta = hv.read_perflog(DATA / "perflog_es_cp1252.csv", tz="Europe/Madrid")
    assert str(df.index.tz) == "Europe/Madrid" and not meta["warnings"]
    df, meta = hv.read_perflog(DATA / "perflog_ru_cp1251.csv", tz="Europe/Moscow")
    assert df.index[0].utcoffset() == dt.timedelta(hours=4)  # Moscow kept UTC+4 in 2012
    assert any("bias -180" in w for w in meta["warnings"])
    with pytest.raises(ValueError, match="not a time zone"):
        hv.read_perflog(DATA / "perflog_es_cp1252.csv", tz="Mars/Olympus")


def test_a_bias_of_thousands_of_digits_is_no_offset():
    """A damaged header's bias too long for int() (found by a fuzz run: a 20,004-digit bias
    raised ValueError from int()) is reported like any other impossible bias."""
    data = (f'"(PDH-CSV 4.0) (W. Europe Standard Time)({"9" * 20_004})","\\\\H\\O\\c"\r\n'
            '"01/05/2026 00:00:00.000","1"\r\n').encode()
    df, meta = hv.read_perflog(io.BytesIO(data))
    assert meta["bias_min"] is None and df.index.tz is None
    assert any("is not a time-zone offset" in w and "20004 digits" in w
               for w in meta["warnings"])
    head = b'"(PDH-CSV 4.0) (\xc2\xe0\xf8)(' + b"9" * 20_004 + b')","\\\\H\\O\\c"\r\n'
    df, meta = hv.read_perflog(io.BytesIO(head + b'"01/05/2026 00:00:00.000","1"\r\n'))
    assert df.shape == (1, 1)  # a non-ASCII header takes the code-page guess as well


def test_typeperf_console_capture():
    df, meta = read("typeperf_console.txt")
    assert meta["format"] == "typeperf-console"
    assert meta["console_lines"] == 2 and meta["blank_lines"] == 1
    assert meta["console_text"] == ["Exiting, please wait...",
                                    "The command completed successfully."]
    assert df.shape == (3, 2) and df.index.tz is None
    assert df.iloc[:, 1].tolist() == [0.0, 118234567.0, 117998211.5]


def test_typeperf_console_in_the_oem_code_page():
    df, meta = read("typeperf_console_ru_cp866.txt")
    assert meta["encoding"] == "cp866"
    assert df.columns[0] == ("HV02", "Процессор", "_Total", "% загруженности процессора")
    assert meta["console_text"] == ["Выход, подождите...", "Команда успешно выполнена."]


def test_get_counter_export_is_pivoted():
    df, meta = read("getcounter_export.csv")
    assert meta["format"] == "get-counter-csv" and meta["timezone"] is None
    lm = ("hv01", "hyper-v vm live migration", "sql01:vm live migration",
          "transfer pass: number")
    nic = ("hv01", "network interface", "microsoft hyper-v network adapter", "bytes sent/sec")
    assert list(df.columns) == [lm, nic]
    assert [str(t) for t in df.index] == ["2012-11-14 10:12:33", "2012-11-14 10:12:34",
                                          "2012-11-14 13:12:35"]  # 1:12:35 PM
    assert df[lm].tolist() == [1.0, 2.0, 3.0]
    assert df[nic].iloc[:2].tolist() == [117440512.0, 117961216.5]
    assert np.isnan(df[nic].iloc[2]) and meta["missing_cells"] == 1
    # the same as a PDH log would give: select and label work alike
    assert hv.perflog.label(nic) == "bytes sent/sec (microsoft hyper-v network adapter) " \
                                    "[bytes/s]"


def test_get_counter_use_culture():
    df, meta = read("getcounter_de_useculture.csv")
    assert meta["encoding"] == "utf-8-sig"
    assert df.index[1] == pd.Timestamp("2012-11-14 10:12:34")  # day first: 14 Nov
    assert df.iloc[:, 0].tolist() == [12.5, 7.0] and df.iloc[:, 1].tolist() == [2048, 2047.5]
    assert any("decimal comma" in w for w in meta["warnings"])


def test_bad_cell_is_named_or_counted():
    with pytest.raises(hv.PerfLogError) as err:
        hv.read_perflog(DATA / "perflog_bad_cell.csv")
    msg = str(err.value)
    assert "perflog_bad_cell.csv line 4, column 3" in msg
    assert r'("\\HV07\Network Interface(nic1)\Bytes Sent/sec"): "abc" is not a number' in msg
    assert "errors='coerce'" in msg
    assert isinstance(err.value, ValueError)
    df, meta = read("perflog_bad_cell.csv", errors="coerce")
    assert meta["bad_cells"] == 1 and np.isnan(df.iloc[2, 1])
    assert meta["bad_examples"][0] == {"line": 4, "column": 3, "text": "abc",
                                       "path": r"\\HV07\Network Interface(nic1)\Bytes Sent/sec"}


def test_duplicate_paths_are_kept_and_told_apart():
    df, meta = read("perflog_bad_cell.csv", errors="coerce")
    assert list(df.columns.get_level_values("counter")) == [
        "Available MBytes", "Bytes Sent/sec", "Available MBytes [2]"]
    assert meta["duplicate_paths"] == {r"\\HV07\Memory\Available MBytes": 2}
    assert meta["paths"].count(r"\\HV07\Memory\Available MBytes") == 2
    assert df.iloc[:, 0].tolist() == df.iloc[:, 2].tolist() == [100, 101, 102, 103]


def test_truncated_last_line():
    df, meta = read("perflog_truncated.csv")
    assert df.shape == (4, 10)
    last = df.iloc[3]
    assert last.iloc[0] == 2.0 and last.iloc[1:].isna().all()  # "35 (cut) is not a number
    assert meta["absent_cells"] == 9
    assert any("cut off" in w for w in meta["warnings"])


def test_cut_inside_the_timestamp_drops_that_line():
    data = (DATA / "perflog_relog_en.csv").read_bytes()
    cut = data[:data.rindex(b"\r\n") + 2] + b'"03/07/2013 09:4'
    df, meta = hv.read_perflog(io.BytesIO(cut))
    assert df.shape == (6, 10)
    assert any("inside its timestamp" in w for w in meta["warnings"])


def test_bad_timestamp():
    data = (DATA / "perflog_relog_en.csv").read_bytes().replace(b"03/07/2013 09:41:55.469",
                                                                b"not a time")
    with pytest.raises(hv.PerfLogError, match="line 4, column 1: 'not a time'"):
        hv.read_perflog(io.BytesIO(data))
    df, meta = hv.read_perflog(io.BytesIO(data), errors="coerce")
    assert meta["bad_times"] == 1 and pd.isna(df.index[2]) and df.shape == (6, 10)


def test_long_line_raises_or_is_counted():
    data = (DATA / "perflog_relog_en.csv").read_bytes().replace(b'"5118"\r\n', b'"5118","9"\r\n',
                                                                1)
    with pytest.raises(hv.PerfLogError, match="line 5: 12 fields, but the header has 11"):
        hv.read_perflog(io.BytesIO(data))
    df, meta = hv.read_perflog(io.BytesIO(data), errors="coerce")
    assert meta["extra_cells"] == 1 and df.shape == (6, 10)


@pytest.mark.parametrize("counters, expected", [
    ("Transfer Pass*", ["Transfer Pass: Number", "Transfer pass: Dirty Page Count",
                        "Transfer Pass: Is blackout"]),
    (r"\Process(*)\*", ["% Processor Time", "% Processor Time"]),
    ([r"\\HV01\Memory\Available MBytes", "bytes sent/sec"],
     ["Bytes Sent/sec", "Available MBytes"]),
    ("*Bytes Sent/sec", ["TCP Transport: Bytes Sent/sec", "Bytes Sent/sec"]),
])
def test_counters_select_before_parsing(counters, expected):
    df, meta = read("perflog_relog_en.csv", counters=counters)
    assert list(df.columns.get_level_values("counter")) == expected
    full, _ = read("perflog_relog_en.csv")
    pd.testing.assert_frame_equal(df, full[df.columns])
    assert meta["file_counters"] == 10 and len(meta["paths"]) == len(expected)


def test_counters_callable_and_no_match():
    df, _ = read("perflog_relog_en.csv", counters=lambda p: p.index == 3)
    assert list(df.columns) == [("HV01", "Process", "svchost#3", "% Processor Time")]
    with pytest.raises(hv.PerfLogError, match="matched none of the 10 counters"):
        hv.read_perflog(DATA / "perflog_relog_en.csv", counters="nothing*")


def test_blg_and_binary_files(tmp_path):
    blg = tmp_path / "DataCollector01.blg"
    blg.write_bytes(b"\x00\x01binary")
    with pytest.raises(hv.PerfLogError, match=r"relog DataCollector01.blg -f csv -o "
                                              r"DataCollector01.csv"):
        hv.read_perflog(blg)
    with pytest.raises(hv.PerfLogError, match="binary file"):
        hv.read_perflog(io.BytesIO(b"\x00\x05\x99\x00\x01garbage\x00\x00\x17"))
    with pytest.raises(hv.PerfLogError, match="empty"):
        hv.read_perflog(io.BytesIO(b""))
    with pytest.raises(hv.PerfLogError, match="not a performance log"):
        hv.read_perflog(io.BytesIO(b"name,value\r\nx,1\r\n"))
    with pytest.raises(TypeError, match="path_or_buffer"):
        hv.read_perflog(42)
    with pytest.raises(FileNotFoundError):
        hv.read_perflog(tmp_path / "missing.csv")


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="errors must be"):
        hv.read_perflog(DATA / "perflog_relog_en.csv", errors="ignore")
    with pytest.raises(ValueError, match="float dtype"):
        hv.read_perflog(DATA / "perflog_relog_en.csv", dtype="int64")


def test_float32():
    df, meta = read("perflog_relog_en.csv", dtype="float32")
    assert (df.dtypes == "float32").all()
    assert df[LM + ("TCP Transport: Bytes Sent/sec",)].iloc[1] == np.float32(117961216)


def test_unquoted_fields_as_an_editor_saves_them():
    text = (DATA / "perflog_relog_en.csv").read_text("cp1252")
    lines = text.split("\r\n")
    body = [ln.replace('"', "") for ln in lines[1:]]
    data = "\r\n".join([lines[0], *body]).encode("cp1252")
    df, meta = hv.read_perflog(io.BytesIO(data))
    ref, _ = read("perflog_relog_en.csv")
    pd.testing.assert_frame_equal(df, ref)


# ------------------------------------------------------------------------------------------
# a generated log large enough for the fast paths; every path must give the same frame
def _generated(tmp_path, rows=400, cols=60, bad_at=None):
    rng = np.random.default_rng(7)
    values = np.round(rng.lognormal(3, 2, (rows, cols)), 3)
    values[rng.random((rows, cols)) < 0.05] = np.nan
    keys = [("HV01", "Hyper-V Virtual Storage Device", f"C:-VMs-vm{i:02d}.vhdx",
             "Write Bytes/sec") for i in range(cols)]
    df = pd.DataFrame(values, index=pd.date_range("2026-01-05", periods=rows, freq="s",
                                                  tz="UTC"),
                      columns=pd.MultiIndex.from_tuples(keys,
                                                        names=hv.perflog.vocabulary.LEVELS))
    path = tmp_path / "gen.csv"
    hv.write_perflog(df, path)
    if bad_at is not None:
        line, col = bad_at  # 1-based file line and column
        lines = path.read_bytes().split(b"\r\n")
        cells = lines[line - 1].split(b'","')
        cells[col - 1] = b"oops"
        lines[line - 1] = b'","'.join(cells)
        path.write_bytes(b"\r\n".join(lines))
    return df, path


@pytest.mark.parametrize("path_kind", ["auto", "careful", "extract"])
def test_value_paths_agree(tmp_path, path_kind):
    df, path = _generated(tmp_path)
    with mock.patch.object(values_mod, "PARSER", path_kind):
        back, meta = hv.read_perflog(path)
    np.testing.assert_array_equal(back.to_numpy(), df.to_numpy())
    assert meta["missing_cells"] == int(np.isnan(df.to_numpy()).sum())
    sub_cols = ["C:-VMs-vm03.vhdx", "C:-VMs-vm41.vhdx"]
    with mock.patch.object(values_mod, "PARSER", path_kind):
        sub, _ = hv.read_perflog(path, counters=[rf"\*({c})\*" for c in sub_cols])
    np.testing.assert_array_equal(sub.to_numpy(), df.iloc[:, [3, 41]].to_numpy())


@pytest.mark.parametrize("counters", [None, r"\*(C:-VMs-vm1?.vhdx)\*"])
def test_bad_cell_found_in_blocks(tmp_path, counters):
    """A bad cell deep in a big file: found by the block-wise pass with its line/column."""
    df, path = _generated(tmp_path, bad_at=(300, 15))
    with mock.patch.object(values_mod, "BLOCK_CELLS", 600):  # 10 lines per block
        with pytest.raises(hv.PerfLogError, match="line 300, column 15"):
            hv.read_perflog(path, counters=counters)
        back, meta = hv.read_perflog(path, counters=counters, errors="coerce")
    assert meta["bad_cells"] == 1 and meta["bad_examples"][0]["line"] == 300
    expected = df.to_numpy().copy()
    expected[298, 13] = np.nan  # line 300 = row 299 (0-based 298), column 15 = counter 14
    if counters is None:
        np.testing.assert_array_equal(back.to_numpy(), expected)
    else:
        np.testing.assert_array_equal(back.to_numpy(), expected[:, 10:20])


def test_path_like_and_buffers_agree(tmp_path):
    df, path = _generated(tmp_path, rows=50, cols=5)
    a, _ = hv.read_perflog(str(path))
    b, _ = hv.read_perflog(io.BytesIO(path.read_bytes()))
    c, meta = hv.read_perflog(open(path, "rb"))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)
    assert meta["source"] == str(path)
