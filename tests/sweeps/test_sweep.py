"""hv.sweep: scenarios, seeds, back ends (serial, processes, Dask), errors, progress.
(`hvlab sweep` on the command line: tests/cli/.)"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

import hvlab as hv
from hvlab.sweeps import scenario_seeds

# the "unique" dirtying model draws random numbers, so a wrong seed shows in the results
UNIQUE = dataclasses.replace(hv.WS2012, dirty_model="unique")
BASE = {"vm": hv.VM(memory_gib=2, working_set_gib=1), "settings": UNIQUE}
GRID = {"vm.dirty_rate_mib_s": [30, 90], "link.gbps": [1, 10]}
RESULT_COLUMNS = ["total_s", "downtime_s", "network_bytes", "passes", "converged"]


def probe(vm, share, settings=None, *, order="given", open_files=0, seed=0):
    """A stand-in model that reports the inputs it received."""
    settings = hv.WS2012 if settings is None else settings
    return {"memory_gib": vm.memory_gib, "share_name": share.name,
            "share_link_gbps": share.link.gbps, "share_read_mib_s": share.storage.read_mib_s,
            "share_write_mib_s": share.storage.write_mib_s,
            "max_passes": settings.max_passes, "order": order, "open_files": open_files,
            "got_seed": seed}


def fails_on_three(vm, *, seed=0):
    """A model that raises for one input value."""
    if vm.memory_gib == 3:
        raise RuntimeError("three is not allowed")
    return {"memory_gib": vm.memory_gib}


def needs_vms(vms, link, *, seed=0):
    return {"n": len(vms)}


@pytest.fixture(scope="module")
def serial():
    return hv.sweep(hv.live_migration, GRID, base=BASE, seed=11, progress=False)


# --------------------------------------------------------------------------------------------
# scenarios and seeds
def test_cartesian_product_first_key_slowest(serial):
    pairs = list(serial[["vm.dirty_rate_mib_s", "link.gbps"]].itertuples(index=False, name=None))
    assert pairs == [(30, 1), (30, 10), (90, 1), (90, 10)]
    assert serial.index.name == "scenario"
    assert list(serial.index) == [0, 1, 2, 3]
    assert serial["error"].isna().all()


def test_seeds_come_from_seedsequence_spawn(serial):
    expected = [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(11).spawn(4)]
    assert serial["seed"].tolist() == expected
    assert scenario_seeds(11, 4) == expected
    assert len(set(expected)) == 4


def test_each_row_equals_a_direct_call(serial):
    for _, row in serial.iterrows():
        vm = dataclasses.replace(BASE["vm"], dirty_rate_mib_s=row["vm.dirty_rate_mib_s"])
        link = hv.Link(gbps=row["link.gbps"])
        direct = hv.live_migration(vm, link, UNIQUE, seed=int(row["seed"])).summary()
        for col in RESULT_COLUMNS:
            assert row[col] == direct[col], col


def test_root_seed_changes_random_results(serial):
    other = hv.sweep(hv.live_migration, GRID, base=BASE, seed=12, progress=False)
    assert other["seed"].tolist() != serial["seed"].tolist()
    dirty = serial["passes"] > 1  # rows where the random dirtying matters
    assert dirty.any()
    assert not np.array_equal(other.loc[dirty, "network_bytes"], serial.loc[dirty, "network_bytes"])


def test_linear_model_rows_match_the_closed_form():
    vm = hv.VM(memory_gib=8, working_set_gib=2)
    df = hv.sweep("live", {"vm.dirty_rate_mib_s": [0, 50, 100, 200], "link.gbps": [1, 10],
                           "settings.max_passes": [3, 10]},
                  base={"vm": vm}, progress=False)
    assert len(df) == 16
    for _, row in df.iterrows():
        settings = dataclasses.replace(hv.WS2012, max_passes=int(row["settings.max_passes"]))
        cf = hv.analytic.precopy(
            dataclasses.replace(vm, dirty_rate_mib_s=row["vm.dirty_rate_mib_s"]),
            hv.Link(gbps=row["link.gbps"]), settings)
        assert math.isclose(row["total_s"], cf.total_s, rel_tol=1e-3)
        assert math.isclose(row["downtime_s"], cf.downtime_s, rel_tol=1e-3)
        assert row["passes"] == cf.n_passes
        assert row["converged"] == cf.converged


# --------------------------------------------------------------------------------------------
# back ends
def test_process_pool_gives_the_identical_frame(serial):
    pooled = hv.sweep(hv.live_migration, GRID, base=BASE, seed=11, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(pooled, serial)


def test_dask_local_cluster_gives_the_identical_frame(serial):
    import distributed  # in the dev extra: CI must have it

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = hv.sweep(hv.live_migration, GRID, base=BASE, seed=11, client=client,
                           progress=False)
        with pytest.raises(ValueError, match="not both"):
            hv.sweep("live", GRID, n_jobs=2, client=client, progress=False)
    pd.testing.assert_frame_equal(on_dask, serial)


def test_process_pool_keeps_failing_rows():
    df = hv.sweep(fails_on_three, {"vm.memory_gib": [2, 3, 4, 5]}, n_jobs=2, progress=False)
    assert df["error"].notna().tolist() == [False, True, False, False]
    assert df.loc[1, "error"] == "RuntimeError: three is not allowed"


# --------------------------------------------------------------------------------------------
# addressing fields
def test_nested_fields_and_plain_keywords_reach_the_model():
    share = hv.SmbShare(name="fs07", storage=hv.Storage(read_mib_s=700, write_mib_s=321))
    df = hv.sweep(probe, {"share.link.gbps": [1, 40], "share.storage.read_mib_s": [150],
                          "settings.max_passes": [3], "order": ["given", "largest_first"],
                          "open_files": [12]},
                  base={"share": share, "vm": hv.VM(memory_gib=6)}, seed=3, progress=False)
    assert len(df) == 4
    assert df["share_link_gbps"].tolist() == [1, 1, 40, 40]
    assert (df["share_read_mib_s"] == 150).all()
    assert (df["share_write_mib_s"] == 321).all()  # untouched base fields survive
    assert (df["share_name"] == "fs07").all()
    assert (df["memory_gib"] == 6).all()
    assert (df["max_passes"] == 3).all()
    assert df["result.order"].tolist() == ["given", "largest_first"] * 2
    assert (df["result.open_files"] == 12).all()
    assert df["got_seed"].tolist() == df["seed"].tolist()


def test_defaults_fill_missing_arguments():
    df = hv.sweep(probe, {"order": ["given"]}, progress=False)
    assert df.loc[0, "memory_gib"] == hv.VM().memory_gib
    assert df.loc[0, "share_name"] == hv.SmbShare().name
    assert df.loc[0, "max_passes"] == hv.WS2012.max_passes


def optional_link(vm, link=None, *, seed=0):
    return {"has_link": link is not None, "gbps": link.gbps if link is not None else 0.0}


def test_none_defaults_stay_none_unless_the_grid_sets_them():
    untouched = hv.sweep(optional_link, {"vm.memory_gib": [1, 2]}, progress=False)
    assert untouched["has_link"].tolist() == [False, False]
    addressed = hv.sweep(optional_link, {"link.gbps": [5, 40]}, progress=False)
    assert addressed["has_link"].tolist() == [True, True]
    assert addressed["gbps"].tolist() == [5, 40]
    assert "link.nics" in hv.sweep_fields(optional_link)


def test_settings_by_preset_name():
    df = hv.sweep("live", {"settings": ["WS2008R2", "WS2012R2"]},
                  base={"vm": hv.VM(memory_gib=1)}, progress=False)
    assert df["settings"].tolist() == ["WS2008R2", "WS2012R2"]
    assert df["transport"].tolist() == [hv.WS2008R2.transport, hv.WS2012R2.transport]


def test_inventory_frame_columns_map_to_vm_fields():
    inventory = pd.DataFrame({"name": ["web01", "sql01"], "memory_gib": [2.0, 4.0],
                              "dirty_rate_mib_s": [5.0, 60.0]})
    df = hv.sweep("live", inventory, base={"link": hv.Link(gbps=10)}, progress=False)
    assert list(df.columns[:3]) == ["vm.name", "vm.memory_gib", "vm.dirty_rate_mib_s"]
    assert df["vm"].tolist() == ["web01", "sql01"]
    direct = hv.live_migration(hv.VM(name="sql01", memory_gib=4.0, dirty_rate_mib_s=60.0),
                               hv.Link(gbps=10), seed=int(df.loc[1, "seed"]))
    assert df.loc[1, "total_s"] == direct.total_s
    assert df.loc[1, "network_bytes"] == direct.network_bytes


def test_whole_objects_in_the_grid_are_labelled_by_name():
    vms = [hv.VM(name="a", memory_gib=1), hv.VM(name="b", memory_gib=2)]
    df = hv.sweep("live", {"vm": vms, "link.gbps": [10]}, progress=False)
    assert df["vm"].tolist() == ["a", "b"]
    assert df["result.vm"].tolist() == ["a", "b"]


def test_bad_field_name_lists_the_valid_ones():
    with pytest.raises(ValueError) as err:
        hv.sweep("live", {"vm.dirty_rate": [1]}, progress=False)
    msg = str(err.value)
    assert "'vm.dirty_rate'" in msg
    for valid in ("vm.dirty_rate_mib_s", "link.gbps", "settings.max_passes", "vm.memory_gib"):
        assert valid in msg
    assert hv.sweep_fields("live")[:2] == ["vm", "vm.name"]
    assert "share.storage.read_mib_s" in hv.sweep_fields(probe)


def test_bare_vm_field_in_a_dict_grid_suggests_the_path():
    with pytest.raises(ValueError, match=r"did you mean 'vm.memory_gib'"):
        hv.sweep("live", {"memory_gib": [1]}, progress=False)


def test_unknown_model_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"'live'.*'quick'|live.*quick"):
        hv.sweep("teleport", {}, progress=False)
    with pytest.raises(TypeError, match="model"):
        hv.sweep(42, {}, progress=False)


def test_bad_grid_and_arguments():
    with pytest.raises(ValueError, match="empty"):
        hv.sweep("live", {"link.gbps": []}, progress=False)
    with pytest.raises(TypeError, match="grid"):
        hv.sweep("live", [("link.gbps", 1)], progress=False)
    with pytest.raises(ValueError, match="n_jobs"):
        hv.sweep("live", {"link.gbps": [1]}, n_jobs=0, progress=False)
    with pytest.raises(TypeError, match="seed"):
        hv.sweep("live", {"link.gbps": [1]}, seed=-1, progress=False)
    with pytest.raises(ValueError, match="does not take"):
        hv.sweep("live", {"link.gbps": [1]}, base={"share": hv.SmbShare()}, progress=False)
    with pytest.raises(ValueError, match="needs vms"):
        hv.sweep(needs_vms, {"link.gbps": [1]}, progress=False)


# --------------------------------------------------------------------------------------------
# failures and progress
def test_failing_scenario_is_reported_in_its_row():
    df = hv.sweep("live", {"vm.memory_gib": [2, -1, 3]}, base={"link": hv.Link(gbps=10)},
                  progress=False)
    assert df["error"].isna().tolist() == [True, False, True]
    assert "memory_gib" in df.loc[1, "error"] and "-1" in df.loc[1, "error"]
    assert df.loc[1, "error"].startswith("ValueError")
    assert math.isnan(df.loc[1, "total_s"])
    assert df.loc[[0, 2], "total_s"].gt(0).all()
    custom = hv.sweep(fails_on_three, {"vm.memory_gib": [3, 4]}, progress=False)
    assert custom.loc[0, "error"] == "RuntimeError: three is not allowed"
    assert custom.loc[1, "memory_gib"] == 4


def test_progress_off_prints_nothing(capfd):
    hv.sweep("live", {"link.gbps": [1, 10]}, progress=False)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_on_shows_a_bar(capfd):
    hv.sweep("live", {"link.gbps": [1, 10]}, progress=True)
    _, err = capfd.readouterr()
    assert "2/2" in err


def test_memoised_model_works_in_a_sweep():
    from hvlab.memo import cached

    fast = cached(hv.live_migration)
    a = hv.sweep(fast, {"link.gbps": [1, 10]}, progress=False)
    b = hv.sweep(fast, {"link.gbps": [1, 10]}, progress=False)
    pd.testing.assert_frame_equal(a, b)
    assert fast.cache_info().hits == 2
    pooled = hv.sweep(fast, {"link.gbps": [1, 10]}, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(pooled, a)


# --------------------------------------------------------------------------------------------
# benchmarks/run.py: the table runner
def _bench_runner():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"
    spec = importlib.util.spec_from_file_location("hvlab_bench_run", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_runner_reports_a_failing_module_as_a_row(tmp_path):
    runner = _bench_runner()
    bad = tmp_path / "bench_bad.py"
    bad.write_text("def run():\n    raise RuntimeError('disk on fire')\n")
    rows, info = runner.run_module("bad", bad, timeout_s=120, in_process=False)
    assert info["status"] == "failed" and "disk on fire" in info["error"]
    assert rows[0]["figure"] == "FAILED" and rows[0]["value"] is None
    good = tmp_path / "bench_good.py"
    good.write_text("def run():\n    return [{'group': 'g', 'figure': 'f', 'value': 2.0, "
                    "'unit': 'ms', 'anchor': 'a', 'anchor_value': 4.0}]\n")
    rows, info = runner.run_module("good", good, timeout_s=120, in_process=False)
    assert info["status"] == "ok" and rows[0]["value"] == 2.0 and rows[0]["module"] == "good"
    text = runner.table(rows)
    assert "0.5x" in text and "ms" in text
    rows, info = runner.run_module("drain", None, timeout_s=1, in_process=True)
    assert info["status"] == "missing" and "issue 3" in rows[0]["target"]


def test_bench_runner_validates_rows():
    runner = _bench_runner()
    with pytest.raises(ValueError, match="unit"):
        runner.check_rows([{"group": "g", "figure": "f", "value": 1}])
    with pytest.raises(ValueError, match="not a number"):
        runner.check_rows([{"group": "g", "figure": "f", "value": "fast", "unit": "s"}])
    with pytest.raises(ValueError, match="list"):
        runner.check_rows({"group": "g"})
    assert runner.fmt(None) == "-" and runner.fmt(True) == "yes"
    assert runner.fmt(12345.0) == "12,345" and runner.fmt(0.0123456) == "0.01235"


CALLS = []


def counting(vm, *, seed=0):
    CALLS.append(vm.memory_gib)
    return {"memory_gib": vm.memory_gib}


def test_cache_runs_each_sweep_once():
    from hvlab.sweeps import clear_cache

    clear_cache()
    CALLS.clear()
    grid = {"vm.memory_gib": [1, 2, 3]}
    first = hv.sweep(counting, grid, seed=5, progress=False, cache=True)
    first.loc[0, "memory_gib"] = -99  # the caller's copy, not the cache's
    again = hv.sweep(counting, {"vm.memory_gib": [1, 2, 3]}, seed=5, progress=False, cache=True)
    assert CALLS == [1, 2, 3]
    assert again["memory_gib"].tolist() == [1, 2, 3]
    hv.sweep(counting, grid, seed=6, progress=False, cache=True)  # another seed: runs
    hv.sweep(counting, grid, seed=5, progress=False)  # cache off: runs
    assert CALLS == [1, 2, 3] * 3
    clear_cache()
