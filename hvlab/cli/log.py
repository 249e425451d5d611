"""`hvlab log ...`: look into and convert Windows performance logs from the command line.

    hvlab log summary FILE                  hosts, objects, counters, time span, missing cells
    hvlab log migrations FILE               the migrations found in the log
    hvlab log convert FILE --to parquet     (read back by hv.read_perflog with its metadata;
                                            or csv / tsv: a clean PDH-CSV/TSV 4.0 log)

FILE is a PDH-CSV/TSV export, a typeperf capture, a Get-Counter Export-Csv file, a PerfMon
binary log (.blg): ``hvlab log convert DataCollector01.blg --to csv`` is relog without Windows,
or a Parquet copy saved by ``convert --to parquet``.
"""
from __future__ import annotations

import os
import sys

__all__ = ["register", "summary_text"]


def register(subparsers) -> None:
    """Add `log` (summary, migrations, convert) to the `hvlab` command."""
    log = subparsers.add_parser(
        "log", help="summarise, search and convert Windows performance logs",
        description="Read PDH-CSV/TSV exports (PerfMon, relog, typeperf, Export-Counter), "
                    "typeperf console captures, Get-Counter Export-Csv files and PerfMon "
                    "binary logs (.blg).")
    sub = log.add_subparsers(dest="log_command", metavar="ACTION")
    sub.required = True

    def common(p):
        p.add_argument("file", help="the log (.csv, .tsv, .txt, .blg, or a .parquet copy)")
        p.add_argument("--encoding", default=None,
                       help="text encoding (default: detected, e.g. cp1252, cp1251, utf-16)")
        p.add_argument("--tz", default=None,
                       help="zone the host's clock was in, e.g. Europe/Berlin (default: the "
                            "header's bias)")
        p.add_argument("--coerce", action="store_true",
                       help="read cells that are not numbers as missing instead of stopping")

    s = sub.add_parser("summary", help="hosts, objects, counters, time span, interval, missing")
    common(s)
    s.set_defaults(func=_summary)

    m = sub.add_parser("migrations", help="the live/storage migrations found in the log")
    common(m)
    m.add_argument("--threshold-mib-s", type=float, default=None,
                   help="network burst threshold [MiB/s] when the log has no Live Migration "
                        "counters")
    m.set_defaults(func=_migrations)

    c = sub.add_parser("convert", help="write the log as Parquet (read back by read_perflog "
                                       "with its metadata) or as a clean PDH-CSV/TSV")
    common(c)
    c.add_argument("--to", required=True, choices=["parquet", "csv", "tsv"],
                   help="parquet: parsed once, reopened by hv.read_perflog in a fraction of a "
                        "second with all its metadata; csv/tsv: as Windows writes PDH logs")
    c.add_argument("-o", "--output", default=None,
                   help="output file (default: FILE with the new suffix)")
    c.add_argument("--out-encoding", default=None,
                   help="code page of a csv/tsv output (default: the input's code page, "
                        "else utf-8)")
    c.add_argument("--force", action="store_true", help="overwrite the output if it exists")
    c.set_defaults(func=_convert)


def _read(args):
    from hvlab.perflog import read_perflog

    return read_perflog(args.file, encoding=args.encoding, tz=args.tz,
                        errors="coerce" if args.coerce else "raise")


def _fmt_time(t) -> str:
    return "-" if t is None else str(t)


def summary_text(df, meta) -> str:
    """The text `hvlab log summary` prints."""
    lines = [f"file        {meta['source']}",
             f"format      {meta['format']} {meta.get('version') or ''}".rstrip(),
             f"encoding    {meta['encoding']}",
             "time zone   " + (f"{meta['timezone']!r} (bias {meta['bias_min']} min, "
                               f"UTC = local + bias)" if meta['bias_min'] is not None
                               else "none (wall clock)")]
    span = ""
    if meta["start"] is not None and meta["end"] is not None:
        span = f"  ({(meta['end'] - meta['start']).total_seconds():.0f} s)"
    lines += [f"start       {_fmt_time(meta['start'])}",
              f"end         {_fmt_time(meta['end'])}{span}",
              "interval    " + ("-" if meta["interval_s"] is None
                                else f"{meta['interval_s']:g} s"),
              f"rows        {meta['rows']}", f"counters    {meta['columns']}"]
    cells = meta["rows"] * meta["columns"]
    pct = 100.0 * meta["missing_cells"] / cells if cells else 0.0
    lines.append(f"missing     {meta['missing_cells']} of {cells} cells ({pct:.1f}%)")
    if meta["bad_cells"]:
        lines.append(f"bad cells   {meta['bad_cells']} (read as missing)")
    if meta.get("bad_samples"):
        lines.append(f"bad samples {meta['bad_samples']} (a value with an error status, or "
                     "not decodable)")
    if meta.get("os_version"):
        lines.append(f"logged on   Windows {meta['os_version']}")
    if meta.get("console_lines"):
        lines.append(f"console     {meta['console_lines']} non-data lines skipped")
    cols = df.columns
    if len(cols):
        hosts = sorted({str(h) for h in cols.get_level_values("host")})
        lines.append(f"hosts       {', '.join(h or '(none)' for h in hosts)}")
        lines.append("objects")
        counts = {}
        for obj, inst, ctr in zip(cols.get_level_values("object"),
                                  cols.get_level_values("instance"),
                                  cols.get_level_values("counter")):
            entry = counts.setdefault(str(obj), [set(), set()])
            entry[0].add(str(inst))
            entry[1].add(str(ctr))
        for obj in sorted(counts):
            inst, ctr = counts[obj]
            n_inst = len(inst - {""})
            lines.append(f"  {obj}: {len(ctr)} counters"
                         + (f", {n_inst} instances" if n_inst else ""))
    for w in meta["warnings"]:
        lines.append(f"warning     {w}")
    return "\n".join(lines)


def _summary(args) -> int:
    df, meta = _read(args)
    print(summary_text(df, meta))
    return 0


def _migrations(args) -> int:
    from hvlab.perflog import find_migrations

    df, meta = _read(args)
    kwargs = {}
    if args.threshold_mib_s is not None:
        kwargs["threshold_mib_s"] = args.threshold_mib_s
    found = find_migrations(df, **kwargs)
    if len(found) == 0:
        print(f"no migrations found in {args.file} ({meta['rows']} rows, "
              f"{meta['columns']} counters)")
        return 0
    import pandas as pd
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(found.to_string(index=False))
    return 0


def _convert(args) -> int:
    stem, _ = os.path.splitext(args.file)
    out = args.output or f"{stem}.{args.to}"
    if os.path.abspath(out) == os.path.abspath(args.file):
        out = f"{stem}-converted.{args.to}"
    if os.path.exists(out) and not args.force:
        raise OSError(f"{out} exists; pass --force to overwrite it or -o another name")
    if args.to == "parquet":
        from hvlab.perflog import convert_to_parquet

        _, meta = convert_to_parquet(args.file, out, encoding=args.encoding, tz=args.tz,
                                     errors="coerce" if args.coerce else "raise")
    else:
        from hvlab.perflog import write_perflog

        df, meta = _read(args)
        enc = args.out_encoding or _out_encoding(meta["encoding"], meta["paths"])
        write_perflog(df, out, fmt=args.to, encoding=enc,
                      timezone=meta["timezone"],
                      bias_min=meta["bias_min"] if args.tz is None else None)
    print(f"wrote {out} ({meta['rows']} rows x {meta['columns']} counters)", file=sys.stdout)
    return 0


def _out_encoding(enc: str | None, paths=()) -> str:
    if enc == "ascii":
        return "cp1252"
    if enc is None:  # a .blg (UTF-16 names): the ANSI code page Windows would use, if it fits
        try:
            "".join(paths).encode("cp1252")
            return "cp1252"
        except UnicodeEncodeError:
            return "utf-8"
    if enc and enc.startswith("cp"):
        return enc
    return "utf-8"
