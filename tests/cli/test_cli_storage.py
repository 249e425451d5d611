"""`hvlab drain` and the inventory: an inventory that is not UTF-8 is a clear error.

(The storage commands' own runs are tested beside their models: tests/test_drain.py,
test_storage_migration.py, test_shared_nothing.py.)"""
from __future__ import annotations

import pytest

from hvlab.cli import main

HEADER = "name,memory_gib,dirty_rate_mib_s,disk_gib,storage\n"


@pytest.mark.parametrize("argv", [["drain"], ["sweep", "drain"], ["sweep", "live"]])
def test_inventory_saved_as_cp1252_names_the_file_and_says_save_as_utf8(argv, tmp_path,
                                                                         capsys):
    path = tmp_path / "hosts.csv"
    path.write_bytes((HEADER + "sql01,4,0,1,shared\nMüller01,2,0,1,local\n").encode("cp1252"))
    with pytest.raises(SystemExit) as info:
        main([*argv, str(path), "--no-progress"] if argv[0] == "sweep" else [*argv, str(path)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"{path} line 3" in err and "UTF-8" in err
    assert "Traceback" not in err and "UnicodeDecodeError" not in err
