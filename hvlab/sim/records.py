"""Typed records of what a simulated run did, filled in by the process fragments while the
run goes on and read by the result builders afterwards. Times are absolute simulation times
[s]; `math.inf` means "has not happened".
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple


class PassRecord(NamedTuple):
    """One memory copy of a pre-copy: a live pass, or the blackout copy (`blackout` True)."""

    number: int
    start_s: float
    end_s: float
    sent_bytes: float
    """Memory bytes sent (before compression) [bytes]."""
    dirty_bytes_after: float
    """Memory dirty when the pass ended [bytes]."""
    wire_bytes: float
    """Bytes on the wire (after compression) [bytes]."""
    blackout: bool


@dataclass(slots=True)
class MigrationRecord:
    """One VM's migration: its pre-copy and, for a Shared Nothing move, its storage phase.

    Attributes
    ----------
    passes : list of PassRecord
        The live passes, then the blackout copy.
    memory_start_s, blackout_start_s, blackout_end_s : float
        When the memory phase and the blackout started, and when the VM resumed [s].
    converged : bool
        Whether the pre-copy stopped on the stop threshold (False: on the pass cap).
    wire_bytes : float
        Memory bytes sent over the link, after compression [bytes].
    storage_start_s, storage_end_s : float
        The storage copy of a Shared Nothing move [s].
    end_s : float
        When the move ended (after the source files were deleted, where they are) [s].
    """

    passes: list[PassRecord] = field(default_factory=list)
    memory_start_s: float = math.inf
    blackout_start_s: float = math.inf
    blackout_end_s: float = math.inf
    converged: bool = False
    wire_bytes: float = 0.0
    storage_start_s: float = math.inf
    storage_end_s: float = math.inf
    end_s: float = math.inf

    @property
    def live_passes(self) -> int:
        """Live pre-copy passes run (the blackout copy not counted)."""
        return sum(1 for p in self.passes if not p.blackout)

    @property
    def finished_s(self) -> float:
        """When the move ended: `end_s` where set, else the end of the blackout [s]."""
        return self.end_s if self.end_s != math.inf else self.blackout_end_s


@dataclass(slots=True)
class CopyRecord:
    """A storage move's copy and mirror.

    Attributes
    ----------
    copied, skipped, mirrored : float
        Bytes copied; disk bytes skipped because a mirrored write had placed them; guest
        write bytes mirrored to the target [bytes].
    copy_start_s, copy_end_s : float
        The copy [s] (0 until it runs).
    mirror_start_s, mirror_end_s : float
        The mirror [s] (inf until it starts / ends).
    switch_s : float
        When the guest's I/O moved to the target [s].
    """

    copied: float = 0.0
    skipped: float = 0.0
    mirrored: float = 0.0
    copy_start_s: float = 0.0
    copy_end_s: float = 0.0
    mirror_start_s: float = math.inf
    mirror_end_s: float = math.inf
    switch_s: float = math.inf


__all__ = ["PassRecord", "MigrationRecord", "CopyRecord"]
