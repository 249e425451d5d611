r"""The counter vocabulary: performance objects, counter names, instance-name formats and the
column levels of a log frame, spelled as an English-locale Windows Server 2012 / 2012 R2 host
writes them.

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
"""
from __future__ import annotations

#: Names of the column levels of a log frame, in order.
LEVELS = ("host", "object", "instance", "counter")

# ---- performance objects ---------------------------------------------------------------------
LM_OBJECT = "Hyper-V VM Live Migration"
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
RECEIVER_WRITTEN = "Receiver: Bytes Written/sec"
RECEIVER_DECOMPRESSED = "Receiver: Decompressed Bytes/sec"

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


def lm_instance(vm: str) -> str:
    """The ``Hyper-V VM Live Migration`` instance name of a VM: ``"<vm>:VM Live Migration"``."""
    return f"{vm}{LM_SUFFIX}"


def vm_of_instance(instance: str) -> str:
    """The VM name in a ``Hyper-V VM Live Migration`` instance (the instance itself when it
    does not end in ``:VM Live Migration``); the inverse of `lm_instance`."""
    return instance[:-len(LM_SUFFIX)] if instance.endswith(LM_SUFFIX) else instance


def vhd_instance(path: str) -> str:
    r"""A VHD path as a ``Hyper-V Virtual Storage Device`` instance: ``\`` becomes ``-``
    (``C:\ClusterStorage\Volume1\sql01.vhdx`` -> ``C:-ClusterStorage-Volume1-sql01.vhdx``)."""
    return path.replace("\\", "-")


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
    SMB_OBJECT: "\\server\\share",
    SMB_SERVER_OBJECT: "share name",
    NIC_OBJECT: "NIC description",
    DISK_OBJECT: "0 C:, 1 D:, _Total",
    LOGICAL_DISK_OBJECT: "C:, D:, _Total",
    PROCESSOR_OBJECT: "0, 1, _Total",
}
