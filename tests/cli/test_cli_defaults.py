"""Option defaults come from the parameter objects (`hvlab.params`), so the single commands and
`hvlab sweep` start from the same scenario."""
from __future__ import annotations

import math

import pandas as pd
import pytest

import hvlab as hv
from hvlab.cli import build_parser, main
from hvlab.cli.options import STORAGE_MOVE_DISK_GIB

# option dest -> (parameter class, field) it sets
FIELDS = {
    "name": (hv.VM, "name"), "memory_gib": (hv.VM, "memory_gib"),
    "dirty_rate_mib_s": (hv.VM, "dirty_rate_mib_s"),
    "working_set_gib": (hv.VM, "working_set_gib"), "state_mib": (hv.VM, "state_mib"),
    "checkpoint_gib": (hv.VM, "checkpoint_gib"), "smart_paging_gib": (hv.VM, "smart_paging_gib"),
    "disk_read_mib_s": (hv.VM, "disk_read_mib_s"), "disk_write_mib_s": (hv.VM, "disk_write_mib_s"),
    "disk_iops": (hv.VM, "disk_iops"),
    "link_gbps": (hv.Link, "gbps"), "nics": (hv.Link, "nics"), "rdma": (hv.Link, "rdma"),
    "write_mib_s": (hv.Storage, "write_mib_s"), "read_mib_s": (hv.Storage, "read_mib_s"),
}
for _role in ("source", "target"):
    FIELDS.update({f"{_role}_{opt}": (hv.Storage, field) for opt, field in (
        ("read_mib_s", "read_mib_s"), ("write_mib_s", "write_mib_s"), ("iops", "iops"),
        ("latency_ms", "base_latency_ms"), ("load_frac", "load_frac"),
        ("capacity_gib", "capacity_gib"))})

COMMANDS = {"live": [], "quick": [], "storage": [], "shared-nothing": [],
            "drain": ["inventory.csv"]}
HEADER = "name,memory_gib,dirty_rate_mib_s,disk_gib,storage\n"


def printed(out: str, key: str) -> str:
    """The value `print_summary` printed for `key`."""
    return next(line.split()[1] for line in out.splitlines() if line.startswith(key + " "))


def print_help(argv) -> None:
    """Run `hvlab ... --help` (which exits)."""
    with pytest.raises(SystemExit):
        main([*argv, "--help"])


@pytest.mark.parametrize("command", COMMANDS)
def test_option_defaults_are_the_parameter_defaults(command):
    args = build_parser().parse_args([command, *COMMANDS[command]])
    checked = 0
    for dest, (cls, field) in FIELDS.items():
        if not hasattr(args, dest):
            continue
        expected = getattr(cls(), field)
        if command == "storage" and dest == "link_gbps":
            expected = None  # a storage move on one host: no link unless one is given
        assert getattr(args, dest) == expected, f"hvlab {command} {dest}"
        checked += 1
    assert checked >= 5
    # the settings the models use when given none
    assert hv.PRESETS[args.preset] is hv.WS2012
    if hasattr(args, "disk_gib"):
        assert args.disk_gib == STORAGE_MOVE_DISK_GIB > 0


def test_drain_and_sweep_drain_use_the_link_default(tmp_path, capsys):
    inventory = tmp_path / "inv.csv"
    inventory.write_text(HEADER + "a,8,60,0,shared\nb,4,10,20,local\nc,2,0,0,smb\n",
                         encoding="utf-8")
    default = hv.Link().gbps
    assert build_parser().parse_args(["drain", str(inventory)]).link_gbps == default
    for argv, text in ((["drain"], f"line rate of one NIC [Gbit/s] (default: {default})"),
                       (["sweep", "drain"], f"link.gbps=VALUES (default: {default}")):
        print_help(argv)
        assert text in " ".join(capsys.readouterr().out.split()), argv

    vms = hv.read_inventory(inventory)
    assert main(["drain", str(inventory)]) == 0
    direct = hv.drain_host(vms, hv.Link(), seed=0)
    assert printed(capsys.readouterr().out, "total_s") == f"{direct.total_s:,.3f}"

    out = tmp_path / "sweep.csv"
    assert main(["sweep", "drain", str(inventory), "--out", str(out), "--no-progress",
                 "-q"]) == 0
    row = pd.read_csv(out).iloc[0]
    direct = hv.drain_host(vms, hv.Link(), seed=int(row["seed"]))
    assert math.isclose(row["total_s"], direct.total_s, rel_tol=1e-12)


@pytest.mark.parametrize("command", ["storage", "shared-nothing"])
def test_storage_commands_and_their_sweeps_move_the_same_disk(command, tmp_path, capsys):
    assert main([command]) == 0
    single = capsys.readouterr().out
    out = tmp_path / "sweep.csv"
    assert main(["sweep", command, "--out", str(out), "--no-progress", "-q"]) == 0
    row = pd.read_csv(out).iloc[0]
    assert f"{row['total_s']:,.3f}" == printed(single, "total_s")
    assert row["storage_bytes"] >= STORAGE_MOVE_DISK_GIB * 2**30
