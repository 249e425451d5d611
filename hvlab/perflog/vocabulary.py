r"""The counter vocabulary: performance objects, counter names, instance-name formats and the
column levels of a log frame, spelled as an English-locale Windows Server 2012 / 2012 R2 host
writes them, and which Windows versions have which counters.

Every module that names a counter takes the name from here: the writer of simulated logs
(`hvlab.perflog.simulate`), the detector (`hvlab.perflog.find_migrations`) and the counter
catalogue (`hvlab.perflog.catalogue()`, which adds units and meanings). docs/perflogs.md lists
the formats and counter names; docs/domain.md says what the Hyper-V counters measure.

Lookups in a log ignore case (Get-Counter writes paths in lower case, and Windows itself is not
consistent: ``Transfer Pass: Number`` but ``Transfer pass: Dirty Page Count``). A localised host
writes localised names, which are not here.

Names shared by several objects (``Bytes Sent/sec`` of ``Network Interface`` and of
``Hyper-V Virtual Network Adapter``, ``Read Bytes/sec`` of the virtual disk and of the SMB
shares, ...) are spelled once and given a per-object alias (``NIC_SENT = BYTES_SENT``).

Sources (docs/domain.md, "Performance counters", lists them with what each confirms): the
WMI classes generated from a Windows host in Microsoft's ``microsoft/wmi`` repository
(``Win32_PerfRawData_LmPerfProvider_HyperVVMLiveMigration``,
``..._GmoPerfProvider_HyperVVMSaveSnapshotandRestore``, ``..._Counters_SMBDirectConnection``),
PAL's Windows Server 2012 Hyper-V threshold file (``HyperV30.xml``), windows_exporter's
``smb`` and ``smbclient`` collectors, E. Siron's counter lists per version (2012 R2 / 2016),
and Microsoft's Cluster Shared Volume performance-counter article.
"""
from __future__ import annotations

#: Names of the column levels of a log frame, in order.
LEVELS = ("host", "object", "instance", "counter")

# ---- performance objects ---------------------------------------------------------------------
LM_OBJECT = "Hyper-V VM Live Migration"
SSR_OBJECT = "Hyper-V VM Save, Snapshot, and Restore"
VSD_OBJECT = "Hyper-V Virtual Storage Device"
VNIC_OBJECT = "Hyper-V Virtual Network Adapter"
LP_OBJECT = "Hyper-V Hypervisor Logical Processor"
DM_OBJECT = "Hyper-V Dynamic Memory VM"
SMB_OBJECT = "SMB Client Shares"
SMB_SERVER_OBJECT = "SMB Server Shares"
NIC_OBJECT = "Network Interface"
DISK_OBJECT = "PhysicalDisk"
LOGICAL_DISK_OBJECT = "LogicalDisk"
PROCESSOR_OBJECT = "Processor"
MEMORY_OBJECT = "Memory"
SMB_DIRECT_OBJECT = "SMB Direct Connection"
RDMA_OBJECT = "RDMA Activity"
CSV_OBJECT = "Cluster CSV File System"

# ---- counter names that several objects share --------------------------------------------------
BYTES_SENT = "Bytes Sent/sec"
BYTES_RECEIVED = "Bytes Received/sec"
READ_BYTES = "Read Bytes/sec"
WRITE_BYTES = "Write Bytes/sec"
SEC_PER_READ = "Avg. sec/Read"
SEC_PER_WRITE = "Avg. sec/Write"
DATA_BYTES = "Data Bytes/sec"
OPEN_FILES = "Current Open File Count"

# ---- Hyper-V VM Live Migration (instance: see lm_instance) -----------------------------------
PASS_NUMBER = "Transfer Pass: Number"
DIRTY_PAGES = "Transfer pass: Dirty Page Count"
IS_BLACKOUT = "Transfer Pass: Is blackout"
CPU_CAP = "Transfer pass: CPU Cap"
TCP_SENT = "TCP Transport: Bytes Sent/sec"
TCP_RECEIVED = "TCP Transport: Bytes Received/sec"
TCP_PENDING = "TCP Transport: Bytes Pending Send"
WALKER_UNCOMPRESSED_TOTAL = "Memory Walker: Uncompressed Bytes Sent"
WALKER_UNCOMPRESSED = "Memory Walker: Uncompressed Bytes Sent/sec"
WALKER_READ = "Memory Walker: Bytes Read/sec"
COMPRESSED_SENT_TOTAL = "Compressor: Compressed Bytes Sent"
COMPRESSED_SENT = "Compressor: Compressed Bytes Sent/sec"
TO_COMPRESS = "Compressor: Bytes to be Compressed"
SMB_SENT_TOTAL = "SMB Transport: Bytes Sent"
SMB_SENT = "SMB Transport: Bytes Sent/sec"
SMB_PENDING = "SMB Transport: Pending Send Bytes"
RECEIVER_UNCOMPRESSED = "Receiver: Uncompressed Bytes Received/sec"
RECEIVER_COMPRESSED = "Receiver: Compressed Bytes Received/sec"
RECEIVER_PENDING_WRITE = "Receiver: Bytes Pending Write"
RECEIVER_WRITTEN = "Receiver: Bytes Written/sec"
RECEIVER_DECOMPRESSED = "Receiver: Decompressed Bytes/sec"

# ---- Hyper-V VM Save, Snapshot, and Restore (instance: see ssr_instance) -----------------------
SSR_OPERATION_TIME = "Operation Time"

# ---- Hyper-V Virtual Storage Device (instance: see vhd_instance) -----------------------------
VSD_READ = READ_BYTES
VSD_WRITE = WRITE_BYTES
VSD_READ_COUNT = "Read Count"
VSD_WRITE_COUNT = "Write Count"
VSD_QUEUE = "Queue Length"
VSD_LATENCY = "Latency"
VSD_THROUGHPUT = "Throughput"
VSD_ERRORS = "Error Count"

# ---- Hyper-V Virtual Network Adapter, Hypervisor Logical Processor, Dynamic Memory VM ---------
VNIC_SENT = BYTES_SENT
VNIC_RECEIVED = BYTES_RECEIVED
LP_TOTAL_RUN = "% Total Run Time"
LP_GUEST_RUN = "% Guest Run Time"
DM_PHYSICAL_MEMORY = "Physical Memory"
DM_PRESSURE = "Current Pressure"

# ---- SMB Client Shares / SMB Server Shares (the same counter names) --------------------------
SMB_READ = READ_BYTES
SMB_WRITE = WRITE_BYTES
SMB_SEC_READ = SEC_PER_READ
SMB_SEC_WRITE = SEC_PER_WRITE
SMB_DIRECT_READ = "Read Bytes transmitted via SMB Direct/sec"
SMB_DIRECT_WRITE = "Write Bytes transmitted via SMB Direct/sec"

# ---- SMB Direct Connection, RDMA Activity (RDMA traffic bypasses Network Interface) ----------
SMBD_RDMA_READ = "Bytes RDMA Read/sec"
SMBD_RDMA_WRITTEN = "Bytes RDMA Written/sec"
SMBD_SENT = BYTES_SENT
SMBD_RECEIVED = BYTES_RECEIVED
RDMA_INBOUND = "RDMA Inbound Bytes/sec"
RDMA_OUTBOUND = "RDMA Outbound Bytes/sec"

# ---- Cluster CSV File System (instance: the volume) ------------------------------------------
CSV_REDIRECTED_READ = "Redirected Read Bytes/sec"
CSV_REDIRECTED_WRITE = "Redirected Write Bytes/sec"

# ---- Network Interface (instance: see nic_name) ----------------------------------------------
NIC_SENT = BYTES_SENT
NIC_RECEIVED = BYTES_RECEIVED
NIC_BANDWIDTH = "Current Bandwidth"

# ---- PhysicalDisk / LogicalDisk (the same counter names) -------------------------------------
DISK_SEC_READ = "Avg. Disk sec/Read"
DISK_SEC_WRITE = "Avg. Disk sec/Write"
DISK_READ = "Disk Read Bytes/sec"
DISK_WRITE = "Disk Write Bytes/sec"
DISK_QUEUE = "Current Disk Queue Length"
DISK_IDLE = "% Idle Time"

# ---- Processor, Memory -------------------------------------------------------------------------
PROCESSOR_TIME = "% Processor Time"
AVAILABLE_MBYTES = "Available MBytes"

#: Line rates a NIC reports in ``Current Bandwidth`` [Gbit/s], smallest first.
STANDARD_GBPS = (1.0, 10.0, 25.0, 40.0, 56.0, 100.0)

# ---- instance-name formats -------------------------------------------------------------------
#: What follows the VM name in a ``Hyper-V VM Live Migration`` instance (WS2012 R2).
LM_SUFFIX = ":VM Live Migration"
#: What follows the VM name in a ``Hyper-V VM Save, Snapshot, and Restore`` instance.
SSR_SUFFIX = ":Current or most recent Save-Restore-Snapshot operation"


def lm_instance(vm: str) -> str:
    """The ``Hyper-V VM Live Migration`` instance name of a VM: ``"<vm>:VM Live Migration"``."""
    return f"{vm}{LM_SUFFIX}"


def vm_of_instance(instance: str) -> str:
    """The VM name in a ``Hyper-V VM Live Migration`` instance (the instance itself when it
    does not end in ``:VM Live Migration``); the inverse of `lm_instance`."""
    return instance[:-len(LM_SUFFIX)] if instance.endswith(LM_SUFFIX) else instance


def ssr_instance(vm: str) -> str:
    """The ``Hyper-V VM Save, Snapshot, and Restore`` instance of a VM."""
    return f"{vm}{SSR_SUFFIX}"


def vm_of_ssr_instance(instance: str) -> str:
    """The VM name in a ``Hyper-V VM Save, Snapshot, and Restore`` instance."""
    return instance[:-len(SSR_SUFFIX)] if instance.endswith(SSR_SUFFIX) else instance


def vhd_instance(path: str) -> str:
    r"""A VHD path as a ``Hyper-V Virtual Storage Device`` instance: ``\`` becomes ``-``
    (``C:\ClusterStorage\Volume1\sql01.vhdx`` -> ``C:-ClusterStorage-Volume1-sql01.vhdx``).
    A VHD on an SMB share is opened by its ``\\?\UNC\`` path, so ``\\fs01\vms\x.vhdx``
    becomes ``--?-UNC-fs01-vms-x.vhdx``."""
    if path.startswith("\\\\") and not path.startswith(("\\\\?\\", "\\\\.\\")):
        path = "\\\\?\\UNC\\" + path[2:]
    return path.replace("\\", "-")


def smb_share_instance(unc: str) -> str:
    r"""An ``SMB Client Shares`` instance for a share: one leading backslash
    (``\\fs01\vms`` -> ``\fs01\vms``)."""
    return "\\" + unc.lstrip("\\")


def nic_name(gbps: float) -> str:
    """A realistic ``Network Interface`` instance name for a line rate [Gbit/s] (PDH writes
    ``(`` ``)`` in instance names as ``[`` ``]``)."""
    if gbps <= 1:
        return "Intel[R] 82576 Gigabit Dual Port Network Connection"
    return f"Intel[R] 82599 {gbps:g} Gigabit Dual Port Network Connection"


#: What the instances of each object are, in words (the catalogue's ``instance`` column).
INSTANCE_FORMATS: dict[str, str] = {
    LM_OBJECT: f"<VM>{LM_SUFFIX} (WS2012 R2)",
    VSD_OBJECT: "the VHD/VHDX path with \\ replaced by - (C:-VMs-sql01.vhdx)",
    LP_OBJECT: "Hv LP 0, Hv LP 1, ..., _Total",
    DM_OBJECT: "VM name",
    VNIC_OBJECT: "VM name_Network Adapter_<id>",
    SMB_OBJECT: "\\server\\share (one leading backslash: \\fs01\\vms)",
    SMB_SERVER_OBJECT: "share name",
    NIC_OBJECT: "NIC description",
    DISK_OBJECT: "0 C:, 1 D:, _Total",
    LOGICAL_DISK_OBJECT: "C:, D:, _Total",
    PROCESSOR_OBJECT: "0, 1, _Total",
    SSR_OBJECT: f"<VM>{SSR_SUFFIX}",
    SMB_DIRECT_OBJECT: "local IP:port - remote IP:port of each connection",
    RDMA_OBJECT: "RDMA-capable NIC description",
    CSV_OBJECT: "CSV volume (Volume1, ...)",
}

# ---- which versions have which counters --------------------------------------------------------
#: Live Migration counters of the Compression and SMB performance options, which arrived with
#: Windows Server 2012 R2 (Microsoft, "What's new in Hyper-V for Windows Server 2012 R2"): a
#: WS2012 host's log cannot hold them.
R2_ONLY = frozenset({
    (LM_OBJECT, COMPRESSED_SENT_TOTAL), (LM_OBJECT, COMPRESSED_SENT), (LM_OBJECT, TO_COMPRESS),
    (LM_OBJECT, SMB_SENT_TOTAL), (LM_OBJECT, SMB_SENT), (LM_OBJECT, SMB_PENDING),
    (LM_OBJECT, RECEIVER_COMPRESSED), (LM_OBJECT, RECEIVER_DECOMPRESSED),
})
#: Counters no source confirms on WS2012 or WS2012 R2: E. Siron's per-version lists name them
#: for Windows Server 2016 only (Microsoft documents them with Storage QoS / VHD history).
UNCONFIRMED = frozenset({(VSD_OBJECT, VSD_LATENCY), (VSD_OBJECT, VSD_THROUGHPUT)})


def versions(obj: str, counter: str) -> str:
    """On which Windows Server versions a counter is there: "WS2012, WS2012 R2", "WS2012 R2"
    or "unconfirmed on WS2012 / WS2012 R2"."""
    key = (obj, counter)
    if key in UNCONFIRMED:
        return "unconfirmed on WS2012 / WS2012 R2 (listed for WS2016)"
    if key in R2_ONLY:
        return "WS2012 R2"
    return "WS2012, WS2012 R2"
