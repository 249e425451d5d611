"""Record (or check) the regression file: every model's `summary()` over a grid of scenarios.

The grid covers each transport, storage kind, dirty model, drain order and concurrency policy
(a few hundred scenarios; a set-up a version refuses is recorded as its error), plus the sample
performance logs in `data/` (their SHA-256). Regenerated on purpose by the fidelity issue (full
duplex links, per-stream limits, closed-loop storage copies, version rules). A
refactoring that must keep every number compares against `baseline.json` with
`tests/models/test_regression.py`; a deliberate model change regenerates it:

    .venv/bin/python validation/regression/record.py            # writes baseline.json
    .venv/bin/python validation/regression/record.py --check     # compares, prints differences

Values are compared exactly for integers, booleans and strings, to 1e-12 relative for floats.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np

import hvlab as hv

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BASELINE = HERE / "baseline.json"
REL_TOL = 1e-12


def _plain(value):
    """A JSON-safe copy of a summary value (floats kept exactly via repr round-trip)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else repr(v)
    if value is None:
        return None
    return str(value)


def _summary(result) -> dict:
    return {k: _plain(v) for k, v in result.summary().items()}


def _passes(result) -> list:
    p = result.passes
    return [[_plain(v) for v in row] for row in p.itertuples(index=False)]


def _record(result) -> dict:
    if isinstance(result, dict):  # closed forms that return plain numbers
        return {"values": {k: _plain(v) for k, v in result.items()}}
    out = {"summary": _summary(result)}
    if hasattr(result, "passes") and len(result.passes):
        out["passes"] = _passes(result)
    return out


def scenarios():
    """Yield (key, zero-argument callable returning a result record)."""
    presets = {"WS2008R2": hv.WS2008R2, "WS2012": hv.WS2012, "WS2012R2": hv.WS2012R2}
    transports = ("tcpip", "compression", "smb")
    links = {"1g": hv.Link(gbps=1), "10g": hv.Link(gbps=10),
             "2x10g_rdma": hv.Link(gbps=10, nics=2, rdma=True)}
    vms = {
        "idle4": hv.VM(name="idle4", memory_gib=4),
        "busy8": hv.VM(name="busy8", memory_gib=8, dirty_rate_mib_s=60),
        "ws16": hv.VM(name="ws16", memory_gib=16, dirty_rate_mib_s=150, working_set_gib=2),
        "hot2": hv.VM(name="hot2", memory_gib=2, dirty_rate_mib_s=400),
    }
    for dirty_model in ("linear", "unique"):
        for tr in transports:
            for lk, link in links.items():
                for vk, vm in vms.items():
                    s = dataclasses.replace(hv.WS2012R2, transport=tr, max_passes=10,
                                            dirty_model=dirty_model)
                    key = f"live/{dirty_model}/{tr}/{lk}/{vk}"
                    yield key, (lambda vm=vm, link=link, s=s: _record(
                        hv.live_migration(vm, link, s, seed=7)))
    for pk, s in presets.items():
        for lk, link in links.items():
            for vk, vm in vms.items():
                yield (f"analytic/{pk}/{lk}/{vk}",
                       lambda vm=vm, link=link, s=s: _record(hv.analytic.precopy(vm, link, s)))
                yield (f"live_preset/{pk}/{lk}/{vk}",
                       lambda vm=vm, link=link, s=s: _record(hv.live_migration(vm, link, s)))
    storages = {"san": hv.Storage(), "slow": hv.Storage(name="slow", read_mib_s=120,
                                                        write_mib_s=90, iops=800,
                                                        base_latency_ms=8, load_frac=0.6)}
    for sk, st in storages.items():
        for vk, vm in vms.items():
            yield (f"quick/{sk}/{vk}", lambda vm=vm, st=st: _record(hv.quick_migration(vm, st)))
            yield (f"analytic_quick/{sk}/{vk}",
                   lambda vm=vm, st=st: _record(hv.analytic.quick(vm, st)))
    disk_vms = {
        "db": hv.VM(name="db", memory_gib=8, dirty_rate_mib_s=40, disk_gib=60,
                    disk_read_mib_s=30, disk_write_mib_s=20, disk_iops=600),
        "quiet": hv.VM(name="quiet", memory_gib=4, disk_gib=20, disk_read_mib_s=2,
                       disk_write_mib_s=1, disk_iops=30, checkpoint_gib=2, smart_paging_gib=1),
        "writer": hv.VM(name="writer", memory_gib=4, dirty_rate_mib_s=10, disk_gib=40,
                        disk_write_mib_s=60, disk_iops=1500),
    }
    loaded = hv.Storage(name="loaded", load_frac=0.7)
    targets = {"san2": hv.Storage(name="san2"), "loaded": loaded,
               "fast": hv.Storage(name="fast", read_mib_s=1500, write_mib_s=1200, iops=80000,
                                  base_latency_ms=1)}
    shares = {"share_same": hv.SmbShare(name="fs01", link=hv.Link(gbps=1)),
              "share_10g": hv.SmbShare(name="fs02", link=hv.Link(gbps=10),
                                       storage=hv.Storage(name="sofs", load_frac=0.3))}
    for vk, vm in disk_vms.items():
        for sk, src in storages.items():
            for tk, tgt in targets.items():
                for cap in (None, 50):
                    yield (f"storage/{vk}/{sk}/{tk}/cap{cap}",
                           lambda vm=vm, src=src, tgt=tgt, cap=cap: _record(
                               hv.storage_migration(vm, src, tgt, copy_rate_cap_mib_s=cap)))
            yield (f"storage_odx/{vk}/{sk}",
                   lambda vm=vm, src=src: _record(
                       hv.storage_migration(vm, src, hv.Storage(name="t"), odx=True)))
        for hk, share in shares.items():
            yield (f"storage_to_share/{vk}/{hk}",
                   lambda vm=vm, share=share: _record(
                       hv.storage_migration(vm, hv.Storage(), share, link=hv.Link(gbps=10))))
            yield (f"storage_from_share/{vk}/{hk}",
                   lambda vm=vm, share=share: _record(
                       hv.storage_migration(vm, share, hv.Storage(name="local2"))))
            for tr in transports:
                for lk in ("1g", "10g"):
                    s = dataclasses.replace(hv.WS2012R2, transport=tr)
                    yield (f"smb_live/{vk}/{hk}/{tr}/{lk}",
                           lambda vm=vm, share=share, s=s, lk=lk: _record(
                               hv.smb_live_migration(vm, links[lk], share, s)))
            yield (f"smb_live_files/{vk}/{hk}",
                   lambda vm=vm, share=share: _record(
                       hv.smb_live_migration(vm, hv.Link(gbps=1), share, open_files=40,
                                             same_network=True)))
        for lk in ("1g", "10g"):
            for tk, tgt in targets.items():
                for tr in transports:
                    s = dataclasses.replace(hv.WS2012R2, transport=tr)
                    yield (f"shared_nothing/{vk}/{lk}/{tk}/{tr}",
                           lambda vm=vm, lk=lk, tgt=tgt, s=s: _record(
                               hv.shared_nothing_migration(vm, links[lk], hv.Storage(), tgt,
                                                           s)))
            yield (f"shared_nothing_cap/{vk}/{lk}",
                   lambda vm=vm, lk=lk: _record(hv.shared_nothing_migration(
                       vm, links[lk], hv.Storage(), hv.Storage(), copy_rate_cap_mib_s=30)))
    inventory = hv.read_inventory(ROOT / "data" / "inventory.csv")
    mixed = [dataclasses.replace(vm, storage=kind) for vm, kind in zip(
        list(disk_vms.values()) + list(vms.values()),
        ("local", "smb", "shared", "local", "smb", "shared", "shared"))]
    hosts = {"inventory": inventory, "mixed": mixed}
    for hk, host in hosts.items():
        for order in ("given", "smallest_first", "largest_first", "least_dirty_first"):
            for lk in ("1g", "10g"):
                for pk, s in presets.items():
                    for max_live, max_storage in ((1, 1), (2, 1), (4, 2)):
                        s2 = dataclasses.replace(s, max_live_migrations=max_live,
                                                 max_storage_migrations=max_storage)
                        yield (f"drain/{hk}/{order}/{lk}/{pk}/{max_live}x{max_storage}",
                               lambda host=host, lk=lk, s2=s2, order=order: _drain(
                                   hv.drain_host(host, links[lk], s2, order=order)))
    for dirty_model in ("linear", "unique"):
        s = dataclasses.replace(hv.WS2012, dirty_model=dirty_model)
        yield (f"drain_share/{dirty_model}",
               lambda s=s: _drain(hv.drain_host(mixed, links["1g"], s,
                                                share=shares["share_10g"], open_files=6,
                                                same_network=False, seed=3)))


def _drain(result) -> dict:
    m = result.migrations
    rows = [[_plain(v) for v in row] for row in m.itertuples(index=False)]
    per_vm = [_summary(r) for r in result.results]
    return {"summary": _summary(result), "columns": list(m.columns), "migrations": rows,
            "per_vm": per_vm}


def sample_logs() -> dict:
    """SHA-256 of the sample logs as `data/make_samples.py` writes them now."""
    import importlib.util
    import tempfile

    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "data" / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        module.make(Path(tmp))
        for path in sorted(Path(tmp).glob("*.csv")):
            out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _run(make) -> dict:
    """A scenario's record; a refused set-up (e.g. a feature its version lacks) is recorded as
    its error, so refusals are part of what must not change by accident."""
    try:
        return make()
    except ValueError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def record() -> dict:
    data = {}
    for key, make in scenarios():
        if key in data:
            raise KeyError(f"duplicate scenario key {key}")
        data[key] = _run(make)
    return {"scenarios": data, "sample_logs": sample_logs()}


def compare(expected, actual, where="") -> list[str]:
    """Differences between two recorded structures (floats to `REL_TOL` relative)."""
    diffs = []
    if isinstance(expected, dict) and isinstance(actual, dict):
        for k in expected.keys() | actual.keys():
            if k not in actual:
                diffs.append(f"{where}/{k}: missing now")
            elif k not in expected:
                diffs.append(f"{where}/{k}: new (not in the baseline)")
            else:
                diffs += compare(expected[k], actual[k], f"{where}/{k}")
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            diffs.append(f"{where}: length {len(expected)} -> {len(actual)}")
        else:
            for i, (e, a) in enumerate(zip(expected, actual)):
                diffs += compare(e, a, f"{where}[{i}]")
    elif isinstance(expected, float) and isinstance(actual, float):
        if not math.isclose(expected, actual, rel_tol=REL_TOL, abs_tol=0.0) and not (
                expected == 0.0 and abs(actual) < 1e-300):
            diffs.append(f"{where}: {expected!r} -> {actual!r}")
    elif type(expected) is not type(actual) or expected != actual:
        diffs.append(f"{where}: {expected!r} -> {actual!r}")
    return diffs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with baseline.json")
    args = parser.parse_args(argv)
    now = record()
    if args.check:
        expected = json.loads(BASELINE.read_text(encoding="utf-8"))
        diffs = compare(expected, now)
        for line in diffs[:50]:
            print(line)
        print(f"{len(now['scenarios'])} scenarios, {len(diffs)} difference(s)")
        return 1 if diffs else 0
    BASELINE.write_text(json.dumps(now, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {BASELINE} ({len(now['scenarios'])} scenarios, "
          f"{len(now['sample_logs'])} sample logs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
