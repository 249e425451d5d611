"""How fast one migration's memory can move over a link, before any sharing: the link's payload
capacity for the transport, the most one migration's stream may take of it, and the compression
ratio. Used by the closed forms (`hvlab.analytic`) and by the simulation core alike.

The framing efficiencies and the compressor throughput come from `hvlab.params` (sourced
there); the model reference (docs/models.md) explains each transport.
"""
from __future__ import annotations

from dataclasses import dataclass

from hvlab.params import MIB, Link, MigrationSettings


@dataclass(frozen=True)
class TransferPlan:
    """How fast memory can move for one migration, before any sharing.

    Attributes
    ----------
    link_capacity_bytes_s : float
        The link's payload capacity, all NICs, with this transport's framing [bytes/s].
    wire_cap_bytes_s : float
        Most one migration's flow may take of it (one NIC, or the compressor's output) [bytes/s].
    ratio : float
        Memory bytes per wire byte (the compression ratio, or 1).
    memory_rate_bytes_s : float
        Memory moved per second when the flow runs at its cap alone on the link [bytes/s].
    note : str
        Why the plan is what it is (e.g. compression fell back to TCP/IP).
    """

    link_capacity_bytes_s: float
    wire_cap_bytes_s: float
    ratio: float
    memory_rate_bytes_s: float
    note: str = ""


def transfer_plan(link: Link, settings: MigrationSettings) -> TransferPlan:
    """Work out the rates of a memory transfer for a link and settings (see `TransferPlan`)."""
    transport = settings.transport
    note = ""
    if transport == "smb":
        capacity = link.rdma_rate_bytes_s if link.rdma else link.rate_bytes_s
        cap = capacity  # SMB Multichannel: every NIC
        ratio = 1.0
    else:
        capacity = link.rate_bytes_s
        cap = capacity if settings.tcp_uses_all_nics else link.nic_rate_bytes_s
        ratio = 1.0
        if transport == "compression":
            compressor = settings.compressor_bytes_s
            if compressor > cap:  # compressing beats sending plain pages
                ratio = settings.compression_ratio
                cap = min(cap, compressor / ratio)
            else:
                note = (f"Compression fell back to TCP/IP: the spare CPU compresses only "
                        f"{compressor / MIB:.0f} MiB/s, less than the link carries plain "
                        f"({cap / MIB:.0f} MiB/s).")
    cap = min(cap, capacity)
    return TransferPlan(capacity, cap, ratio, cap * ratio, note)


__all__ = ["TransferPlan", "transfer_plan"]
