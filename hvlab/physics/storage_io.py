"""What I/O costs an array: the utilisation each stream causes (the utilisation law, U = X D,
Denning & Buzen 1978), and how much of a disk a single-pass copy must move while mirrored guest
writes land ahead of it.

**Utilisation.** Every I/O stream adds its throughput times the array time one unit costs:

- the guest's own I/O: ``disk_iops / iops + disk_read_mib_s / read_mib_s +
  disk_write_mib_s / write_mib_s`` (each operation costs a positioning time 1/iops, each byte a
  transfer time 1/throughput);
- a copy in I/Os of B bytes: per byte read ``1 / read_bytes_s + 1 / (B * iops)`` on the
  source, per byte written ``1 / write_bytes_s + 1 / (B * iops)`` on the target;
- mirrored guest writes: the guest's write bytes and write operations, on the target.

**Skipped blocks.** Guest writes land uniformly at random over the virtual disk: after M
mirrored bytes a block has been written with probability ``1 - exp(-M / D)`` (D the disk size;
Poisson coverage). For a copy rate r and a write rate w, both constant, the disk takes
``T = (D / w) ln(1 + w / r)`` and ``r T`` bytes are copied.

References
----------
Denning, P. J., Buzen, J. P. (1978). The operational analysis of queueing network models.
ACM Computing Surveys 10(3), 225-261. https://doi.org/10.1145/356733.356735
"""
from __future__ import annotations

import math

from hvlab.params import MIB, VM, MigrationSettings, Storage

COPY_IO_BYTES = MigrationSettings().copy_io_kib * 1024
"""Default size of one storage-copy I/O [bytes], `MigrationSettings.copy_io_kib`: Hyper-V
copies with large unbuffered I/Os (size unconfirmed; at 1 MiB the per-operation cost is small
next to the transfer time)."""


def guest_demand_frac(vm: VM, storage: Storage) -> float:
    """Utilisation the VM's own disk I/O causes on `storage` [fraction of the array's time]."""
    return (vm.disk_iops / storage.iops + vm.disk_read_mib_s / storage.read_mib_s
            + vm.disk_write_mib_s / storage.write_mib_s)


def write_fraction(vm: VM) -> float:
    """Share of the VM's I/O operations that are writes [fraction]; operations are split in
    proportion to bytes (0 when the VM does no I/O)."""
    total = vm.disk_read_mib_s + vm.disk_write_mib_s
    return vm.disk_write_mib_s / total if total > 0 else 0.0


def mirror_demand_per_byte(vm: VM, storage: Storage) -> float:
    """Array time one mirrored guest write byte costs on the target [s/byte], operations
    included (the guest's write operations carry its write bytes)."""
    per_byte = 1.0 / (storage.write_mib_s * MIB)
    if vm.disk_write_mib_s > 0:
        write_ops = vm.disk_iops * write_fraction(vm)
        per_byte += write_ops / storage.iops / (vm.disk_write_mib_s * MIB)
    return per_byte


def copy_read_demand_per_byte(storage: Storage, io_bytes: float = COPY_IO_BYTES) -> float:
    """Array time one copied byte costs to read, in I/Os of `io_bytes` [s/byte]."""
    return 1.0 / (storage.read_mib_s * MIB) + 1.0 / (io_bytes * storage.iops)


def copy_write_demand_per_byte(storage: Storage, io_bytes: float = COPY_IO_BYTES) -> float:
    """Array time one copied byte costs to write, in I/Os of `io_bytes` [s/byte]."""
    return 1.0 / (storage.write_mib_s * MIB) + 1.0 / (io_bytes * storage.iops)


def chunk_copy_bytes(chunk_bytes: float, disk_bytes: float, mirrored_bytes: float,
                     write_bytes_s: float, copy_bytes_s: float) -> float:
    """Bytes the copy must move to get through one chunk of the disk [bytes].

    Blocks ahead of the copy are already on the target with probability
    ``1 - exp(-M / D)``; with M growing at `write_bytes_s` (w) and the copy moving
    `copy_bytes_s` (r), crossing a chunk of c bytes takes
    ``(D / w) ln(1 + c w exp(-M0 / D) / (r D))`` seconds, during which r times that is copied.

    Parameters
    ----------
    chunk_bytes : float
        Size of the stretch of disk [bytes] (c).
    disk_bytes : float
        Size of the disk the guest writes to [bytes] (D).
    mirrored_bytes : float
        Guest writes mirrored since mirroring started [bytes] (M0).
    write_bytes_s, copy_bytes_s : float
        Mirrored write rate and copy rate [bytes/s].
    """
    if chunk_bytes <= 0:
        return 0.0
    if disk_bytes <= 0:
        return chunk_bytes
    fresh = math.exp(-mirrored_bytes / disk_bytes)
    if write_bytes_s <= 0 or not copy_bytes_s > 0 or math.isinf(copy_bytes_s):
        return chunk_bytes * fresh
    x = chunk_bytes * write_bytes_s * fresh / (copy_bytes_s * disk_bytes)
    # r D / w * log1p(x) written as c e^(-M0/D) log1p(x) / x: no overflow for tiny w
    return chunk_bytes * fresh * (math.log1p(x) / x if x > 1e-12 else 1.0 - x / 2)


def copy_time_closed_form(disk_bytes: float, write_bytes_s: float, copy_bytes_s: float) -> float:
    """Time to copy a disk of D bytes while the guest writes w bytes/s uniformly over it and
    the copy moves r bytes/s, skipping written blocks: ``(D / w) ln(1 + w / r)`` [s]
    (``D / r`` when w = 0)."""
    if write_bytes_s <= 0:
        return disk_bytes / copy_bytes_s
    return disk_bytes / write_bytes_s * math.log1p(write_bytes_s / copy_bytes_s)


__all__ = ["COPY_IO_BYTES", "guest_demand_frac", "write_fraction", "mirror_demand_per_byte",
           "copy_read_demand_per_byte", "copy_write_demand_per_byte", "chunk_copy_bytes",
           "copy_time_closed_form"]
