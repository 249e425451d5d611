"""`hvlab plan`: the example cluster planned from the command line, report written, bad files
exit 2 naming file, line and column (docs/planning.md)."""
from pathlib import Path

import pandas as pd
import pytest

from hvlab.cli import main

CLUSTER = Path(__file__).resolve().parents[2] / "data" / "cluster"


def test_plan_the_example_cluster(tmp_path, capsys):
    report, steps = tmp_path / "plan.html", tmp_path / "steps.csv"
    code = main(["plan", str(CLUSTER / "hosts.csv"), str(CLUSTER / "vms.csv"),
                 "--blackout-limit", "2", "--report", str(report), "--steps", str(steps),
                 "--no-progress", "--patch-s", "600"])
    assert code == 0
    out = capsys.readouterr().out
    assert "baseline_total_s" in out and "flagged VMs" in out
    moves = pd.read_csv(steps)
    vms = pd.read_csv(CLUSTER / "vms.csv", comment="#")
    assert len(moves) == 2 * len(vms)
    # VMs without their own limit took --blackout-limit
    limits = moves.groupby("vm").blackout_limit_s.first()
    own = vms.set_index("name").blackout_limit_s
    assert (limits[own.isna()[own.isna()].index] == 2).all()
    assert "data:image/png;base64," in report.read_text(encoding="utf-8")


def test_bad_vm_file_exits_2_naming_line_and_column(tmp_path, capsys):
    bad = tmp_path / "vms.csv"
    bad.write_text("name,host,memory_gib,dirty_rate_mib_s,disk_gib,storage\n"
                   "a,nowhere,4,1,0,shared\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["plan", str(CLUSTER / "hosts.csv"), str(bad)])
    assert exc.value.code == 2
    assert "vms.csv line 2, column host: unknown host 'nowhere'" in capsys.readouterr().err
