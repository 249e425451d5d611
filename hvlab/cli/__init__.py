"""The `hvlab` command line: one module per command group, each with ``register(subparsers)``
adding parsers whose ``func`` default takes the parsed arguments and returns an exit code.

=====================  ==============================================================
module                 commands
=====================  ==============================================================
`hvlab.cli.migrate`    ``hvlab live``, ``hvlab quick``
`hvlab.cli.sweep`      ``hvlab sweep MODEL ...``
`hvlab.cli.log`        ``hvlab log summary|migrations|convert``
`hvlab.cli.storage`    ``hvlab storage``, ``hvlab shared-nothing``, ``hvlab drain``
`hvlab.cli.plan`       ``hvlab plan HOSTS VMS``
=====================  ==============================================================

`hvlab.cli.options` holds the options the groups share (defaults read from `hvlab.params`),
`hvlab.cli.output` the summary table and the figure.
"""
from __future__ import annotations

import argparse

from hvlab.cli import log, migrate, plan, storage, sweep

__all__ = ["main", "build_parser", "COMMAND_GROUPS"]

# in the order `hvlab --help` lists their commands
COMMAND_GROUPS = (migrate, sweep, log, storage, plan)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose commands report an option they do not take themselves.

    Each command accepts only the options its model reads; argparse then refuses any other
    ("unrecognized arguments", exit status 2). A command without sub-commands says so with its
    own usage line (``usage: hvlab quick ...``) instead of the top-level one."""

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if extras and not self._subparsers:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every command group's subcommands."""
    parser = _Parser(
        prog="hvlab",
        description="Model and analyse Windows Server 2012 Hyper-V VM mobility.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hvlab` command.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``hvlab`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code: 0 on success, 1 when the command ran but failed (a sweep whose every
        scenario failed). Bad arguments or inputs exit with status 2 and an argparse-style
        message (`SystemExit`).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, KeyError, OSError) as exc:
        # a parameter object or a reader refused a value: say it argparse-style, no traceback
        parser.exit(2, f"{parser.prog} {args.command}: error: {exc}\n")
