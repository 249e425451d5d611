"""The trailing description cell: a Data Collector Set made from a template writes the
template's description as an extra last header cell over an empty column. It goes to
meta["description"], not into the frame; parse_counter_path and the reader agree that it is no
counter path; and every cell is still accounted for."""
from __future__ import annotations

import io

import numpy as np
import pytest

import hvlab as hv

DESCRIPTION = ("Create a basic Data Collector Set. You can add or delete counters and change "
               "the schedule later; see \"Creating a Data Collector Set from a Template\".")
PATHS = [r"\\HV01\Processor(_Total)\% Processor Time",
         r"\\HV01\Network Interface(nic1)\Bytes Sent/sec",
         r"\\HV01\Memory\Available MBytes"]
ROWS = [("01/07/2018 21:13:15.622", [" ", " ", "2048"]),
        ("01/07/2018 21:13:30.622", ["12.5", "118234521.5", "2047"]),
        ("01/07/2018 21:13:45.622", ["3.125", " ", "2046"])]


def quoted(cells, delim=","):
    return delim.join('"' + c.replace('"', '""') + '"' for c in cells)


def log(rows=ROWS, last=" ", description=DESCRIPTION, delim=",", drop_last=False,
        first="(PDH-CSV 4.0) (W. Europe Standard Time)(-60)"):
    """A PDH log with the description as the last header cell; `last` fills its column
    (`drop_last`: the rows leave that field out)."""
    lines = [quoted([first] + PATHS + [description], delim)]
    for stamp, cells in rows:
        lines.append(quoted([stamp] + cells + ([] if drop_last else [last]), delim))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def accounted(df, meta):
    assert df.shape[0] * df.shape[1] == (meta["numeric_cells"] + meta["missing_cells"]
                                         + meta["bad_cells"])
    assert int(df.notna().to_numpy().sum()) == meta["numeric_cells"]


def blanks(rows):
    return sum(c.strip() == "" for _, cells in rows for c in cells)


@pytest.mark.parametrize("delim", [",", "\t"])
def test_description_goes_to_metadata_not_the_frame(delim):
    first = "(PDH-TSV 4.0) (UTC)(0)" if delim == "\t" else "(PDH-CSV 4.0) (UTC)(0)"
    df, meta = hv.read_perflog(io.BytesIO(log(delim=delim, first=first)))
    assert meta["description"] == DESCRIPTION
    assert meta["paths"] == PATHS and meta["file_counters"] == len(PATHS)
    assert df.shape == (len(ROWS), len(PATHS)) and meta["columns"] == len(PATHS)
    assert DESCRIPTION not in {level for key in df.columns for level in key}
    accounted(df, meta)
    # the blanks of the three counters, none of the description's column
    assert meta["missing_cells"] == blanks(ROWS) and meta["absent_cells"] == 0
    assert meta["warnings"] == []


def test_parse_counter_path_and_the_reader_agree():
    with pytest.raises(ValueError, match="not a counter path"):
        hv.parse_counter_path(DESCRIPTION)
    df, meta = hv.read_perflog(io.BytesIO(log()))
    for path in meta["paths"]:
        hv.parse_counter_path(path)
    # a last cell that is a counter path is a counter, even over an empty column
    df, meta = hv.read_perflog(io.BytesIO(log(description=r"\\HV01\Memory\Committed Bytes")))
    assert meta["description"] is None
    assert df.columns[-1] == ("HV01", "Memory", "", "Committed Bytes")
    assert df.iloc[:, -1].isna().all()
    accounted(df, meta)


def test_rows_that_leave_the_empty_field_out():
    """Rows one field shorter than the header: the description's column is absent, which is
    no damage once the description is recognised."""
    df, meta = hv.read_perflog(io.BytesIO(log(drop_last=True)))
    assert meta["description"] == DESCRIPTION and df.shape == (len(ROWS), len(PATHS))
    accounted(df, meta)
    assert meta["missing_cells"] == blanks(ROWS) and meta["absent_cells"] == 0
    assert not any("fewer fields" in w for w in meta["warnings"])


def test_counters_never_match_the_description():
    df, meta = hv.read_perflog(io.BytesIO(log()), counters="*")
    assert df.shape[1] == len(PATHS) and meta["description"] == DESCRIPTION
    df, meta = hv.read_perflog(io.BytesIO(log()), counters="Bytes Sent/sec")
    assert list(df.columns) == [("HV01", "Network Interface", "nic1", "Bytes Sent/sec")]
    assert meta["description"] == DESCRIPTION
    with pytest.raises(hv.PerfLogError, match="matched none of the 3 counters"):
        hv.read_perflog(io.BytesIO(log()), counters="Create a basic*")


def test_a_last_cell_over_values_stays_a_column():
    """Not a counter path, but its column holds numbers: nothing is thrown away."""
    data = log(last="7")
    df, meta = hv.read_perflog(io.BytesIO(data))
    assert meta["description"] is None and df.shape[1] == len(PATHS) + 1
    assert df.iloc[:, -1].tolist() == [7.0, 7.0, 7.0]
    assert any("not a counter path" in w and "holds values" in w for w in meta["warnings"])
    accounted(df, meta)


def test_a_bad_cell_elsewhere_is_still_named_and_counted():
    rows = ROWS[:2] + [(ROWS[2][0], ["3.125", "n/a", "2046"])]
    with pytest.raises(hv.PerfLogError, match=r"line 4, column 3 .*\"n/a\" is not a number"):
        hv.read_perflog(io.BytesIO(log(rows=rows)))
    df, meta = hv.read_perflog(io.BytesIO(log(rows=rows)), errors="coerce")
    assert meta["description"] == DESCRIPTION and meta["bad_cells"] == 1
    accounted(df, meta)
    assert meta["missing_cells"] == blanks(rows)


@pytest.mark.parametrize("parser", ["careful", "extract"])
def test_every_value_parser_leaves_it_out(monkeypatch, parser):
    import hvlab.perflog._values as values_mod
    ref, ref_meta = hv.read_perflog(io.BytesIO(log()))
    monkeypatch.setattr(values_mod, "PARSER", parser)
    df, meta = hv.read_perflog(io.BytesIO(log()))
    assert df.equals(ref) and meta["description"] == DESCRIPTION
    for key in ("numeric_cells", "missing_cells", "absent_cells", "bad_cells"):
        assert meta[key] == ref_meta[key]


def test_the_real_japanese_template_description(real_log):
    """The real export (SOURCES.md): 107 counters and the Basic template's Japanese
    description over a column that is " " in all 440 rows."""
    path = real_log("ja_cp932_basic_dcs.csv")
    lines = path.read_bytes().decode("cp932").split("\r\n")
    header = lines[0][1:-1].split('","')
    rows = [ln[1:-1].split('","') for ln in lines[1:] if ln]
    assert all(r[-1] == " " for r in rows) and len(header) == 109
    df, meta = hv.read_perflog(path)
    assert meta["description"] == header[-1]
    assert meta["description"].startswith("このテンプレートで基本データ コレクター セット")
    with pytest.raises(ValueError):
        hv.parse_counter_path(meta["description"])
    assert df.shape == (len(rows), 107) and meta["file_counters"] == 107
    assert meta["paths"] == header[1:-1]
    accounted(df, meta)
    # the blanks of the counters' cells, counted from the file itself
    assert meta["missing_cells"] == sum(c == " " for r in rows for c in r[1:-1])
    assert meta["numeric_cells"] + meta["missing_cells"] == len(rows) * 107
    assert np.isfinite(df.to_numpy()).sum() == meta["numeric_cells"]


def test_many_files_and_the_header_reader_leave_it_out(tmp_path):
    from hvlab.perflog.read import read_header
    for i in range(2):
        (tmp_path / f"DataCollector0{i + 1}.csv").write_bytes(log())
    df, meta = hv.read_perflogs(str(tmp_path / "*.csv"))
    assert df.shape[1] == len(PATHS)
    assert [m["description"] for m in meta["file_metadata"]] == [DESCRIPTION] * 2
    accounted(df, meta)
    head = read_header(tmp_path / "DataCollector01.csv")
    assert head["paths"] == PATHS and head["description"] == DESCRIPTION


def test_an_empty_last_header_cell_is_a_trailing_delimiter():
    df, meta = hv.read_perflog(io.BytesIO(log(description="")))
    assert meta["description"] is None and df.shape == (len(ROWS), len(PATHS))
    assert any("empty last header cell" in w for w in meta["warnings"])
    accounted(df, meta)
