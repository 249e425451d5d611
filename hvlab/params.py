"""Parameter objects: what is moved (`VM`), over what (`Link`), to and from where (`Storage`,
`SmbShare`), and how Hyper-V is configured (`MigrationSettings` and the presets `WS2008R2`,
`WS2012`, `WS2012R2`).

Every parameter object is a frozen, keyword-only dataclass that validates itself: a bad value
raises `ValueError` naming the field, the value and the unit; a value of the wrong type raises
`TypeError`. Vary a scenario with `dataclasses.replace`.

Units are binary for sizes (1 GiB = 2**30 bytes, 1 MiB = 2**20 bytes) and decimal for network
line rates (1 Gbps = 10**9 bit/s).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from numbers import Real

GIB = 2**30
MIB = 2**20
PAGE_BYTES = 4096  # Hyper-V moves guest memory in 4 KiB pages

# 1500-byte MTU Ethernet: 1460 B of TCP payload per 1538 B on the wire
# (1500 + 14 header + 4 FCS + 8 preamble + 12 inter-frame gap; IPv4 20 + TCP 20 inside).
TCP_EFFICIENCY = 1460 / 1538
# RoCEv2 at a 4096-byte RDMA MTU: 4096 B payload per 4096 + 82 B on the wire
# (Ethernet 14 + FCS 4 + preamble/IFG 20 + IPv4 20 + UDP 8 + BTH 12 + ICRC 4).
RDMA_EFFICIENCY = 4096 / (4096 + 82)

STORAGE_KINDS = ("shared", "smb", "local")
TRANSPORTS = ("tcpip", "compression", "smb")
VERSIONS = ("WS2008R2", "WS2012", "WS2012R2")

TRANSPORTS_OF_VERSION = {"WS2008R2": ("tcpip",), "WS2012": ("tcpip",),
                         "WS2012R2": ("tcpip", "compression", "smb")}
"""Live-migration performance options each version has: compression and SMB arrived in
Windows Server 2012 R2 (Microsoft, Set-VMHost -VirtualMachineMigrationPerformanceOption;
docs/domain.md#domain-performance-options)."""

MAX_VM_MEMORY_GIB = {"WS2008R2": 64.0, "WS2012": 1024.0, "WS2012R2": 1024.0}
"""Most memory one VM may have [GiB]: 64 GB in Windows Server 2008 R2, 1 TB in 2012 and 2012 R2
(Microsoft, "Hyper-V scalability in Windows Server 2012"; docs/domain.md)."""


# --------------------------------------------------------------------------------------------
# validation helpers
def _check_number(obj, name: str, unit: str, *, minimum=None, strict=False, maximum=None,
                  allow_none=False, integer=False):
    """Validate one numeric field of a dataclass instance; raise TypeError/ValueError."""
    cls = type(obj).__name__
    value = getattr(obj, name)
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{cls}.{name} must be a number [{unit}], got {type(value).__name__} "
                        f"{value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{cls}.{name} must be finite [{unit}], got {value!r}")
    if integer and int(value) != value:
        raise ValueError(f"{cls}.{name} must be a whole number [{unit}], got {value!r}")
    if minimum is not None:
        if strict and not value > minimum:
            raise ValueError(f"{cls}.{name} must be > {minimum} {unit}, got {value!r}")
        if not strict and not value >= minimum:
            raise ValueError(f"{cls}.{name} must be >= {minimum} {unit}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{cls}.{name} must be <= {maximum} {unit}, got {value!r}")


def _check_choice(obj, name: str, choices) -> None:
    cls = type(obj).__name__
    value = getattr(obj, name)
    if not isinstance(value, str):
        raise TypeError(f"{cls}.{name} must be a string, one of {', '.join(map(repr, choices))}; "
                        f"got {type(value).__name__} {value!r}")
    if value not in choices:
        raise ValueError(f"{cls}.{name} must be one of {', '.join(map(repr, choices))}; "
                         f"got {value!r}")


def _check_str(obj, name: str) -> None:
    value = getattr(obj, name)
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{type(obj).__name__}.{name} must be a non-empty string, got {value!r}")


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class VM:
    """A virtual machine to be moved.

    Parameters
    ----------
    name : str
        VM name, as Hyper-V shows it.
    memory_gib : float
        Configured memory [GiB]: the startup memory of a static VM, the maximum under Dynamic
        Memory. The first pre-copy pass sends the assigned part of it (`assigned_memory_gib`)
        less the pages never sent (`unsent_frac`); with the defaults, all of it.
    dirty_rate_mib_s : float
        Rate at which the running guest writes to memory pages [MiB/s]. With the default
        ("linear") workload model the pages dirtied during an interval t are
        ``min(dirty_rate * t, working_set)``.
    working_set_gib : float or None
        Writable working set [GiB] (Clark et al. 2005): the most memory that can be dirty at
        once. None means the whole of `memory_gib`.
    disk_gib : float
        Size of the virtual hard disks [GiB] (what a storage migration copies).
    disk_read_mib_s, disk_write_mib_s : float
        The guest's own disk read and write throughput [MiB/s] while it runs.
    disk_iops : float
        The guest's own disk I/O operations per second [1/s].
    state_mib : float
        Processor and device state sent in the blackout [MiB]. Default 8 MiB (unconfirmed: the
        WS2008 R2 whitepaper says only that "the state of the VM" is sent; small next to memory).
    storage : str
        Where the VM's files live: "shared" (cluster shared volume / SAN), "smb" (SMB 3 share) or
        "local" (the host's own disks: moving it needs Shared Nothing Live Migration).
    config_mib : float
        Configuration files [MiB] moved by a storage migration.
    checkpoint_gib : float
        Checkpoint (snapshot) differencing disks [GiB] moved by a storage migration.
    smart_paging_gib : float
        Smart paging file [GiB] moved by a storage migration.
    assigned_memory_gib : float or None
        Memory the VM holds now [GiB]. With Dynamic Memory only the assigned memory moves, not
        the configured maximum (L. Notley 2011: a VM "using 640MB of memory ... will only have
        to Live Migrate 640MB"). None: all of `memory_gib` (static memory).
    unsent_frac : float
        Share of the assigned memory a live migration never sends, e.g. pages the guest has
        never touched [fraction, 0 <= x < 1]. Default 0 (assumption: every assigned page is
        sent). A. Finn's 2012 measurements (20 x 512 MB in 80 s at a peak of 122.8 MB/s) imply
        that at most about 91 % of those VMs' memory crossed the wire.
    disk_count : int
        Virtual hard disks attached (each is one open VHDX file) [disks].
    checkpoint_count : int
        Checkpoints (each adds one differencing AVHDX file per disk) [checkpoints].
    host : str or None
        The host the VM runs on now (cluster planning, `hvlab.plan_maintenance`). None: not
        said (the single-host models do not need it).
    blackout_limit_s : float or None
        The longest blackout the VM's service may suffer in a migration [s] (cluster planning
        flags a VM whose predicted blackout is longer). None: no limit of its own.
    """

    name: str = "vm1"
    memory_gib: float = 4.0
    dirty_rate_mib_s: float = 0.0
    working_set_gib: float | None = None
    disk_gib: float = 0.0
    disk_read_mib_s: float = 0.0
    disk_write_mib_s: float = 0.0
    disk_iops: float = 0.0
    state_mib: float = 8.0
    storage: str = "shared"
    config_mib: float = 1.0
    checkpoint_gib: float = 0.0
    smart_paging_gib: float = 0.0
    assigned_memory_gib: float | None = None
    unsent_frac: float = 0.0
    disk_count: int = 1
    checkpoint_count: int = 0
    host: str | None = None
    blackout_limit_s: float | None = None

    def __post_init__(self):
        _check_str(self, "name")
        if self.host is not None:
            _check_str(self, "host")
        _check_number(self, "blackout_limit_s", "s", minimum=0, strict=True, allow_none=True)
        _check_number(self, "memory_gib", "GiB", minimum=0, strict=True)
        _check_number(self, "assigned_memory_gib", "GiB", minimum=0, strict=True,
                      allow_none=True)
        if self.assigned_memory_gib is not None and self.assigned_memory_gib > self.memory_gib:
            raise ValueError(f"VM.assigned_memory_gib must be <= memory_gib ({self.memory_gib} "
                             f"GiB, the configured maximum), got {self.assigned_memory_gib!r}")
        _check_number(self, "unsent_frac", "fraction", minimum=0)
        if self.unsent_frac >= 1:
            raise ValueError(f"VM.unsent_frac must be < 1 (share of memory never sent), got "
                             f"{self.unsent_frac!r}")
        _check_number(self, "disk_count", "disks", minimum=0, integer=True)
        _check_number(self, "checkpoint_count", "checkpoints", minimum=0, integer=True)
        _check_number(self, "dirty_rate_mib_s", "MiB/s", minimum=0)
        _check_number(self, "working_set_gib", "GiB", minimum=0, allow_none=True)
        if self.working_set_gib is not None and self.working_set_gib > self.assigned_gib:
            raise ValueError(f"VM.working_set_gib must be <= the memory the VM holds "
                             f"(assigned_memory_gib, else memory_gib: {self.assigned_gib} GiB), "
                             f"got {self.working_set_gib!r}")
        for name, unit in (("disk_gib", "GiB"), ("disk_read_mib_s", "MiB/s"),
                           ("disk_write_mib_s", "MiB/s"), ("disk_iops", "1/s"),
                           ("state_mib", "MiB"), ("config_mib", "MiB"),
                           ("checkpoint_gib", "GiB"), ("smart_paging_gib", "GiB")):
            _check_number(self, name, unit, minimum=0)
        _check_choice(self, "storage", STORAGE_KINDS)

    @property
    def assigned_gib(self) -> float:
        """Memory the VM holds now [GiB]: `assigned_memory_gib`, or all of `memory_gib`."""
        return self.memory_gib if self.assigned_memory_gib is None else self.assigned_memory_gib

    @property
    def memory_bytes(self) -> int:
        """Memory the VM holds now (assigned memory) [bytes]: what a saved state holds."""
        return int(round(self.assigned_gib * GIB))

    @property
    def sent_memory_bytes(self) -> float:
        """Memory the first pre-copy pass sends: assigned memory less `unsent_frac` [bytes]."""
        return self.memory_bytes * (1.0 - self.unsent_frac)

    @property
    def working_set_bytes(self) -> float:
        """Writable working set [bytes]; the memory sent when `working_set_gib` is None."""
        if self.working_set_gib is None:
            return self.sent_memory_bytes
        return min(self.working_set_gib * GIB, self.sent_memory_bytes)

    @property
    def open_files(self) -> int:
        """Files the running VM holds open where its files live: one VHDX per disk, one AVHDX
        per disk and checkpoint, the configuration file and the two saved-state files (.bin,
        .vsv) of a Windows Server 2012 VM [files]."""
        return self.disk_count * (1 + self.checkpoint_count) + 3

    @property
    def storage_bytes(self) -> float:
        """Everything a storage migration moves: disks, configuration, checkpoints and smart
        paging file [bytes]."""
        return ((self.disk_gib + self.checkpoint_gib + self.smart_paging_gib) * GIB
                + self.config_mib * MIB)


@dataclass(frozen=True, kw_only=True)
class Link:
    """The migration network between two hosts.

    Parameters
    ----------
    gbps : float
        Line rate of one NIC [Gbit/s, 10**9 bit/s].
    nics : int
        NICs between the hosts. SMB Multichannel spreads an SMB transfer over all of them; a
        TCP/IP live migration uses one unless `MigrationSettings.tcp_uses_all_nics` is set
        (whether one migration spreads over teamed NICs is disputed).
    efficiency : float
        Payload fraction of the line rate [fraction]. Default: TCP/IPv4 goodput on 1500-byte
        frames, 1460/1538 = 0.949 (118.7 MB/s on 1 GbE).
    rdma : bool
        The NICs do RDMA (SMB Direct: iWARP, RoCE, InfiniBand). Used by the "smb" transport, at
        `RDMA_EFFICIENCY` (RoCEv2 framing at a 4096-byte MTU, 0.980) and with no host CPU cost.
    """

    gbps: float = 1.0
    nics: int = 1
    efficiency: float = TCP_EFFICIENCY
    rdma: bool = False

    def __post_init__(self):
        _check_number(self, "gbps", "Gbit/s", minimum=0, strict=True)
        _check_number(self, "nics", "NICs", minimum=1, integer=True)
        _check_number(self, "efficiency", "fraction", minimum=0, strict=True, maximum=1)
        if not isinstance(self.rdma, bool):
            raise TypeError(f"Link.rdma must be True or False, got {self.rdma!r}")

    @property
    def nic_rate_bytes_s(self) -> float:
        """Payload rate of one NIC [bytes/s]."""
        return self.gbps * 1e9 / 8 * self.efficiency

    @property
    def rate_bytes_s(self) -> float:
        """Payload rate of the whole link, all NICs together [bytes/s]."""
        return self.nic_rate_bytes_s * self.nics

    @property
    def rdma_rate_bytes_s(self) -> float:
        """Payload rate of all NICs with SMB Direct framing [bytes/s]."""
        return self.gbps * 1e9 / 8 * RDMA_EFFICIENCY * self.nics


@dataclass(frozen=True, kw_only=True)
class Storage:
    """A storage array (SAN, local RAID or the disks behind a file server).

    Defaults describe a modest 2012-era array (unconfirmed, typical figures: a shelf of 15K SAS
    disks sustains roughly 120-200 MB/s each; docs/domain.md, physical bounds).

    Parameters
    ----------
    name : str
        Array name.
    read_mib_s, write_mib_s : float
        Sequential read and write throughput [MiB/s].
    iops : float
        I/O operations per second the array can serve [1/s].
    base_latency_ms : float
        Service latency of one I/O on an idle array [ms].
    capacity_gib : float or None
        Free capacity [GiB]; None means unlimited. A storage migration to a smaller target is
        refused.
    load_frac : float
        Utilisation of the array by everything else on it (other VMs, other hosts), not the VM
        being moved [fraction of the array's time busy, 0 <= load_frac < 1]. A storage copy
        shares the array with it; guest latency follows both (docs/models.md#models-storage-queue).
    host_link : Link or None
        The host's path to a block array (iSCSI over Ethernet, Fibre Channel, SAS), which a
        copy through the host crosses (reads in, writes out) and an ODX copy does not. None:
        the path is not a bottleneck (e.g. local disks behind a RAID controller).
    """

    name: str = "san"
    read_mib_s: float = 400.0
    write_mib_s: float = 300.0
    iops: float = 20000.0
    base_latency_ms: float = 5.0
    capacity_gib: float | None = None
    load_frac: float = 0.0
    host_link: "Link | None" = None

    def __post_init__(self):
        _check_str(self, "name")
        _check_number(self, "read_mib_s", "MiB/s", minimum=0, strict=True)
        _check_number(self, "write_mib_s", "MiB/s", minimum=0, strict=True)
        _check_number(self, "iops", "1/s", minimum=0, strict=True)
        _check_number(self, "base_latency_ms", "ms", minimum=0)
        _check_number(self, "capacity_gib", "GiB", minimum=0, allow_none=True)
        _check_number(self, "load_frac", "fraction", minimum=0)
        if self.load_frac >= 1:
            raise ValueError(f"Storage.load_frac must be < 1 (fraction of the array busy), got "
                             f"{self.load_frac!r}: an array busy all the time has no steady "
                             "state; lower the load or raise the array's throughput")
        if self.host_link is not None and not isinstance(self.host_link, Link):
            raise TypeError(f"Storage.host_link must be a hvlab.Link or None, got "
                            f"{self.host_link!r}")


@dataclass(frozen=True, kw_only=True)
class SmbShare:
    """An SMB 3 file share holding VM files: a storage array behind a file server, reached from
    the Hyper-V hosts over a link.

    Parameters
    ----------
    name : str
        File server (or share) name.
    storage : Storage
        The array behind the file server.
    link : Link
        The network between the Hyper-V hosts and the file server.
    continuously_available : bool
        The share is continuously available (an SMB 3 file-server cluster or a Scale-Out File
        Server): the hosts' handles are persistent (MS-SMB2 2.2.14.2.12) and survive a
        file-server failover. A stand-alone file server offers none; a NAS offers them only if it
        implements SMB 3 continuous availability (its vendor says so).
    """

    name: str = "fs01"
    storage: Storage = field(default_factory=Storage)
    link: Link = field(default_factory=Link)
    continuously_available: bool = True

    def __post_init__(self):
        _check_str(self, "name")
        if not isinstance(self.storage, Storage):
            raise TypeError(f"SmbShare.storage must be a hvlab.Storage, got {self.storage!r}")
        if not isinstance(self.link, Link):
            raise TypeError(f"SmbShare.link must be a hvlab.Link, got {self.link!r}")
        if not isinstance(self.continuously_available, bool):
            raise TypeError(f"SmbShare.continuously_available must be True or False, got "
                            f"{self.continuously_available!r}")


@dataclass(frozen=True, kw_only=True)
class Host:
    """A Hyper-V host of a cluster, for planning maintenance (`hvlab.plan_maintenance`).

    Parameters
    ----------
    name : str
        Host name, as the cluster shows it.
    memory_gib : float
        Physical memory [GiB].
    cores : int
        Logical processors [cores] (reported in the plan; the planner does not place by CPU).
    link : Link
        The host's live-migration network: what its migrations share, leaving when it is
        drained and arriving when its VMs come back.
    storage : Storage
        The host's own disks, holding its "local" VMs (moved by Shared Nothing Live
        Migration).
    reserve_gib : float
        Memory kept for the parent partition (the management OS) and never given to VMs
        [GiB]. Default 8 GiB (assumption: Hyper-V sizes the root reserve itself and Microsoft
        publishes no fixed figure; a larger reserve only makes fewer placements fit, it does
        not change any migration's time).
    """

    name: str = "hv01"
    memory_gib: float = 256.0
    cores: int = 32
    link: Link = field(default_factory=lambda: Link(gbps=10))
    storage: Storage = field(default_factory=lambda: Storage(name="local"))
    reserve_gib: float = 8.0

    def __post_init__(self):
        _check_str(self, "name")
        _check_number(self, "memory_gib", "GiB", minimum=0, strict=True)
        _check_number(self, "cores", "cores", minimum=1, integer=True)
        _check_number(self, "reserve_gib", "GiB", minimum=0)
        if self.reserve_gib >= self.memory_gib:
            raise ValueError(f"Host.reserve_gib must be < memory_gib ({self.memory_gib:g} GiB), "
                             f"got {self.reserve_gib!r}: nothing would be left for VMs")
        if not isinstance(self.link, Link):
            raise TypeError(f"Host.link must be a hvlab.Link, got {self.link!r}")
        if not isinstance(self.storage, Storage):
            raise TypeError(f"Host.storage must be a hvlab.Storage, got {self.storage!r}")

    @property
    def vm_memory_gib(self) -> float:
        """Memory VMs may use: `memory_gib` less `reserve_gib` [GiB]."""
        return self.memory_gib - self.reserve_gib


@dataclass(frozen=True, kw_only=True)
class MigrationSettings:
    """How Hyper-V is configured to move VMs. Use a preset (`WS2008R2`, `WS2012`, `WS2012R2`)
    and vary it with `dataclasses.replace`.

    Parameters
    ----------
    version : str
        The Windows Server version: "WS2008R2", "WS2012" or "WS2012R2". It decides which
        transports exist (`TRANSPORTS_OF_VERSION`) and the most memory a VM may have
        (`MAX_VM_MEMORY_GIB`).
    transport : str
        "tcpip", "compression" (WS2012 R2: memory compressed with idle CPU) or "smb" (WS2012 R2:
        SMB 3 with SMB Multichannel across all NICs, SMB Direct where the link does RDMA).
    max_passes : int
        Live pre-copy passes before the VM is paused whatever is still dirty [passes].
    stop_copy_mib : float
        When at most this much memory is dirty after a pass, the VM is paused [MiB].
    setup_s : float
        Connection, configuration transfer and skeleton-VM creation on the destination [s].
        Default 2.8 s: A. Finn's WS2012 measurements of a 512 MB VM (7 s on 1 GbE at 119.5 MB/s,
        5 s on 10 GbE at 338.5 MB/s) leave 2.5-3.4 s beside the transfer, of which `handle_move_s`
        and `resume_s` take 0.15 s.
    tcp_stream_gbps : float or None
        Most one TCP/IP (or compression) live-migration stream carries [Gbit/s of payload]: the
        stream is processed by one core, so it does not fill a fast link; several concurrent
        migrations do. None: no limit. Per preset (sources there).
    smb_connections_per_nic : int
        TCP connections SMB Multichannel opens per RSS-capable NIC when the link has no RDMA
        (Microsoft: `ConnectionCountPerRssNetworkInterface`, default 4); each is limited like a
        TCP stream. SMB Direct (RDMA) needs no host CPU per byte and has no such limit.
    copy_outstanding_ios : int
        I/Os a storage copy keeps in flight [I/Os]. Default 8 (assumption: Hyper-V's copy
        engine is not documented; docs/models.md#models-sensitivity shows how results move).
    copy_io_kib : float
        Size of one storage-copy I/O [KiB]. Default 1024 (assumption: large unbuffered I/Os).
    resume_s : float
        Resuming on the destination, unsolicited ARP, source clean-up, inside the blackout [s].
    compression_ratio : float
        Uncompressed / compressed bytes for the "compression" transport [ratio].
    max_live_migrations : int
        Simultaneous live migrations per host.
    max_storage_migrations : int
        Simultaneous storage migrations per host.
    handle_move_s : float
        Moving the storage handle (VHD ownership) to the destination in the blackout [s].
    compressor_mib_s_per_core : float
        Memory one idle core compresses [MiB/s of uncompressed memory].
    spare_cores : float
        Idle logical processors the compressor may use [cores]. Compression never runs faster
        than ``compressor_mib_s_per_core * spare_cores``: busy hosts fall back towards TCP/IP.
    tcp_uses_all_nics : bool
        A TCP/IP (or compression) live migration spreads over all of `Link.nics` (disputed:
        default False, one NIC per migration).
    ownership_move_s : float
        Cluster disk ownership move in a Quick Migration [s].
    dirty_model : str
        Guest memory-writing model: "linear" (pages dirtied in t are min(rate * t, working set))
        or "unique" (uniformly random page writes; distinct dirty pages grow as
        N (1 - exp(-w t / N)) over a working set of N pages).
    smb_handle_move_ms : float
        SMB Live Migration: moving one open file's handle and locks to the destination host in
        the blackout [ms per file]. SMB 3 persistent handles (MS-SMB2 2.2.14.2.12) are
        reclaimed with a durable reconnect, about one round trip each; default 2 ms is an
        assumption (no published figure).
    """

    transport: str = "tcpip"
    max_passes: int = 10
    stop_copy_mib: float = 64.0
    setup_s: float = 2.8
    resume_s: float = 0.1
    compression_ratio: float = 2.0
    max_live_migrations: int = 2
    max_storage_migrations: int = 2
    handle_move_s: float = 0.05
    compressor_mib_s_per_core: float = 250.0
    spare_cores: float = 4.0
    tcp_uses_all_nics: bool = False
    ownership_move_s: float = 2.0
    dirty_model: str = "linear"
    smb_handle_move_ms: float = 2.0
    version: str = "WS2012"
    tcp_stream_gbps: float | None = 4.0
    smb_connections_per_nic: int = 4
    copy_outstanding_ios: int = 8
    copy_io_kib: float = 1024.0

    def __post_init__(self):
        _check_choice(self, "version", VERSIONS)
        _check_choice(self, "transport", TRANSPORTS)
        if self.transport not in TRANSPORTS_OF_VERSION[self.version]:
            raise ValueError(
                f"MigrationSettings.transport={self.transport!r} does not exist in "
                f"{self.version}: the compression and SMB performance options arrived in Windows "
                f"Server 2012 R2; use hvlab.WS2012R2 (version='WS2012R2') or transport='tcpip'")
        _check_number(self, "tcp_stream_gbps", "Gbit/s", minimum=0, strict=True,
                      allow_none=True)
        _check_number(self, "smb_connections_per_nic", "connections", minimum=1, integer=True)
        _check_number(self, "copy_outstanding_ios", "I/Os", minimum=1, integer=True)
        _check_number(self, "copy_io_kib", "KiB", minimum=0, strict=True)
        _check_number(self, "max_passes", "passes", minimum=1, integer=True)
        _check_number(self, "stop_copy_mib", "MiB", minimum=0)
        _check_number(self, "setup_s", "s", minimum=0)
        _check_number(self, "resume_s", "s", minimum=0)
        _check_number(self, "compression_ratio", "ratio", minimum=1)
        _check_number(self, "max_live_migrations", "migrations", minimum=1, integer=True)
        _check_number(self, "max_storage_migrations", "migrations", minimum=1, integer=True)
        _check_number(self, "handle_move_s", "s", minimum=0)
        _check_number(self, "compressor_mib_s_per_core", "MiB/s", minimum=0, strict=True)
        _check_number(self, "spare_cores", "cores", minimum=0)
        _check_number(self, "ownership_move_s", "s", minimum=0)
        if not isinstance(self.tcp_uses_all_nics, bool):
            raise TypeError("MigrationSettings.tcp_uses_all_nics must be True or False, got "
                            f"{self.tcp_uses_all_nics!r}")
        _check_choice(self, "dirty_model", ("linear", "unique"))
        _check_number(self, "smb_handle_move_ms", "ms", minimum=0)

    @property
    def compressor_bytes_s(self) -> float:
        """Most uncompressed memory the compressor can process [bytes/s]."""
        return self.compressor_mib_s_per_core * self.spare_cores * MIB

    @property
    def tcp_stream_bytes_s(self) -> float:
        """Most one TCP live-migration stream carries [bytes/s of payload] (inf: no limit)."""
        return math.inf if self.tcp_stream_gbps is None else self.tcp_stream_gbps * 1e9 / 8

    @property
    def copy_io_bytes(self) -> float:
        """Size of one storage-copy I/O [bytes]."""
        return self.copy_io_kib * 1024.0


WS2008R2 = MigrationSettings(version="WS2008R2", transport="tcpip", max_passes=10,
                             max_live_migrations=1, tcp_stream_gbps=7.0)
"""Windows Server 2008 R2, the first version with Live Migration (2008 RTM had only Quick
Migration): TCP/IP only; 10 pre-copy passes (Directions on
Microsoft; not confirmed by Microsoft text); one live migration at a time per host pair
(Microsoft). One stream reached "not much more than 70%" of 10 GbE (Petri, 2013): 7 Gbit/s.
Stop threshold and handle-move times are unconfirmed defaults."""

WS2012 = MigrationSettings(version="WS2012", transport="tcpip", max_passes=10,
                           max_live_migrations=2, max_storage_migrations=2, tcp_stream_gbps=4.0)
"""Windows Server 2012: TCP/IP; pass cap unconfirmed (10 assumed, as WS2008 R2); 2 simultaneous
live migrations per host (Microsoft, Hyper-V Manager default); 2 simultaneous storage migrations
(seen in DSC code, unconfirmed by Microsoft text). One TCP live migration "used only around
4Gbps--it was maxing out a single core" (J. Savill, Windows IT Pro, 2013): 4 Gbit/s per
stream (A. Finn measured 2.7 Gbit/s for one 512 MB VM on 10 GbE, 2012)."""

WS2012R2 = MigrationSettings(version="WS2012R2", transport="compression", max_passes=5,
                             compression_ratio=2.0, max_live_migrations=2,
                             max_storage_migrations=2, tcp_stream_gbps=6.7)
"""Windows Server 2012 R2: compression is the default performance option (Microsoft,
Set-VMHost -VirtualMachineMigrationPerformanceOption); 5 passes (J. Savill, Mastering Hyper-V;
unconfirmed by Microsoft); ratio 2 from third parties' "about half the time" (unconfirmed; a
TechEd 2013 demo showed 60 s -> about 15 s for one VM on 1 GbE, a ratio near 4 for that VM).
One TCP stream moved a 55 GB VM "in about 70 seconds" on 10 GbE (D. Van Hoye, 2013): 6.7
Gbit/s."""

PRESETS = {"WS2008R2": WS2008R2, "WS2012": WS2012, "WS2012R2": WS2012R2}


def preset(name: str) -> MigrationSettings:
    """Return the `MigrationSettings` preset called `name` ("WS2008R2", "WS2012", "WS2012R2").

    Raises
    ------
    KeyError
        For an unknown name; the message lists the valid ones.
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}") from None


def replace(obj, **changes):
    """`dataclasses.replace`, re-exported for convenience."""
    return dataclasses.replace(obj, **changes)
