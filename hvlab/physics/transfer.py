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
        The link's payload capacity in one direction, all NICs, with this transport's framing
        [bytes/s].
    wire_cap_bytes_s : float
        Most one migration's flow may take of it (one NIC, one TCP stream, or the compressor's
        output) [bytes/s].
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
    """Work out the rates of a memory transfer for a link and settings (see `TransferPlan`).

    - "tcpip": one TCP stream, on one NIC (all of them with `tcp_uses_all_nics`; a NIC team
      does not make one stream faster than `tcp_stream_gbps`, the most one core processes);
    - "compression": the same stream carries compressed memory when the spare cores compress
      faster than the stream carries plain memory; else it falls back to TCP/IP;
    - "smb": SMB Multichannel over every NIC. With RDMA (SMB Direct) the NICs move the bytes
      with no host CPU per byte: no stream limit, RDMA framing. Without RDMA each NIC carries
      `smb_connections_per_nic` TCP connections, each limited like a TCP stream.

    The link's capacity is per direction (links are full duplex): a migration's bytes leave the
    source host; what comes in (guest reads from a share, say) does not slow them.
    """
    transport = settings.transport
    stream = settings.tcp_stream_bytes_s
    note = ""
    ratio = 1.0
    if transport == "smb":
        if link.rdma:
            capacity = link.rdma_rate_bytes_s
            cap = capacity
        else:
            capacity = link.rate_bytes_s
            per_nic = min(link.nic_rate_bytes_s, settings.smb_connections_per_nic * stream)
            cap = per_nic * link.nics
    else:
        capacity = link.rate_bytes_s
        cap = min(capacity if settings.tcp_uses_all_nics else link.nic_rate_bytes_s, stream)
        if transport == "compression":
            compressor = settings.compressor_bytes_s
            if compressor > cap:  # compressing beats sending plain pages
                ratio = settings.compression_ratio
                cap = min(cap, compressor / ratio)
            else:
                note = (f"Compression fell back to TCP/IP: the spare CPU compresses only "
                        f"{compressor / MIB:.0f} MiB/s, less than one stream carries plain "
                        f"({cap / MIB:.0f} MiB/s).")
    if transport != "smb" and stream < min(capacity, link.nic_rate_bytes_s):
        note = (note + " " if note else "") + (
            f"One TCP live-migration stream carries at most {settings.tcp_stream_gbps:g} "
            f"Gbit/s ({settings.version}: processed by one core), less than the "
            f"{link.gbps:g} Gbit/s NIC: several concurrent migrations, or SMB Direct, fill it.")
    cap = min(cap, capacity)
    return TransferPlan(capacity, cap, ratio, cap * ratio, note)


__all__ = ["TransferPlan", "transfer_plan"]
