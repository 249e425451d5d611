"""`hvlab sweep` from the shell: VALUES parsing, the written frame, errors and exit codes."""
from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hvlab as hv
from hvlab.cli import main
from hvlab.cli.sweep import parse_grid_item, parse_values

INVENTORY = Path(__file__).resolve().parents[2] / "data" / "inventory.csv"


def test_parse_values():
    assert parse_values("0:400:20") == list(range(0, 401, 20))
    assert parse_values("1,10") == [1, 10]
    assert parse_values("0.5:1.5:0.5") == [0.5, 1.0, 1.5]
    assert parse_values("tcpip,smb") == ["tcpip", "smb"]
    assert parse_values("true") == [True]
    assert parse_grid_item("vm.memory_gib=4,8") == ("vm.memory_gib", [4, 8])
    for bad in ("0:400", "0:400:0", "5:1:1", "a:b:c", "", "1,,2"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_values(bad)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_grid_item("vm.memory_gib")


def test_hvlab_sweep_live_writes_the_frame(tmp_path, capsys):
    out = tmp_path / "sweep.csv"
    code = main(["sweep", "live", "--grid", "vm.dirty_rate_mib_s=0:100:50", "--link-gbps",
                 "1,10", "--out", str(out), "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "6 scenarios written" in printed and "total_s" in printed
    df = pd.read_csv(out, index_col="scenario")
    expected = hv.sweep("live", {"vm.dirty_rate_mib_s": [0, 50, 100], "link.gbps": [1, 10]},
                        base={"settings": hv.WS2012}, progress=False)
    assert df["vm.dirty_rate_mib_s"].tolist() == [0, 0, 50, 50, 100, 100]
    np.testing.assert_allclose(df["total_s"], expected["total_s"], rtol=1e-12)
    assert df["seed"].tolist() == expected["seed"].tolist()


def test_cli_bad_field_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sweep", "live", "--grid", "vm.bogus=1,2", "--no-progress"])
    assert exc.value.code == 2
    assert "vm.dirty_rate_mib_s" in capsys.readouterr().err


def test_hvlab_sweep_drain_over_the_example_inventory(tmp_path, capsys):
    """hvlab sweep drain inventory.csv --max-live 1,2,4,8: one drain per concurrency, each row
    what a direct hv.drain_host call with that setting gives."""
    inventory = INVENTORY
    out = tmp_path / "drain.csv"
    code = main(["sweep", "drain", str(inventory), "--max-live", "1,2,4,8", "--link-gbps", "10",
                 "--out", str(out), "--no-progress", "-q"])
    assert code == 0
    df = pd.read_csv(out, index_col="scenario")
    vms = hv.read_inventory(inventory)
    assert df["settings.max_live_migrations"].tolist() == [1, 2, 4, 8]
    assert (df["vms"] == len(vms)).all() and df["error"].isna().all()
    assert df["peak_active_migrations"].le(df["settings.max_live_migrations"]).all()
    for _, row in df.iterrows():
        settings = dataclasses.replace(hv.WS2012,
                                       max_live_migrations=int(row["settings.max_live_migrations"]))
        direct = hv.drain_host(vms, hv.Link(gbps=10), settings, seed=int(row["seed"])).summary()
        assert math.isclose(row["total_s"], direct["total_s"], rel_tol=1e-12)
        assert row["network_bytes"] == direct["network_bytes"]
    assert "4 scenarios written" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["sweep", "drain", "--max-live", "1,2", "--no-progress"])
    assert "needs an inventory" in capsys.readouterr().err


def test_hvlab_sweep_where_every_scenario_fails_exits_1(tmp_path, capsys):
    out = tmp_path / "failed.csv"
    code = main(["sweep", "live", "--memory-gib=-1,-2", "--no-progress", "--out", str(out)])
    assert code == 1
    err = capsys.readouterr().err
    assert "all 2 scenarios failed" in err
    assert "scenario 0: ValueError: VM.memory_gib must be > 0 GiB, got -1" in err
    # the frame is still written, for the error column
    assert pd.read_csv(out)["error"].notna().all()


def test_hvlab_sweep_with_some_failures_exits_0(capsys):
    assert main(["sweep", "live", "--memory-gib=-1,2", "--no-progress", "-q"]) == 0
    assert "1 of 2 scenarios failed" in capsys.readouterr().err
