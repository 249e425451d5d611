"""Classroom exercises that check themselves: ``hv.exercises.check("q3", answer)``.

>>> import hvlab as hv
>>> hv.exercises.questions()            # doctest: +SKIP  (id, topic, question, unit)
>>> hv.exercises.check("q3", 113)       # doctest: +SKIP

A right answer is accepted (numbers within the question's tolerance); a wrong one is rejected
with a hint. The answer itself is never shown, and it is not stored here either:

- numeric answers are computed when you check, by running the same hvlab models the workshop
  uses on the scenario the question describes (so this file holds the scenarios, never the
  numbers);
- the few conceptual answers (a word, not a number) are stored only as salted SHA-256 digests.

Printing this module, its questions or a check's result therefore shows what is asked and how
close you are, not what the answer is. (Reading the source shows how the scenario is set up,
which is what the question says anyway: running it *is* solving the exercise.)
"""
from __future__ import annotations

import functools
import hashlib
import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from hvlab.params import GIB, MIB

_SALT = "hvlab-exercises-v1:"
DATA_DIR = Path(__file__).resolve().parents[1] / "data"

# unit slips worth pointing out: (factor, what was probably mixed up)
_UNIT_SLIPS = [
    (1024.0, "binary units (GiB vs MiB, MiB vs KiB)"),
    (1000.0, "milliseconds vs seconds (or decimal kilo vs units)"),
    (60.0, "seconds vs minutes"),
    (8.0, "bits vs bytes"),
    (100.0, "a percentage vs a fraction"),
    (1.073741824, "binary vs decimal units (GiB vs GB)"),
    (1.048576, "binary vs decimal units (MiB vs MB)"),
]


def _digest(text: str) -> str:
    return hashlib.sha256((_SALT + text.strip().lower()).encode()).hexdigest()


@dataclass(frozen=True)
class Question:
    """One exercise.

    Attributes
    ----------
    id : str
        "q1", "q2", ...
    topic : str
        The workshop notebook it belongs to.
    text : str
        The question, with the unit the answer is expected in.
    unit : str
        Unit of the answer ("" for counts and words).
    kind : str
        "number" (within `rel_tol`), "integer" (exact), "choice" (one word of `choices`) or
        "choices" (a list of words of `choices`, in any order).
    rel_tol : float
        Relative tolerance of "number" answers [fraction].
    hints : tuple of str
        Shown, one after another, when an answer is wrong.
    choices : tuple of str
        The accepted vocabulary of "choice" and "choices" answers.
    """

    id: str
    topic: str
    text: str
    unit: str
    kind: str
    hints: tuple[str, ...]
    rel_tol: float = 0.02
    choices: tuple[str, ...] = ()
    _solve: Callable[[], Any] = field(repr=False, compare=False, default=None)
    _digests: tuple[str, ...] = field(repr=False, compare=False, default=())

    def __str__(self) -> str:
        unit = f" [{self.unit}]" if self.unit else ""
        options = f" (answer with: {', '.join(map(repr, self.choices))})" if self.choices else ""
        return f"{self.id} ({self.topic}){unit}: {self.text}{options}"


@dataclass(frozen=True)
class CheckResult:
    """What `check` says: truthy when the answer is right. Shows as a coloured line in
    Jupyter; never contains the expected answer."""

    question: str
    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        mark = "right" if self.correct else "not yet"
        return f"{self.question}: {mark}. {self.message}"

    def _repr_html_(self) -> str:
        import html

        colour = "#1a7f37" if self.correct else "#a50f15"
        mark = "&#10004; right" if self.correct else "&#10008; not yet"
        return (f"<div style='color:{colour}'><b>{html.escape(self.question)}: {mark}.</b> "
                f"{html.escape(self.message)}</div>")


# --------------------------------------------------------------------------------------------
# scenarios (the answers are computed from them at check time)
def _hv():
    import hvlab

    return hvlab


def _sql01():
    return _hv().VM(name="sql01", memory_gib=8, dirty_rate_mib_s=40)


def _live_sql01():
    hv = _hv()
    return hv.live_migration(_sql01(), hv.Link(gbps=1), hv.WS2012)


def _converging_transports():
    import dataclasses

    hv = _hv()
    hot = dataclasses.replace(_sql01(), dirty_rate_mib_s=400)
    nic = hv.Link(gbps=10, rdma=True)  # the same link for every transport
    runs = {name: hv.live_migration(hot, nic, dataclasses.replace(hv.WS2012R2, transport=name))
            for name in ("tcpip", "compression", "smb")}
    return sorted(name for name, r in runs.items() if r.converged)


def _san():
    return _hv().Storage(name="san", write_mib_s=300, read_mib_s=400)


def _quick_16():
    hv = _hv()
    return hv.quick_migration(hv.VM(name="sql01", memory_gib=16), _san(), hv.WS2012).downtime_s


def _gib_per_minute():
    hv = _hv()
    one = hv.analytic.quick(hv.VM(memory_gib=16), _san(), hv.WS2012)["downtime_s"]
    two = hv.analytic.quick(hv.VM(memory_gib=17), _san(), hv.WS2012)["downtime_s"]
    return 60.0 / (two - one)


def _smb_handles_ms():
    hv = _hv()
    vm = hv.VM(name="web01", memory_gib=4, dirty_rate_mib_s=20, storage="smb", disk_count=2,
               checkpoint_count=3)
    share = hv.SmbShare(continuously_available=True)
    r = hv.smb_live_migration(vm, hv.Link(gbps=10), share, hv.WS2012)  # handles: VM.open_files
    return r.details["handle_move_s"] * 1000


def _file_vm():
    return _hv().VM(name="file01", memory_gib=8, dirty_rate_mib_s=20, disk_gib=100,
                    disk_read_mib_s=20, disk_write_mib_s=10, disk_iops=400, storage="local")


def _storage_extra_written_gib():
    hv = _hv()
    vm = _file_vm()
    r = hv.storage_migration(vm, hv.Storage(name="array-a"), hv.Storage(name="array-b"))
    return (r.storage_write_bytes - vm.storage_bytes) / GIB


def _latency_rise():
    hv = _hv()
    busy = hv.Storage(name="array-a", load_frac=0.6)
    r = hv.storage_migration(_file_vm(), busy, hv.Storage(name="array-b"))
    return r.details["guest_latency_during_ms"] / r.details["guest_latency_before_ms"]


def _shared_nothing(gbps: float):
    hv = _hv()
    return hv.shared_nothing_migration(_file_vm(), hv.Link(gbps=gbps), hv.Storage(name="local-a"),
                                       hv.Storage(name="local-b"))


def _drain_minutes(max_live: int):
    import dataclasses

    hv = _hv()
    vms = [hv.VM(name=f"vm{i}", memory_gib=8, dirty_rate_mib_s=30) for i in range(1, 7)]
    settings = dataclasses.replace(hv.WS2012, max_live_migrations=max_live)
    return hv.drain_host(vms, hv.Link(gbps=1), settings).total_s / 60


_CLUSTER_FILES = "data/cluster/hosts.csv and data/cluster/vms.csv"


@functools.lru_cache(maxsize=1)
def _example_plan():
    hv = _hv()
    hosts, vms = hv.read_cluster(DATA_DIR / "cluster" / "hosts.csv",
                                 DATA_DIR / "cluster" / "vms.csv")
    return hv.plan_maintenance(hosts, vms, hv.WS2012R2, blackout_limit_s=2, patch_s=900,
                               seed=0)


def _log_network_gib():
    hv = _hv()
    path = DATA_DIR / "sql01_live_1gbe_ws2012.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the exercises need the sample logs in data/")
    df, _ = hv.read_perflog(path)
    return float(hv.find_migrations(df)["network_bytes"].sum()) / GIB


_GBE = ("one 1 Gbit/s NIC (TCP/IP on 1500-byte Ethernet frames: 1460 bytes of payload per "
        "1538 bytes on the wire)")
_ARRAY = "reads 400 MiB/s, writes 300 MiB/s, 20,000 I/Os per second, 5 ms per I/O when idle"
_FILE01 = ("The VM file01 has 8 GiB of static memory dirtied at 20 MiB/s, a 100 GiB virtual "
           "disk and 1 MiB of configuration files; its guest reads 20 MiB/s and writes "
           "10 MiB/s in 400 I/Os per second.")

QUESTIONS: dict[str, Question] = {q.id: q for q in [
    Question("q1", "01 Live Migration",
             "An 8 GiB VM (static memory) whose guest dirties 40 MiB/s is live-migrated over "
             f"{_GBE} with Windows Server 2012 settings: the VM is paused once at most 64 MiB "
             "is dirty after a pass, or after 10 passes. How many live pre-copy passes run "
             "before the blackout (the blackout copy not counted)?", "", "integer",
             ("Each pass copies what the previous one left dirty; count until what is dirty "
              "falls under the stop-copy threshold (64 MiB).",
              "Run hv.live_migration and look at result.n_passes or result.passes."),
             _solve=lambda: _live_sql01().n_passes),
    Question("q2", "01 Live Migration",
             "For the same migration, how long is the VM paused (the blackout)? In the "
             "blackout the last dirty pages and 8 MiB of device state cross the link, the "
             "storage handle moves (0.05 s) and the VM resumes (0.1 s).", "s", "number",
             ("The blackout sends the pages still dirty after the last pass plus the device "
              "state, then moves the storage handle and resumes the VM.",
              "result.downtime_s, in seconds."), rel_tol=0.05,
             _solve=lambda: _live_sql01().downtime_s),
    Question("q3", "01 Live Migration",
             "Above which dirty rate can a Windows Server 2012 TCP/IP pre-copy over "
             f"{_GBE} no longer shrink its passes? (One TCP stream could carry up to "
             "4 Gbit/s, more than this NIC.)", "MiB/s", "number",
             ("Passes shrink by the ratio dirty rate / copy rate. Where is that ratio 1?",
              "The copy rate is the NIC's payload rate: Ethernet, IP and TCP headers take part "
              "of every 1538-byte frame on the wire."), rel_tol=0.02,
             _solve=lambda: _hv().Link(gbps=1).rate_bytes_s / MIB),
    Question("q4", "01 Live Migration",
             "An 8 GiB VM (static memory) dirties 400 MiB/s. It is live-migrated with "
             "Windows Server 2012 R2 settings (pause once at most 64 MiB is dirty, or after 5 "
             "passes) over the same link each time: one 10 Gbit/s NIC that does RDMA. Which "
             "transports converge: 'tcpip' (one TCP stream, at most 6.7 Gbit/s of payload, "
             "1460/1538 framing), 'compression' (ratio 2, 4 spare cores compressing 250 MiB/s "
             "each, over that one TCP stream) and 'smb' (SMB Direct, RDMA framing 4096 bytes "
             "of payload per 4178)? Answer with a list of names.", "", "choices",
             ("Compare each transport's memory copy rate on this one link with the dirty "
              "rate, and remember the pass cap.",
              "Run hv.live_migration with dataclasses.replace(hv.WS2012R2, transport=...) "
              "over hv.Link(gbps=10, rdma=True); result.converged tells you. The answer may "
              "hold one, several or none."),
             choices=("tcpip", "compression", "smb"), _solve=_converging_transports),
    Question("q5", "02 Quick versus Live Migration",
             "A 16 GiB VM (static memory, 8 MiB of device state) is quick-migrated on a SAN "
             "that writes 300 MiB/s and reads 400 MiB/s, with Windows Server 2012 settings: "
             "moving disk ownership takes 2 s and resuming 0.1 s. How long is it down?", "s",
             "number",
             ("Quick Migration saves memory and state to the SAN, moves disk ownership, reads "
              "them back and resumes: the VM is down for all of it.",
              "Memory is in GiB, array rates in MiB/s."), rel_tol=0.03, _solve=_quick_16),
    Question("q6", "02 Quick versus Live Migration",
             "On that SAN (writes 300 MiB/s, reads 400 MiB/s), how much extra VM memory adds "
             "one minute to Quick Migration's downtime?", "GiB", "number",
             ("Each GiB is written once and read once.",
              "hv.analytic.quick gives the parts of the downtime."), rel_tol=0.03,
             _solve=_gib_per_minute),
    Question("q7", "03 SMB 3 and SMB Live Migration",
             "A 4 GiB VM dirtying 20 MiB/s keeps its files on a continuously available SMB 3 "
             "share (a Scale-Out File Server). It has 2 virtual disks and 3 checkpoints, and "
             "its guest holds 400 files open inside its disks. It is SMB-live-migrated over "
             "one 10 Gbit/s NIC with Windows Server 2012 settings, where handing over one "
             "handle and its locks takes 2 ms. How much of the blackout is the handle "
             "hand-over?", "ms", "number",
             ("Only the host's handles on the share move: one VHDX per disk, one AVHDX per "
              "disk and checkpoint, the configuration and two saved-state files. The guest's "
              "own files are inside the VHDX: they are not handles on the share.",
              "VM.open_files counts them; result.details['handle_move_s'] is in seconds."),
             rel_tol=0.03, _solve=_smb_handles_ms),
    Question("q8", "04 Storage Live Migration",
             f"{_FILE01} It is storage-migrated from one array to another, both hvlab's "
             f"default array ({_ARRAY}, idle otherwise), with Windows Server 2012 settings "
             "(8 copy I/Os of 1 MiB in flight). How much more does the migration write to the "
             "target than the size of the VM's files (VM.storage_bytes)?", "GiB", "number",
             ("New writes are mirrored to both copies while the copy runs; blocks a mirrored "
              "write already put on the target are not copied again.",
              "result.storage_write_bytes and vm.storage_bytes are in bytes."), rel_tol=0.03,
             _solve=_storage_extra_written_gib),
    Question("q9", "04 Storage Live Migration",
             "While a Storage Live Migration copies, where do the guest's new writes go: "
             "'source', 'target' or 'both'?", "", "choice",
             ("Think about what happens if the copy fails half way, and about blocks that are "
              "already copied.",),
             choices=("source", "target", "both"),
             _digests=("815993c5e3a12274989b52593caac698e52358b5d8185865a4198e2e9d47cf72",)),
    Question("q10", "04 Storage Live Migration",
             "Move the same VM (file01: 100 GiB disk; guest reads 20 MiB/s, writes 10 MiB/s, "
             "400 I/Os per second) the same way, but off a source array already 60 % busy with "
             "other work (load_frac=0.6; otherwise the default array, as is the target). By "
             "what factor does the guest's mean I/O latency during the copy exceed its latency "
             "before?", "ratio", "number",
             ("A busy array gets worse before it gets better: the copy adds reads and writes "
              "to the same queue.",
              "result.details holds guest_latency_before_ms and guest_latency_during_ms."),
             rel_tol=0.05, _solve=_latency_rise),
    Question("q11", "05 Shared Nothing Live Migration",
             f"{_FILE01} It moves by Shared Nothing Live Migration from one stand-alone host "
             f"to another over {_GBE}, with Windows Server 2012 settings (64 MiB stop "
             "threshold, 10-pass cap, 8 copy I/Os of 1 MiB in flight, 2.8 s of setup). Each "
             "host's local "
             f"storage is hvlab's default array ({_ARRAY}, idle otherwise). How long does the "
             "move take?", "min", "number",
             ("Storage first (with mirrored writes), then memory, all over the one link.",
              "total_s is in seconds."), rel_tol=0.05,
             _solve=lambda: _shared_nothing(1).total_s / 60),
    Question("q12", "05 Shared Nothing Live Migration",
             "How many times faster is that move over one 10 Gbit/s NIC instead (everything "
             "else the same; one TCP stream carries at most 4 Gbit/s in Windows Server "
             "2012)?", "ratio", "number",
             ("Divide the two total times.",
              "Over 10 Gbit/s the network may stop being the bottleneck: what else limits "
              "the copy?"), rel_tol=0.05,
             _solve=lambda: _shared_nothing(1).total_s / _shared_nothing(10).total_s),
    Question("q13", "06 Planned maintenance",
             "Six VMs on a cluster's shared storage (8 GiB of static memory each, dirtying "
             f"30 MiB/s) are drained off a node over {_GBE}, in the given order. How many "
             "minutes does the drain take with Windows Server 2012 settings: 2 simultaneous "
             "live migrations, 64 MiB stop threshold, 10-pass cap, 2.8 s of setup, 8 MiB of "
             "device state per VM?", "min", "number",
             ("hv.WS2012.max_live_migrations migrations run at once; the others queue.",
              "DrainResult.total_s is in seconds."), rel_tol=0.05,
             _solve=lambda: _drain_minutes(_hv().WS2012.max_live_migrations)),
    Question("q14", "06 Planned maintenance",
             "For the same drain (six 8 GiB VMs dirtying 30 MiB/s, one 1 Gbit/s NIC, "
             "Windows Server 2012 settings), which finishes sooner: one live migration at a "
             "time or two at a time? Answer 1 or 2.", "", "choice",
             ("Two migrations share the link: each copies at half the rate while its guest "
              "keeps dirtying memory at full speed.",
              "Run hv.drain_host with dataclasses.replace(hv.WS2012, max_live_migrations=1) "
              "and with 2, and compare total_s."),
             choices=("1", "2"),
             _solve=lambda: "1" if _drain_minutes(1) < _drain_minutes(2) else "2"),
    Question("q15", "07 Analysing performance logs",
             "Load data/sql01_live_1gbe_ws2012.csv. How much did the live migration in it send "
             "over the network?", "GiB", "number",
             ("hv.read_perflog, then hv.find_migrations: one row per migration.",
              "network_bytes is in bytes."), rel_tol=0.03, _solve=_log_network_gib),
    Question("q16", "08 Planning a cluster's maintenance",
             f"Plan the example cluster ({_CLUSTER_FILES}) with Windows Server 2012 R2 "
             "settings (hv.WS2012R2), a blackout limit of 2 s for VMs without their own, each "
             "host down 900 s for patching, seed 0. How many hours shorter than the default "
             "policy (hosts in file order, each drained, patched and refilled before the "
             "next, first host with room, the preset's transport and concurrency) is the "
             "plan?", "h", "number",
             ("hv.read_cluster, then hv.plan_maintenance(hosts, vms, hv.WS2012R2, "
              "blackout_limit_s=2): the plan keeps the default policy's time beside its own.",
              "baseline_total_s - total_s is in seconds."), rel_tol=0.03,
             _solve=lambda: _example_plan().gain_s / 3600),
    Question("q17", "08 Planning a cluster's maintenance",
             "In the same plan (example cluster, hv.WS2012R2, 2 s limit for VMs without "
             "their own, 900 s patching, seed 0), how many VMs are flagged: a predicted "
             "blackout over their limit, or a move that does not converge?", "", "integer",
             ("Each VM moves twice (out and back); its predicted blackout is the longer one.",
              "MaintenancePlan.flags has one row per flagged VM."),
             _solve=lambda: len(_example_plan().flags)),
    Question("q18", "08 Planning a cluster's maintenance",
             "In the same plan (example cluster, hv.WS2012R2, 2 s limit for VMs without "
             "their own, 900 s patching, seed 0), which host is drained first? Answer with "
             "its name.", "", "choice",
             ("MaintenancePlan.host_order, or the first row of plan.phases.",
              "The longest phases are on the hosts with the slowest migration network."),
             choices=tuple(f"hv{i:02d}" for i in range(1, 17)),
             _solve=lambda: _example_plan().host_order[0]),
]}


@functools.lru_cache(maxsize=None)
def _expected(qid: str):
    return QUESTIONS[qid]._solve()


# --------------------------------------------------------------------------------------------
def questions() -> pd.DataFrame:
    """Every question: id, topic, question text, unit and the kind of answer expected."""
    return pd.DataFrame([{"id": q.id, "topic": q.topic, "question": q.text, "unit": q.unit,
                          "answer": _kind_text(q)} for q in QUESTIONS.values()]).set_index("id")


def show(qid: str) -> str:
    """The text of question `qid` (with its unit)."""
    return str(_question(qid))


def _kind_text(q: Question) -> str:
    if q.kind == "number":
        return f"a number [{q.unit}], within {q.rel_tol:.0%}"
    if q.kind == "integer":
        return "a whole number"
    if q.kind == "choice":
        return "one of " + ", ".join(map(repr, q.choices))
    return "a list of " + ", ".join(map(repr, q.choices))


def _question(qid: str) -> Question:
    key = str(qid).strip().lower()
    if key not in QUESTIONS:
        raise KeyError(f"unknown exercise {qid!r}; the exercises are {', '.join(QUESTIONS)}")
    return QUESTIONS[key]


def _hint(q: Question, attempt: int) -> str:
    return q.hints[min(attempt, len(q.hints) - 1)] if q.hints else ""


_attempts: dict[str, int] = {}


def check(qid: str, answer) -> CheckResult:
    """Check an answer to exercise `qid`.

    Parameters
    ----------
    qid : str
        "q1", "q2", ... (see `questions()`).
    answer : number, str or list of str
        A number in the question's unit, a whole number, or the word(s) asked for. None means
        "not answered yet".

    Returns
    -------
    CheckResult
        Truthy when right; its message gives a hint when wrong and never the answer.

    Raises
    ------
    KeyError
        For an unknown question id (the message lists the valid ones).
    """
    q = _question(qid)
    if answer is None:
        return CheckResult(q.id, False, f"Replace None with your answer ({_kind_text(q)}).")
    attempt = _attempts.get(q.id, 0)
    if q.kind in ("number", "integer"):
        result = _check_number(q, answer, attempt)
    else:
        result = _check_words(q, answer, attempt)
    _attempts[q.id] = 0 if result.correct else attempt + 1
    return result


def _check_number(q: Question, answer, attempt: int) -> CheckResult:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return CheckResult(q.id, False, f"Expected a number{f' in {q.unit}' if q.unit else ''} "
                                        f"(no unit text), got {type(answer).__name__} "
                                        f"{answer!r:.40}.")
    value = float(answer)
    if not math.isfinite(value):
        return CheckResult(q.id, False, f"Expected a finite number, got {value!r}.")
    expected = float(_expected(q.id))
    if q.kind == "integer":
        if value == expected:
            return CheckResult(q.id, True, f"{value:g} is right.")
        if value != round(value):
            return CheckResult(q.id, False, "Expected a whole number. " + _hint(q, attempt))
        return CheckResult(q.id, False, _hint(q, attempt))
    if math.isclose(value, expected, rel_tol=q.rel_tol, abs_tol=1e-12):
        return CheckResult(q.id, True, f"{value:g} {q.unit} is within {q.rel_tol:.0%}.".replace(
            "  ", " "))
    message = _hint(q, attempt)
    slips = [(abs(scaled / expected - 1), slip) for factor, slip in _UNIT_SLIPS
             for scaled in (value * factor, value / factor)
             if math.isclose(scaled, expected, rel_tol=q.rel_tol)]
    if slips:
        unit = f" The answer is wanted in {q.unit}." if q.unit else ""
        return CheckResult(q.id, False, f"Check your units: mixing up {min(slips)[1]}?{unit}")
    if value <= 0 < expected:
        message = "The answer is a positive quantity. " + message
    return CheckResult(q.id, False, message)


def _words(answer) -> list[str] | None:
    if isinstance(answer, numbers.Integral) and not isinstance(answer, bool):
        answer = str(answer)
    if isinstance(answer, str):
        return [answer.strip().lower()]
    if isinstance(answer, (list, tuple, set, frozenset)) and all(isinstance(a, str)
                                                                 for a in answer):
        return sorted({a.strip().lower() for a in answer})
    return None


def _check_words(q: Question, answer, attempt: int) -> CheckResult:
    words = _words(answer)
    if words is None:
        shape = "a word" if q.kind == "choice" else "a list of words"
        return CheckResult(q.id, False, f"Expected {shape} from {', '.join(map(repr, q.choices))};"
                                        f" got {type(answer).__name__} {answer!r:.40}.")
    unknown = [w for w in words if w not in q.choices]
    if unknown:
        return CheckResult(q.id, False, f"{', '.join(map(repr, unknown))} is not one of "
                                        f"{', '.join(map(repr, q.choices))}.")
    if q.kind == "choice":
        if len(words) != 1:
            return CheckResult(q.id, False, "Give one word.")
        right = (_digest(words[0]) in q._digests if q._digests
                 else words[0] == str(_expected(q.id)))
    else:
        right = words == sorted(_expected(q.id))
    if right:
        return CheckResult(q.id, True, "Right.")
    return CheckResult(q.id, False, _hint(q, attempt))


__all__ = ["check", "questions", "show", "Question", "CheckResult", "QUESTIONS"]
