"""read_inventory: the example inventory, and clear errors naming file, line and column."""
from pathlib import Path

import pytest

import hvlab as hv
from hvlab.inventory import InventoryError

DATA = Path(__file__).resolve().parents[2] / "data" / "inventory.csv"
HEADER = "name,memory_gib,dirty_rate_mib_s,disk_gib,storage"


def write(tmp_path, text, name="inv.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_example_inventory():
    vms = hv.read_inventory(DATA)
    assert 10 <= len(vms) <= 16
    assert len({v.name for v in vms}) == len(vms)
    assert {v.storage for v in vms} == {"shared", "smb", "local"}
    sql = next(v for v in vms if v.name == "sql01")
    assert sql.memory_gib == 64 and sql.working_set_gib == 24 and sql.disk_iops == 4500
    # the file's rows, read independently of hvlab
    rows = [line for line in DATA.read_text().splitlines()
            if line.strip() and not line.startswith("#")][1:]
    assert [r.split(",")[0] for r in rows] == [v.name for v in vms]


def test_defaults_comments_bom_and_case(tmp_path):
    text = ("\ufeff# a comment\n" + HEADER.upper() + ",working_set_gib,disk_iops\n\n"
            "a,4,10,40,SHARED,,\n# another\nb,2.5,0,0,local,1,300\n")
    vms = hv.read_inventory(write(tmp_path, text))
    assert [v.name for v in vms] == ["a", "b"]
    assert vms[0].working_set_gib is None and vms[0].storage == "shared"
    assert vms[0].disk_iops == 0 and vms[1].disk_iops == 300 and vms[1].memory_gib == 2.5


def test_open_stream(tmp_path):
    path = write(tmp_path, HEADER + "\nx,1,0,0,smb\n")
    with open(path, encoding="utf-8") as fh:
        assert hv.read_inventory(fh)[0].storage == "smb"


@pytest.mark.parametrize("text, line, column, words", [
    ("name,memory_gib,disk_gib,storage\na,1,1,shared\n", 1, None, "dirty_rate_mib_s"),
    (HEADER + ",owner\na,1,0,1,shared,bob\n", 1, "owner", "unknown column"),
    (HEADER + "\na,1,0,1,shared\nb,lots,0,1,shared\n", 3, "memory_gib", "not a number"),
    (HEADER + "\na,1,0,-5,shared\n", 2, "disk_gib", "negative"),
    (HEADER + "\na,1,0,1,shared\nb,1,0,1,local\na,2,0,1,smb\n", 4, "name", "duplicate"),
    (HEADER + "\na,1,0,1,nas\n", 2, "storage", "unknown storage kind"),
    (HEADER + "\na,,0,1,shared\n", 2, "memory_gib", "empty"),
    (HEADER + "\na,0,0,1,shared\n", 2, "memory_gib", "must be > 0"),
    (HEADER + ",working_set_gib\na,1,0,1,shared,2\n", 2, "working_set_gib", "memory_gib"),
    (HEADER + "\na,1,0,1\n", 2, None, "4 cells"),
    (HEADER + "\n", 1, None, "no VMs"),
    (HEADER + ",disk_gib\na,1,0,1,shared,2\n", 1, "disk_gib", "twice"),
])
def test_errors_name_file_line_and_column(tmp_path, text, line, column, words):
    path = write(tmp_path, text)
    with pytest.raises(InventoryError) as info:
        hv.read_inventory(path)
    msg = str(info.value)
    assert str(path) in msg and f"line {line}" in msg and words in msg
    if column:
        assert f"column {column}" in msg
    assert isinstance(info.value, ValueError)


def test_empty_file_and_bad_path(tmp_path):
    with pytest.raises(InventoryError, match="no header"):
        hv.read_inventory(write(tmp_path, "# only a comment\n"))
    with pytest.raises(FileNotFoundError):
        hv.read_inventory(tmp_path / "missing.csv")
    with pytest.raises(TypeError, match="path"):
        hv.read_inventory(42)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_file_not_in_utf8_names_file_line_and_offset(tmp_path, bom):
    text = HEADER + "\nsql01,4,0,1,shared\nM\u00fcller01,2,0,1,local\n"
    path = tmp_path / "excel.csv"
    path.write_bytes(bom + text.encode("cp1252"))
    with pytest.raises(InventoryError) as info:
        hv.read_inventory(path)
    msg = str(info.value)
    offset = len(bom) + text.index("\u00fc")
    assert f"{path} line 3" in msg and f"offset {offset}" in msg and "0xfc" in msg
    assert "save the file as UTF-8" in msg
    # the same bytes through a binary stream, and through a text stream opened as UTF-8
    with open(path, "rb") as fh:
        with pytest.raises(InventoryError, match="line 3.*UTF-8"):
            hv.read_inventory(fh)
    with open(path, encoding="utf-8") as fh:
        with pytest.raises(InventoryError, match="not UTF-8.*save the file as UTF-8"):
            hv.read_inventory(fh)
