r"""Counter paths (\\HOST\Object(Parent/Instance#Index)\Counter), wildcard selection and the
counter catalogue."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hvlab as hv
from hvlab.perflog.counter_catalogue import label as catalogue_label
from hvlab.perflog.paths import CounterPath, lenient_counter_path, path_matcher, wildcard


@pytest.mark.parametrize("text, host, obj, instance, counter", [
    (r"\\HV01\Hyper-V VM Live Migration(sql01:VM Live Migration)\Transfer Pass: Number",
     "HV01", "Hyper-V VM Live Migration", "sql01:VM Live Migration", "Transfer Pass: Number"),
    (r"\\HV01\Memory\Available MBytes", "HV01", "Memory", "", "Available MBytes"),
    (r"\Memory\Available MBytes", "", "Memory", "", "Available MBytes"),
    (r"Memory\Available MBytes", "", "Memory", "", "Available MBytes"),
    (r"\\HV01\Process(svchost#3)\% Processor Time", "HV01", "Process", "svchost#3",
     "% Processor Time"),
    (r"\\HV01\Process(foo (x86))\% Processor Time", "HV01", "Process", "foo (x86)",
     "% Processor Time"),
    (r"\\HV01\Hyper-V Virtual Storage Device(C:-ClusterStorage-Volume1-sql01.vhdx)"
     r"\Read Bytes/sec", "HV01", "Hyper-V Virtual Storage Device",
     "C:-ClusterStorage-Volume1-sql01.vhdx", "Read Bytes/sec"),
    (r"\\HV01\SMB Client Shares(\\fs01\VMs)\Data Bytes/sec", "HV01", "SMB Client Shares",
     r"\\fs01\VMs", "Data Bytes/sec"),
    (r"\\HV04\Prozessor(_Total)\Prozessorzeit (%)", "HV04", "Prozessor", "_Total",
     "Prozessorzeit (%)"),
    (r"\\HV02\Процессор(_Total)\% загруженности процессора", "HV02", "Процессор", "_Total",
     "% загруженности процессора"),
    (r"\\HV03\Disco físico(0 C:)\Bytes de lectura de disco/s", "HV03", "Disco físico",
     "0 C:", "Bytes de lectura de disco/s"),
    (r"\\hv01\network interface(intel[r] 82574l gigabit network connection)\bytes sent/sec",
     "hv01", "network interface", "intel[r] 82574l gigabit network connection",
     "bytes sent/sec"),
])
def test_parse_counter_path(text, host, obj, instance, counter):
    p = hv.parse_counter_path(text)
    assert (p.host, p.object, p.instance, p.counter) == (host, obj, instance, counter)
    assert p.key == (host, obj, instance, counter)
    if text.startswith("\\"):
        assert p.path == text  # written back exactly


@pytest.mark.parametrize("instance, parent, name, index", [
    ("vmms/12#1", "vmms", "12", 1),
    ("svchost#3", "", "svchost", 3),
    ("sql01:VM Live Migration", "", "sql01:VM Live Migration", None),
    ("#1 NIC team", "", "#1 NIC team", None),
    ("a/b/c", "a", "b/c", None),
    ("C:-VMs-web.01-disk.vhdx", "", "C:-VMs-web.01-disk.vhdx", None),
])
def test_instance_parts(instance, parent, name, index):
    p = CounterPath(host="H", object="O", instance=instance, counter="C")
    assert (p.parent, p.instance_name, p.index) == (parent, name, index)
    assert p.instance == instance


def test_an_index_of_thousands_of_digits_is_part_of_the_name():
    """A damaged log (found by a fuzz run) can put thousands of digits after "#": more than
    int() converts. They stay in the name, with no index and no ValueError."""
    instance = "x#" + "9" * 5000
    p = CounterPath(host="H", object="O", instance=instance, counter="C")
    assert (p.instance_name, p.index) == (instance, None)


@pytest.mark.parametrize("text, words", [
    (r"\\HV01", "no \\Object\\Counter"),
    (r"\\\Memory\Available MBytes", "host name"),
    (r"\\HV01\Memory\\", "counter name"),
    ("Available MBytes", "no \\Counter"),
    (r"\\HV01\Process(svchost\% Processor Time", "not closed"),
    (r"\\HV01\(x)\C", "object name is empty"),
])
def test_not_a_counter_path(text, words):
    with pytest.raises(ValueError, match="not a counter path") as err:
        hv.parse_counter_path(text)
    assert words in str(err.value)
    cp, problem = lenient_counter_path(text)
    assert cp.counter == text and problem  # kept whole, problem said


def test_parse_counter_path_type():
    with pytest.raises(TypeError, match="needs a str"):
        hv.parse_counter_path(42)
    with pytest.raises(TypeError, match="CounterPath.host"):
        CounterPath(host=1, object="O", counter="C")


_name = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(host=st.one_of(st.just(""), _name.filter(lambda s: "\\" not in s)),
       obj=_name.filter(lambda s: "\\" not in s and "(" not in s),
       instance=st.one_of(st.just(""), _name),
       counter=_name.filter(lambda s: "\\" not in s))
def test_path_round_trip(host, obj, instance, counter):
    p = CounterPath(host=host, object=obj, instance=instance, counter=counter)
    assert hv.parse_counter_path(p.path) == p


def test_wildcards_are_pdh_style():
    assert wildcard("Transfer Pass*").fullmatch("transfer pass: number")
    assert wildcard("vm?01").fullmatch("VMa01")
    assert wildcard("Intel[R]*").fullmatch("Intel[R] 82574L")  # brackets are literal
    assert not wildcard("Intel[R]*").fullmatch("IntelR 82574L")
    assert not wildcard("Bytes*").fullmatch("Disk Bytes/sec")


def test_path_matcher_targets():
    cp = hv.parse_counter_path(r"\\HV01\Network Interface(nic1)\Bytes Sent/sec")
    raw = cp.path
    assert path_matcher("bytes sent/sec")(cp, raw)
    assert path_matcher(r"\Network Interface(*)\*")(cp, raw)
    assert not path_matcher(r"\Network Interface\*")(cp, raw)
    assert path_matcher(r"\\HV0?\*")(cp, raw)
    assert not path_matcher(r"\\HV02\*")(cp, raw)
    assert path_matcher(["nope", "Bytes*"])(cp, raw)
    assert path_matcher(lambda p: p.instance == "nic1")(cp, raw)
    with pytest.raises(ValueError, match="empty list"):
        path_matcher([])
    with pytest.raises(TypeError, match="counters must be"):
        path_matcher(3)


def _frame():
    keys = [("HV01", "Hyper-V VM Live Migration", "sql01:VM Live Migration",
             "Transfer Pass: Number"),
            ("HV01", "Hyper-V VM Live Migration", "sql01:VM Live Migration",
             "TCP Transport: Bytes Sent/sec"),
            ("HV01", "Network Interface", "nic1", "Bytes Sent/sec"),
            ("HV02", "Network Interface", "nic1", "Bytes Sent/sec"),
            ("HV02", "Memory", "", "Available MBytes")]
    cols = pd.MultiIndex.from_tuples(keys, names=["host", "object", "instance", "counter"])
    return pd.DataFrame(np.arange(10.0).reshape(2, 5), columns=cols,
                        index=pd.DatetimeIndex(["2026-01-01 00:00", "2026-01-01 00:00:01"],
                                               name="time"))


def test_select_by_levels_with_wildcards():
    df = _frame()
    lm = hv.perflog.select(df, object="Hyper-V VM Live Migration", counter="Transfer Pass*")
    assert lm.columns.get_level_values("counter").tolist() == ["Transfer Pass: Number"]
    nics = hv.perflog.select(df, object="network interface", counter="Bytes Sent/sec")
    assert nics.columns.get_level_values("host").tolist() == ["HV01", "HV02"]
    assert hv.perflog.select(df, host="HV02").shape == (2, 2)
    assert hv.perflog.select(df, instance="").shape == (2, 1)
    assert hv.perflog.select(df, counter=["Available*", "Transfer*"]).shape == (2, 2)
    np.testing.assert_array_equal(nics.to_numpy(), df.iloc[:, [2, 3]].to_numpy())


def test_select_flat_path_columns_and_misses():
    df = _frame()
    flat = df.set_axis([CounterPath(*k).path for k in df.columns], axis=1)
    assert hv.perflog.select(flat, host="HV01", counter="Bytes Sent/sec").shape == (2, 1)
    with pytest.raises(KeyError, match="no column matches.*Hyper-V VM Live Migration"):
        hv.perflog.select(df, object="PhysicalDisk")
    assert hv.perflog.select(df, object="PhysicalDisk", missing_ok=True).shape == (2, 0)


def test_catalogue_covers_the_domain_counters():
    table = hv.perflog.counter_table()
    lm = table[table.object == "Hyper-V VM Live Migration"]
    assert {"Transfer Pass: Number", "Transfer pass: Dirty Page Count",
            "Transfer Pass: Is blackout", "TCP Transport: Bytes Sent/sec",
            "Compressor: Compressed Bytes Sent/sec", "SMB Transport: Bytes Sent/sec",
            "Receiver: Decompressed Bytes/sec"} <= set(lm.counter)
    assert "TCP Transport: Total Bytes Sent" not in set(table.counter)  # does not exist
    for obj in ("Hyper-V Virtual Storage Device", "PhysicalDisk", "LogicalDisk",
                "SMB Client Shares", "SMB Server Shares", "Network Interface",
                "Hyper-V Dynamic Memory VM", "Hyper-V Hypervisor Logical Processor"):
        assert obj in set(table.object), obj
    assert table.meaning.str.len().min() > 10 and (table.unit != "").all()
    assert not table.duplicated(["object", "counter"]).any()


def test_describe_and_label():
    info = hv.perflog.describe("Transfer pass: dirty page count")  # any case
    assert info.unit == "pages" and info.object == "Hyper-V VM Live Migration"
    assert hv.perflog.describe(r"\\HV01\PhysicalDisk(0 C:)\Avg. Disk sec/Read").unit == "s"
    with pytest.raises(KeyError, match="several objects"):
        hv.perflog.describe("Bytes Sent/sec")
    assert hv.perflog.describe("Bytes Sent/sec", object="Network Interface").unit == "bytes/s"
    with pytest.raises(KeyError, match="not in the counter catalogue"):
        hv.perflog.describe("Gesendete Bytes/s")
    df = _frame()
    labels = [hv.perflog.label(c) for c in df.columns]
    assert labels[0] == "Transfer Pass: Number (sql01:VM Live Migration) [pass]"
    assert labels[2] == "Bytes Sent/sec (nic1) [bytes/s]"
    assert labels[4] == "Available MBytes [MB]"
    assert hv.perflog.label(df.columns[3], host=True) == "HV02: Bytes Sent/sec (nic1) [bytes/s]"
    assert hv.perflog.label(("H", "Memory", "", "Available MBytes [2]")) == \
        "Available MBytes [2] [MB]"
    assert hv.perflog.label("Gesendete Bytes/s") == "Gesendete Bytes/s"  # localised: no unit
    assert catalogue_label(r"\\HV01\Memory\Available MBytes") == "Available MBytes [MB]"
    assert hv.perflog.catalogue().equals(hv.perflog.counter_table())
