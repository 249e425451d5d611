"""Compare hvlab's models with published Hyper-V migration measurements.

Reads ``validation/measurements.csv`` (one row per published figure; sources and assumptions in
``validation/sources.md``), builds the model inputs of each row with hvlab's public API only,
predicts the quantity the source measured and prints, per row, the measured and predicted
values and the signed and absolute error, then the median absolute error and the worst row.

    .venv/bin/python validation/validate.py                  # the table
    .venv/bin/python validation/validate.py --plot fig.png   # and predicted vs measured

A test can ``from validation.validate import compare, median_abs_error_pct`` (or load this file
by path): ``compare()`` returns the table as a DataFrame, ``median_abs_error_pct()`` its median
|error| in percent.

How a row becomes model inputs
------------------------------
- ``version`` picks the preset (``hv.WS2008R2``, ``hv.WS2012``, ``hv.WS2012R2``; WS2016 rows use
  the WS2012 R2 preset, no 2016 preset exists); ``transport`` and ``max_live`` replace the
  preset's ``transport`` and ``max_live_migrations`` with ``dataclasses.replace``.
- ``link_gbps``, ``nics``, ``rdma`` make the ``hv.Link`` (default framing efficiency).
- each VM is ``hv.VM(memory_gib=..., dirty_rate_mib_s=..., disk_gib=...,
  assigned_memory_gib=...)`` (the CSV's ``assigned_gib``, Dynamic Memory); an empty
  ``dirty_rate_mib_s`` gets ``DEFAULT_DIRTY_RATE_MIB_S`` below.
- ``model`` and ``n_vms`` pick the call: ``live`` with one VM -> ``hv.live_migration``; ``drain``
  or any row with ``n_vms`` > 1 -> ``hv.drain_host`` of ``n_vms`` identical VMs; ``smb_live``
  -> ``hv.smb_live_migration`` (one VM) on a default ``hv.SmbShare`` reached over the same
  link; ``quick`` -> ``hv.quick_migration`` on a default ``hv.Storage``; ``storage`` ->
  ``hv.storage_migration`` between two default arrays; ``shared_nothing`` ->
  ``hv.shared_nothing_migration`` between two default arrays over the link.
- ``quantity``: ``total_s`` (migration or drain total), ``downtime_s`` (blackout; the longest one
  in a drain), ``per_vm_s`` (a drain's mean migration duration), ``throughput_gbps`` (the peak
  of the result's ``timeline.network_mib_s``: wire payload bytes, all concurrent migrations
  together for a drain, in Gbit/s).

Measured throughputs come from Windows network counters or Task Manager, which count Ethernet,
IP and TCP framing; hvlab reports TCP payload. On 1500-byte frames that makes hvlab read about
5 % low at the line rate (1460/1538); the table does not correct for it.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path

import pandas as pd

import hvlab as hv

# --------------------------------------------------------------------------------------------
# Documented defaults for inputs that a source does not state
DEFAULT_DIRTY_RATE_MIB_S = 2.0
"""Dirty rate [MiB/s] of a VM whose source gives none. An assumption: an idle or lightly used
Windows Server guest (background services, no benchmark running) rewrites a few MiB/s of
memory; no published Hyper-V figure was found. Every published row below is of idle or lightly
loaded VMs, where any value of this order leaves the first pass dominant."""

WS2016_PRESET = "WS2012R2"
"""hvlab has no Windows Server 2016 preset; WS2016 rows use this one (live migration options
did not change between 2012 R2 and 2016)."""

TARGET_MEDIAN_PCT = 15.0
"""The models' target: median |error| over the published rows [%]."""

OUTLIER_PCT = 40.0
"""A row missed by more than this must name the input its source does not give [%]."""

CSV_PATH = Path(__file__).with_name("measurements.csv")

#: CSV column -> hv.VM field.
VM_COLUMNS = {
    "memory_gib": "memory_gib",
    "dirty_rate_mib_s": "dirty_rate_mib_s",
    "disk_gib": "disk_gib",
    "assigned_gib": "assigned_memory_gib",
}

GBPS_PER_MIB_S = hv.params.MIB * 8 / 1e9


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def _num(value, default=None):
    return default if _blank(value) else float(value)


def _int(value, default=None):
    return default if _blank(value) else int(float(value))


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "y")


def load_measurements(path: str | Path = CSV_PATH) -> pd.DataFrame:
    """The measurement table, one row per published figure."""
    return pd.read_csv(path, dtype={"id": str, "rdma": str}, keep_default_na=True)


# --------------------------------------------------------------------------------------------
# building model inputs
def settings_for(row) -> hv.MigrationSettings:
    """Preset of the row's version, with its transport and simultaneous-migration limit."""
    version = str(row["version"]).strip()
    if version == "WS2016":
        version = WS2016_PRESET
    settings = hv.preset(version)
    changes = {}
    if not _blank(row.get("transport")):
        changes["transport"] = str(row["transport"]).strip()
    max_live = _int(row.get("max_live"))
    if max_live is not None:
        changes["max_live_migrations"] = max_live
    return dataclasses.replace(settings, **changes) if changes else settings


def link_for(row) -> hv.Link:
    """The migration network of the row."""
    return hv.Link(gbps=_num(row["link_gbps"], 1.0), nics=_int(row.get("nics"), 1),
                   rdma=_bool(row.get("rdma", False)))


def vm_kwargs(row) -> dict:
    """hv.VM keyword arguments for the row's VM fields (those the row gives)."""
    values = {
        "memory_gib": _num(row.get("memory_gib")),
        "dirty_rate_mib_s": _num(row.get("dirty_rate_mib_s"), DEFAULT_DIRTY_RATE_MIB_S),
        "disk_gib": _num(row.get("disk_gib")),
        "assigned_gib": _num(row.get("assigned_gib")),
    }
    return {VM_COLUMNS[column]: value for column, value in values.items() if value is not None}


def vms_for(row) -> list:
    """The row's VMs: n_vms identical VMs with unique names."""
    n = _int(row.get("n_vms"), 1)
    kwargs = vm_kwargs(row)
    return [hv.VM(name=f"{row['id']}-{i + 1:02d}", **kwargs) for i in range(n)]


# --------------------------------------------------------------------------------------------
# predicting
def _peak_gbps(timeline: pd.DataFrame) -> float:
    if timeline is None or timeline.empty or "network_mib_s" not in timeline:
        return float("nan")
    return float(timeline["network_mib_s"].max()) * GBPS_PER_MIB_S


def run_model(row):
    """Run the model the row names; returns a hv.MigrationResult or hv.DrainResult."""
    model = str(row["model"]).strip()
    settings = settings_for(row)
    link = link_for(row)
    vms = vms_for(row)
    if model == "drain" or len(vms) > 1:
        if model in ("smb_live", "shared_nothing"):
            storage = "smb" if model == "smb_live" else "local"
            vms = [dataclasses.replace(vm, storage=storage) for vm in vms]
        return hv.drain_host(vms, link, settings)
    vm = vms[0]
    if model == "live":
        return hv.live_migration(vm, link, settings)
    if model == "smb_live":
        return hv.smb_live_migration(vm, link, hv.SmbShare(link=link), settings)
    if model == "quick":
        return hv.quick_migration(vm, hv.Storage(), settings)
    if model == "storage":
        return hv.storage_migration(vm, hv.Storage(name="source"), hv.Storage(name="target"),
                                    settings)
    if model == "shared_nothing":
        return hv.shared_nothing_migration(vm, link, hv.Storage(name="source"),
                                           hv.Storage(name="target"), settings)
    raise ValueError(f"row {row['id']}: unknown model {model!r}")


def predict(row) -> float:
    """The model's value of the row's quantity."""
    result = run_model(row)
    quantity = str(row["quantity"]).strip()
    is_drain = isinstance(result, hv.DrainResult)
    if quantity == "total_s":
        return float(result.total_s)
    if quantity == "downtime_s":
        return float(result.migrations["downtime_s"].max() if is_drain else result.downtime_s)
    if quantity == "per_vm_s":
        if is_drain:
            m = result.migrations
            duration = m["duration_s"] if "duration_s" in m else m["end_s"] - m["start_s"]
            return float(duration.mean())
        return float(result.total_s)
    if quantity == "throughput_gbps":
        return _peak_gbps(result.timeline)
    raise ValueError(f"row {row['id']}: unknown quantity {quantity!r}")


# --------------------------------------------------------------------------------------------
# the comparison
_cache: dict[str, pd.DataFrame] = {}


def compare(path: str | Path = CSV_PATH) -> pd.DataFrame:
    """Measured against predicted, one row per measurement.

    Columns: id, source (author, year), version, model, quantity, measured, predicted,
    error_pct (signed: (predicted - measured) / measured x 100), abs_error_pct, lacks (the
    model input the source does not give, for rows the model misses by more than 40 %) and
    calibrates (the default this row's figure set: not an independent check).
    """
    key = str(Path(path).resolve())
    if key not in _cache:
        table = load_measurements(path)
        rows = []
        for _, row in table.iterrows():
            measured = float(row["measured"])
            predicted = predict(row)
            error = (predicted - measured) / measured * 100.0
            rows.append({
                "id": row["id"],
                "source": f"{str(row['author']).split(' (')[0]} {int(row['year'])}",
                "version": row["version"],
                "model": row["model"],
                "quantity": row["quantity"],
                "measured": measured,
                "predicted": predicted,
                "error_pct": error,
                "abs_error_pct": abs(error),
                "lacks": "" if pd.isna(row.get("lacks", "")) else str(row.get("lacks", "")),
                "calibrates": "" if pd.isna(row.get("calibrates", ""))
                else str(row.get("calibrates", "")),
            })
        _cache[key] = pd.DataFrame(rows)
    return _cache[key].copy()


def median_abs_error_pct(path: str | Path = CSV_PATH, independent: bool = False) -> float:
    """Median |error| over all rows, or only the rows no default was taken from [%]."""
    df = compare(path)
    if independent:
        df = df[df["calibrates"] == ""]
    return float(df["abs_error_pct"].median())


# --------------------------------------------------------------------------------------------
# output
def format_table(df: pd.DataFrame) -> str:
    shown = df[["id", "source", "quantity", "measured", "predicted", "error_pct",
                "abs_error_pct"]].copy()
    return shown.to_string(index=False, float_format=lambda v: f"{v:,.2f}")


def plot(df: pd.DataFrame, path: str | Path) -> None:
    """Predicted against measured, log-log, with y = x and +-15 % / +-40 % bands."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    groups = [("times [s]", df[df["quantity"] != "throughput_gbps"]),
              ("throughput [Gbit/s]", df[df["quantity"] == "throughput_gbps"])]
    groups = [(title, g) for title, g in groups if len(g)]
    fig, axes = plt.subplots(1, len(groups), figsize=(7 * len(groups), 6.5), squeeze=False)
    for ax, (title, g) in zip(axes[0], groups):
        values = np.concatenate([g["measured"].to_numpy(), g["predicted"].to_numpy()])
        lo, hi = values.min() / 1.8, values.max() * 1.8
        x = np.geomspace(lo, hi, 200)
        ax.fill_between(x, x / 1.4, x * 1.4, color="tab:orange", alpha=0.15, label="±40 %")
        ax.fill_between(x, x / 1.15, x * 1.15, color="tab:green", alpha=0.25, label="±15 %")
        ax.plot(x, x, color="black", lw=1, label="y = x")
        for model, marker in (("live", "o"), ("drain", "s"), ("quick", "^"),
                              ("smb_live", "D"), ("storage", "v"), ("shared_nothing", "P")):
            sel = g[g["model"] == model]
            if len(sel):
                ax.scatter(sel["measured"], sel["predicted"], marker=marker, s=40,
                           zorder=3, label=model)
        placed: list[tuple[float, float, int]] = []
        for _, r in g.sort_values(["measured", "predicted"]).iterrows():
            xm, yp = r["measured"], r["predicted"]
            # labels run to the right: give each label the first free line among the labels
            # of nearby points, instead of overprinting them
            taken = {k for a, b, k in placed
                     if abs(math.log(a / xm)) < 1.0 and abs(math.log(b / yp)) < 0.12}
            line = next(k for k in range(len(placed) + 1) if k not in taken)
            placed.append((xm, yp, line))
            ax.annotate(r["id"], (xm, yp), fontsize=7, xytext=(5, 3 - 9 * line),
                        textcoords="offset points")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_xlabel(f"measured {title}")
        ax.set_ylabel(f"hvlab predicted {title}")
        ax.set_title(f"hvlab vs published Hyper-V measurements: {title}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", default=str(CSV_PATH), help="measurement table")
    parser.add_argument("--plot", metavar="FILE", help="write predicted vs measured to FILE")
    args = parser.parse_args(argv)

    df = compare(args.csv)
    print(format_table(df))
    median = float(df["abs_error_pct"].median())
    worst = df.loc[df["abs_error_pct"].idxmax()]
    print()
    independent = df[df["calibrates"] == ""]
    print(f"rows: {len(df)}   median |error|: {median:.1f} %   "
          f"(the {len(independent)} rows no default was taken from: "
          f"{independent['abs_error_pct'].median():.1f} %)   "
          f"rows within 15 %: {(df['abs_error_pct'] <= 15).sum()}   "
          f"within 40 %: {(df['abs_error_pct'] <= 40).sum()}")
    print(f"worst: {worst['id']} ({worst['source']}): measured {worst['measured']:g}, "
          f"predicted {worst['predicted']:.3g}, error {worst['error_pct']:+.1f} %")
    beyond = df[df["abs_error_pct"] > OUTLIER_PCT]
    if len(beyond):
        print(f"\nrows beyond {OUTLIER_PCT:g} % and the input their source does not give:")
        for _, r in beyond.iterrows():
            print(f"  {r['id']} ({r['error_pct']:+.0f} %): {r['lacks'] or 'NOT EXPLAINED'}")
    target_met = median <= TARGET_MEDIAN_PCT and all(beyond["lacks"].str.len() > 0)
    print(f"\ntarget (median <= {TARGET_MEDIAN_PCT:g} %, every row beyond {OUTLIER_PCT:g} % "
          f"explained): {'met' if target_met else 'NOT met'}")
    if args.plot:
        plot(df, args.plot)
        print(f"plot written to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
