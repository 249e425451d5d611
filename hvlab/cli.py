"""The `hvlab` command line. Each topic registers its own subcommands: the modules listed in
`SUBCOMMAND_MODULES` each define ``register(subparsers)``, adding parsers whose ``func``
default takes the parsed arguments and returns an exit code."""
from __future__ import annotations

import argparse
import importlib
import sys

# each module: register(subparsers) -> None
SUBCOMMAND_MODULES = [
    "hvlab.cli_models",
    "hvlab.cli_sweep",
    "hvlab.perflog.cli",
    "hvlab.cli_storage",
]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="hvlab",
        description="Model and analyse Windows Server 2012 Hyper-V VM mobility.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hvlab` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, KeyError, OSError) as exc:
        # a parameter object refused a value: say it argparse-style, no traceback
        parser.exit(2, f"{parser.prog} {args.command}: error: {exc}\n")


if __name__ == "__main__":
    sys.exit(main())
