"""write_perflog writes what Windows writes, and read_perflog(write_perflog(df)) gives df back:
values, counter paths (unicode included), timestamps and time zone."""
from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hvlab as hv
from hvlab.perflog.write import format_header_cell, format_number

LEVELS = ["host", "object", "instance", "counter"]


def _frame(values, tz=dt.timezone(dt.timedelta(hours=1), "W. Europe Standard Time")):
    keys = [("HV01", "Hyper-V VM Live Migration", "sql01:VM Live Migration",
             "TCP Transport: Bytes Sent/sec"),
            ("HV01", "Memory", "", "Available MBytes")]
    index = pd.DatetimeIndex(["2013-03-07 09:41:53.468", "2013-03-07 09:41:54.468",
                              "2013-03-07 09:41:55.469"], name="time").tz_localize(tz)
    return pd.DataFrame(values, index=index,
                        columns=pd.MultiIndex.from_tuples(keys, names=LEVELS))


def test_bytes_as_windows_writes_them():
    df = _frame([[np.nan, 5120.0], [117961216.0, 5.0045e-05], [1e20, 0.78125]])
    out = io.BytesIO()
    hv.write_perflog(df, out)
    expected = (
        '"(PDH-CSV 4.0) (W. Europe Standard Time)(-60)",'
        '"\\\\HV01\\Hyper-V VM Live Migration(sql01:VM Live Migration)\\TCP Transport: Bytes '
        'Sent/sec","\\\\HV01\\Memory\\Available MBytes"\r\n'
        '"03/07/2013 09:41:53.468"," ","5120"\r\n'
        '"03/07/2013 09:41:54.468","117961216","5.0045e-005"\r\n'
        '"03/07/2013 09:41:55.469","1e+020","0.78125"\r\n')
    assert out.getvalue() == expected.encode("cp1252")


def test_tsv_quotes_every_field_too():
    df = _frame([[1.5, 2.0], [3.0, np.nan], [0.1, 1e-7]])
    out = io.BytesIO()
    hv.write_perflog(df, out, fmt="tsv")
    lines = out.getvalue().decode("cp1252").split("\r\n")
    assert lines[0].startswith('"(PDH-TSV 4.0) (W. Europe Standard Time)(-60)"\t"\\\\HV01')
    assert lines[1] == '"03/07/2013 09:41:53.468"\t"1.5"\t"2"'
    assert lines[2] == '"03/07/2013 09:41:54.468"\t"3"\t" "'
    assert lines[3] == '"03/07/2013 09:41:55.469"\t"0.1"\t"1e-007"'
    assert lines[4] == ""  # CRLF after the last row too


@pytest.mark.parametrize("value, text", [
    (3.0, "3"), (-0.0, "-0"), (0.5, "0.5"), (5.0045e-05, "5.0045e-005"), (1e-300, "1e-300"),
    (1.5e16, "1.5e+016"), (123456789012.0, "123456789012"), (float("nan"), " "),
    (float("inf"), "inf"), (2.6041666666666661, repr(2.6041666666666661)),
])
def test_number_format(value, text):
    assert format_number(value) == text
    if value == value:  # every written number reads back to the same float
        assert float(text) == value


def test_header_cell_forms():
    assert format_header_cell("csv", "Pacific Standard Time", 480) == \
        "(PDH-CSV 4.0) (Pacific Standard Time)(480)"
    assert format_header_cell("tsv", None, -330) == "(PDH-TSV 4.0) ()(-330)"
    assert format_header_cell("csv") == "(PDH-CSV 4.0)"


def test_bias_turns_instants_into_the_wall_clock():
    """UTC = local + bias: a UTC index written with bias 300 shows the clock 5 h earlier."""
    df = _frame([[1, 2], [3, 4], [5, 6]], tz="UTC")
    out = io.BytesIO()
    hv.write_perflog(df, out, timezone="Eastern Standard Time", bias_min=300)
    text = out.getvalue().decode("cp1252")
    assert '"(PDH-CSV 4.0) (Eastern Standard Time)(300)"' in text
    assert '"03/07/2013 04:41:53.468"' in text
    back, meta = hv.read_perflog(io.BytesIO(out.getvalue()))
    assert meta["bias_min"] == 300 and meta["timezone"] == "Eastern Standard Time"
    assert (back.index == df.index).all()  # the same instants
    assert back.index[0].utcoffset() == dt.timedelta(hours=-5)


def test_dst_zone_keeps_its_first_offset():
    index = pd.date_range("2013-03-31 01:59:58", periods=4, freq="s", tz="Europe/Berlin")
    df = pd.DataFrame({r"\\HV01\Memory\Available MBytes": [1.0, 2, 3, 4]}, index=index)
    out = io.BytesIO()
    hv.write_perflog(df, out)
    back, meta = hv.read_perflog(io.BytesIO(out.getvalue()))
    assert meta["bias_min"] == -60 and meta["timezone"] == "Europe/Berlin"
    assert (back.index == index).all()  # instants survive the spring-forward
    assert back.columns[0] == ("HV01", "Memory", "", "Available MBytes")


def test_naive_index_round_trips_naive():
    index = pd.DatetimeIndex(["2012-11-14 10:12:33.123", "2012-11-14 10:12:34.125"])
    df = pd.DataFrame({r"\\HV01\Processor(_Total)\% Processor Time": [3.125, 1.5625]},
                      index=index)
    out = io.BytesIO()
    hv.write_perflog(df, out)
    assert out.getvalue().startswith(b'"(PDH-CSV 4.0)","')
    back, meta = hv.read_perflog(io.BytesIO(out.getvalue()))
    assert back.index.tz is None and meta["bias_min"] is None
    assert (back.index == index).all()
    np.testing.assert_array_equal(back.to_numpy().ravel(), [3.125, 1.5625])


def test_text_and_file_targets(tmp_path):
    df = _frame([[1, 2], [3, 4], [5, 6]])
    sio = io.StringIO()
    hv.write_perflog(df, sio)
    path = tmp_path / "log.csv"
    assert hv.write_perflog(df, path) == path
    assert path.read_bytes() == sio.getvalue().encode("cp1252")
    assert b"\r\n" in path.read_bytes() and b"\n\n" not in path.read_bytes()


def test_encodings_and_their_limits():
    df = _frame([[1, 2], [3, 4], [5, 6]])
    df.columns = pd.MultiIndex.from_tuples(
        [("HV02", "Процессор", "_Total", "% загруженности процессора"),
         ("HV02", "Память", "", "Доступно МБ")], names=LEVELS)
    with pytest.raises(ValueError, match="cannot be written in cp1252.*cp1251"):
        hv.write_perflog(df, io.BytesIO())
    out = io.BytesIO()
    hv.write_perflog(df, out, encoding="cp1251")
    assert "Процессор".encode("cp1251") in out.getvalue()
    back, meta = hv.read_perflog(io.BytesIO(out.getvalue()))
    assert meta["encoding"] == "cp1251"
    assert list(back.columns) == list(df.columns)
    out16 = io.BytesIO()
    hv.write_perflog(df, out16, encoding="utf-16")
    assert out16.getvalue()[:2] == b"\xff\xfe" and out16.getvalue().count(b"\xff\xfe") == 1
    back16, meta16 = hv.read_perflog(io.BytesIO(out16.getvalue()))
    assert meta16["encoding"] == "utf-16-le"
    pd.testing.assert_frame_equal(back16, back)


def test_refuses_what_is_not_a_log():
    df = _frame([[1, 2], [3, 4], [5, 6]])
    with pytest.raises(TypeError, match="DatetimeIndex"):
        hv.write_perflog(df.reset_index(drop=True), io.BytesIO())
    with pytest.raises(ValueError, match="fmt"):
        hv.write_perflog(df, io.BytesIO(), fmt="xlsx")
    bad = df.copy()
    bad[("HV01", "Memory", "", "Note")] = ["a", "b", "c"]
    with pytest.raises(TypeError, match="Note.*numbers only"):
        hv.write_perflog(bad, io.BytesIO())
    with pytest.raises(ValueError, match="not a counter path"):
        hv.write_perflog(df.set_axis(["just a name", r"\\H\O\C"], axis=1), io.BytesIO())
    nat = df.copy()
    nat.index = pd.DatetimeIndex([pd.NaT, *df.index[1:]])
    with pytest.raises(ValueError, match="NaT"):
        hv.write_perflog(nat, io.BytesIO())
    with pytest.raises(ValueError, match="not a known codec"):
        hv.write_perflog(df, io.BytesIO(), encoding="klingon")
    with pytest.raises(TypeError, match="bias_min"):
        hv.write_perflog(df, io.BytesIO(), bias_min=1.5)
    with pytest.raises(ValueError, match="bias_min"):
        hv.write_perflog(df.tz_localize(None), io.BytesIO(), timezone="UTC")


# ------------------------------------------------------------------------------------------
# round trip (hypothesis)
_char = st.characters(blacklist_categories=("Cs", "Cc"))
_name = st.text(_char, min_size=1, max_size=10)
_keys = st.tuples(
    st.one_of(st.just(""), _name.filter(lambda s: "\\" not in s)),
    _name.filter(lambda s: "\\" not in s and "(" not in s),
    st.one_of(st.just(""), _name),
    _name.filter(lambda s: "\\" not in s))
_floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(-10**15, 10**15).map(float),
                    st.floats(0, 1e6).map(lambda x: round(x, 3)))


@st.composite
def frames(draw):
    keys = draw(st.lists(_keys, min_size=1, max_size=4, unique=True))
    rows = draw(st.integers(0, 8))
    start = draw(st.datetimes(min_value=dt.datetime(1990, 1, 1),
                              max_value=dt.datetime(2200, 1, 1)))
    step_ms = draw(st.integers(1, 3_600_000))
    index = pd.DatetimeIndex([pd.Timestamp(start).floor("ms")
                              + pd.Timedelta(milliseconds=i * step_ms) for i in range(rows)],
                             dtype="datetime64[ns]", name="time")
    zone = draw(st.one_of(
        st.none(),
        st.tuples(st.integers(-14 * 4, 14 * 4), st.one_of(st.none(), _name)).map(
            lambda t: dt.timezone(dt.timedelta(minutes=15 * t[0]), t[1]) if t[1] else
            dt.timezone(dt.timedelta(minutes=15 * t[0]))),
        st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])))
    if zone is not None:
        index = index.tz_localize("UTC").tz_convert(zone)
    values = np.array(draw(st.lists(st.lists(_floats, min_size=len(keys),
                                             max_size=len(keys)),
                                    min_size=rows, max_size=rows)),
                      dtype=float).reshape(rows, len(keys))
    cols = pd.MultiIndex.from_tuples(keys, names=LEVELS)
    return pd.DataFrame(values, index=index, columns=cols)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=frames(), fmt=st.sampled_from(["csv", "tsv"]),
       encoding=st.sampled_from(["utf-8", "utf-16", "utf-8-sig"]))
def test_round_trip(df, fmt, encoding):
    out = io.BytesIO()
    hv.write_perflog(df, out, fmt=fmt, encoding=encoding)
    back, meta = hv.read_perflog(io.BytesIO(out.getvalue()))
    assert meta["format"] == ("pdh-tsv" if fmt == "tsv" else "pdh-csv") or \
        (df.index.tz is None and meta["format"] == "typeperf-console")
    # values: bit for bit (NaN where NaN)
    np.testing.assert_array_equal(back.to_numpy(), df.to_numpy())
    assert list(back.columns) == list(df.columns)
    assert meta["paths"] == [hv.CounterPath(*k).path for k in df.columns]
    # times: the same instants, in the same offset, with the zone's name
    assert len(back.index) == len(df.index)
    if df.index.tz is None:
        assert back.index.tz is None
        assert (back.index == df.index).all()
    else:
        assert (back.index.tz_convert("UTC") == df.index.tz_convert("UTC")).all()
        if len(df):
            assert back.index[0].utcoffset() == df.index[0].utcoffset()
            assert meta["bias_min"] == -df.index[0].utcoffset().total_seconds() / 60
    rows, cols = df.shape
    assert meta["numeric_cells"] == int(np.isfinite(df.to_numpy()).sum()
                                        + np.isinf(df.to_numpy()).sum())
    assert meta["missing_cells"] == int(np.isnan(df.to_numpy()).sum())
    assert meta["bad_cells"] == 0


_WESTERN = ["Prozessorzeit (%)", "Arbeitsspeicher", "Verfügbare MB", "Physikalischer Datenträger",
            "Gesendete Bytes/s", "Mitteleuropäische Zeit", "Disco físico", "Interfaz de red",
            "Bytes enviados/s", "señal01", "Año", "Mémoire", "Octets reçus/s", "Disque physique",
            "Processeur", "Temps processeur (%)", "Memória", "Utilização", "Minnesförbrukning",
            "Nätverkskort", "Hårddisk"]


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.sampled_from(_WESTERN), min_size=2, max_size=6, unique=True))
def test_round_trip_cp1252_names(names):
    """German, Spanish, French, Portuguese and Swedish names survive the default code page
    (cp1252) and its detection on reading."""
    keys = [("HV01", names[0], names[i], names[-1]) for i in range(1, len(names))]
    if "(" in names[0]:
        keys = [("HV01", "Objekt", k[2], k[3]) for k in keys]
    df = pd.DataFrame(np.arange(2.0 * len(keys)).reshape(2, -1),
                      index=pd.date_range("2013-01-15 18:00", periods=2, freq="5s", tz="UTC"),
                      columns=pd.MultiIndex.from_tuples(keys, names=LEVELS))
    out = io.BytesIO()
    hv.write_perflog(df, out)
    back, meta = hv.read_perflog(io.BytesIO(out.getvalue()))
    assert meta["encoding"] in ("cp1252", "ascii")
    assert list(back.columns) == keys
    np.testing.assert_array_equal(back.to_numpy(), df.to_numpy())
