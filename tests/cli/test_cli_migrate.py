"""`hvlab live` and `hvlab quick` from the shell."""
import subprocess
import sys

import pytest

import hvlab as hv
from hvlab.cli import main


def test_live_prints_the_summary(capsys):
    assert main(["live", "--memory-gib", "8", "--dirty-rate-mib-s", "40", "--link-gbps", "1"]) == 0
    out = capsys.readouterr().out
    expected = hv.live_migration(hv.VM(memory_gib=8, dirty_rate_mib_s=40), hv.Link(gbps=1))
    assert "total_s" in out and "downtime_s" in out and "converged" in out
    assert f"{expected.total_s:,.3f}" in out


def test_live_with_preset_transport_and_plot(tmp_path, capsys):
    png = tmp_path / "live.png"
    assert main(["live", "--memory-gib", "8", "--dirty-rate-mib-s", "40", "--preset", "WS2012R2",
                 "--transport", "smb", "--nics", "2", "--link-gbps", "10", "--plot",
                 str(png)]) == 0
    out = capsys.readouterr().out
    assert "smb" in out
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_closed_form_agrees_on_the_command_line(capsys):
    args = ["live", "--memory-gib", "16", "--dirty-rate-mib-s", "30"]
    main(args)
    sim_out = capsys.readouterr().out
    main(args + ["--closed-form"])
    cf_out = capsys.readouterr().out
    line = lambda out: next(l for l in out.splitlines() if l.startswith("total_s"))  # noqa
    assert float(line(sim_out).split()[1].replace(",", "")) == pytest.approx(
        float(line(cf_out).split()[1].replace(",", "")), rel=1e-3)


def test_quick_prints_downtime(capsys):
    assert main(["quick", "--memory-gib", "4", "--write-mib-s", "200", "--read-mib-s", "400"]) == 0
    out = capsys.readouterr().out
    assert "downtime_s" in out and "quick" in out


@pytest.mark.parametrize("argv, fragment", [
    (["live", "--memory-gib", "-4"], "memory_gib must be > 0"),
    (["live", "--transport", "rdma"], "invalid choice"),
    (["live", "--preset", "WS2016"], "invalid choice"),
    (["live", "--link-gbps", "fast"], "invalid float value"),
    (["quick", "--write-mib-s", "0"], "write_mib_s must be > 0"),
    (["teleport"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_a_message(argv, fragment, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert fragment in capsys.readouterr().err


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "hvlab.cli", "live", "--memory-gib", "2"],
                         capture_output=True, text=True, check=True).stdout
    assert "total_s" in out
