"""Read a host's VM inventory from a CSV file (one VM per row) for `hvlab.drain_host`.

Columns (header row, any order, case-insensitive):

============================  ========  ==========================================
column                        required  meaning
============================  ========  ==========================================
name                          yes       VM name (unique)
memory_gib                    yes       assigned memory [GiB]
dirty_rate_mib_s              yes       memory dirty rate [MiB/s]
disk_gib                      yes       virtual disks [GiB]
storage                       yes       "shared", "smb" or "local"
working_set_gib               no        writable working set [GiB] (empty: all memory)
disk_read_mib_s               no        guest disk reads [MiB/s]
disk_write_mib_s              no        guest disk writes [MiB/s]
disk_iops                     no        guest disk operations [1/s]
state_mib                     no        device state sent in the blackout [MiB]
config_mib                    no        configuration files [MiB]
checkpoint_gib                no        checkpoint differencing disks [GiB]
smart_paging_gib              no        smart paging file [GiB]
============================  ========  ==========================================

Lines starting with ``#`` are comments; blank lines are skipped; an empty optional cell takes
the `hvlab.VM` default. Every error names the file, the line (as a text editor numbers it)
and the column, and says what to do.
"""
from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
from pathlib import Path

from hvlab.params import STORAGE_KINDS, VM

REQUIRED = ("name", "memory_gib", "dirty_rate_mib_s", "disk_gib", "storage")
OPTIONAL = ("working_set_gib", "disk_read_mib_s", "disk_write_mib_s", "disk_iops", "state_mib",
            "config_mib", "checkpoint_gib", "smart_paging_gib")
COLUMNS = REQUIRED + OPTIONAL
_TEXT = ("name", "storage")


class InventoryError(ValueError):
    """A bad inventory file; the message names the file, line and column."""


def _where(source: str, line: int, column: str | None = None) -> str:
    return f"{source} line {line}" + (f", column {column}" if column else "")


def number_cell(text: str, source: str, line: int, column: str) -> float:
    """A cell as a finite number >= 0; an `InventoryError` naming file, line and column."""
    try:
        value = float(text)
    except ValueError:
        raise InventoryError(f"{_where(source, line, column)}: {text!r} is not a number; write "
                             "a plain decimal number such as 4 or 12.5") from None
    if not math.isfinite(value):
        raise InventoryError(f"{_where(source, line, column)}: {text!r} is not a finite number")
    if value < 0:
        raise InventoryError(f"{_where(source, line, column)}: {text!r} is negative; sizes and "
                             "rates must be >= 0")
    return value


_SAVE_AS_UTF8 = ('save the file as UTF-8 (Excel: Save As "CSV UTF-8"; Notepad: Save As, '
                 'Encoding "UTF-8") and read it again')


def _decode(data: bytes, source: str) -> str:
    """Decode an inventory's bytes as UTF-8 (a leading byte-order mark is dropped).

    Raises
    ------
    InventoryError
        For bytes that are not UTF-8, naming the file, the line and the byte offset.
    """
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        line = data.count(b"\n", 0, offset) + 1
        raise InventoryError(
            f"{source} line {line}: byte {data[offset]:#04x} at offset {offset} is not UTF-8 "
            f"text; the file is in another encoding (often Windows-1252, from Excel's plain "
            f"\"CSV\"): {_SAVE_AS_UTF8}") from None


def read_inventory(path) -> list[VM]:
    """Read VMs from an inventory CSV (see the module notes for the columns).

    Parameters
    ----------
    path : str, os.PathLike or file-like
        The CSV file (UTF-8, with or without a byte-order mark), or an open text (or binary
        UTF-8) stream.

    Returns
    -------
    list of VM
        In file order.

    Raises
    ------
    InventoryError (a ValueError)
        A file that is not UTF-8 (the message names the file, the line and the byte offset),
        missing or unknown columns, an empty required cell, a value that is not a number or
        is negative, an unknown storage kind, a duplicate VM name, or any value `hvlab.VM`
        refuses; the message names the file, the line and the column.
    FileNotFoundError
        When the file does not exist.

    Examples
    --------
    >>> import hvlab as hv
    >>> vms = hv.read_inventory("data/inventory.csv")  # doctest: +SKIP
    >>> hv.drain_host(vms, hv.Link(gbps=10)).summary()  # doctest: +SKIP
    """
    source, rows = read_table(path, REQUIRED, OPTIONAL)
    first_line: dict[str, int] = {}
    return [vm_from_cells(cells, source, line, first_line) for line, cells in rows]


def read_table(path, required, optional, *, what: str = "VMs") -> tuple[str, list]:
    """Read a CSV table with a header row (see `read_inventory` for the rules: UTF-8, ``#``
    comments, blank lines skipped, columns in any order, case-insensitive).

    Parameters
    ----------
    path : str, os.PathLike or file-like
        The CSV file or an open stream.
    required, optional : sequence of str
        The column names (lower case).
    what : str
        What the rows are, for the message about a table with a header but no rows.

    Returns
    -------
    (str, list of (int, dict))
        The file's name, and per data row its line number and {column: stripped cell}.

    Raises
    ------
    InventoryError
        Bytes that are not UTF-8, no header, unknown, repeated or missing columns, a row with
        the wrong number of cells, a header but no rows; the message names file and line.
    """
    if hasattr(path, "read"):
        source = getattr(path, "name", "<inventory>")
        try:
            text = path.read()
        except UnicodeDecodeError as exc:
            raise InventoryError(f"{source}: not UTF-8 text ({exc}); {_SAVE_AS_UTF8}, or open "
                                 "it with the encoding it was saved in") from None
    else:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a file name or an open text file, got "
                            f"{type(path).__name__} {path!r:.60}")
        source = str(path)
        text = Path(path).read_bytes()
    if isinstance(text, bytes):
        text = _decode(text, source)
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = None
    header_line = 0
    rows: list = []
    for row in reader:
        line = reader.line_num
        if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            header_line = line
            _check_header(header, source, line, tuple(required), tuple(optional))
            continue
        if len(row) != len(header):
            raise InventoryError(f"{source} line {line}: {len(row)} cells but the header has "
                                 f"{len(header)} columns ({', '.join(header)})")
        rows.append((line, {col: cell.strip() for col, cell in zip(header, row)}))
    if header is None:
        raise InventoryError(f"{source}: no header row; the first line must name the columns "
                             f"({', '.join(required)}, ...)")
    if not rows:
        raise InventoryError(f"{source} line {header_line}: a header but no {what}")
    return source, rows


def _check_header(header: list[str], source: str, line: int, required: tuple,
                  optional: tuple) -> None:
    seen = set()
    columns = required + optional
    for col in header:
        if col in seen:
            raise InventoryError(f"{_where(source, line, col)}: the column appears twice")
        seen.add(col)
        if col not in columns:
            raise InventoryError(
                f"{_where(source, line, col or '(empty)')}: unknown column; valid columns are "
                f"{', '.join(columns)} (put remarks in # comment lines)")
    missing = [c for c in required if c not in seen]
    if missing:
        raise InventoryError(f"{source} line {line}: missing column(s) {', '.join(missing)}; "
                             f"the file needs {', '.join(required)}")


def vm_from_cells(cells: dict, source: str, line: int, first_line: dict[str, int], *,
                  may_be_empty: tuple = (), text_columns: tuple = _TEXT) -> VM:
    """Build a `VM` from one row's {column: cell} (`read_table`), checking each cell.

    Parameters
    ----------
    cells : dict
        The row's cells by column (stripped).
    source : str
        The file's name, for messages.
    line : int
        The row's line number, for messages.
    first_line : dict
        {VM name: line} of the rows read so far (duplicate names are refused); updated.
    may_be_empty : tuple of str
        Required columns whose cell may be empty (it then takes the VM default).
    text_columns : tuple of str
        Columns kept as text (the others must be numbers >= 0); "storage" is lower-cased.

    Raises
    ------
    InventoryError
        Naming the file, the line and the column.
    """
    values: dict = {}
    for col, cell in cells.items():
        if not cell:
            if col in REQUIRED and col not in may_be_empty:
                raise InventoryError(f"{_where(source, line, col)}: empty; {col} is required")
            continue  # optional: the VM default
        if col in text_columns:
            values[col] = cell.lower() if col == "storage" else cell
        else:
            values[col] = number_cell(cell, source, line, col)
    if values["storage"] not in STORAGE_KINDS:
        raise InventoryError(f"{_where(source, line, 'storage')}: unknown storage kind "
                             f"{values['storage']!r}; use one of {', '.join(STORAGE_KINDS)}")
    name = values["name"]
    if name in first_line:
        raise InventoryError(f"{_where(source, line, 'name')}: duplicate VM name {name!r} "
                             f"(first on line {first_line[name]}); VM names must be unique")
    try:
        vm = VM(**values)
    except (ValueError, TypeError) as exc:
        match = re.match(r"VM\.(\w+)", str(exc))
        column = match.group(1) if match else None
        raise InventoryError(f"{_where(source, line, column)}: {exc}") from None
    first_line[name] = line
    return vm


__all__ = ["read_inventory", "read_table", "vm_from_cells", "number_cell", "InventoryError", "REQUIRED",
           "OPTIONAL", "COLUMNS"]
