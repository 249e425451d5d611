"""Which text encoding a performance log is in.

Rules (in order): a byte-order mark decides (UTF-8, UTF-16 LE/BE, UTF-32); UTF-16 without a
BOM is recognised by its zero bytes; otherwise a file that is valid UTF-8 is UTF-8 (pure ASCII
is reported as "ascii"); otherwise it is in a Windows code page, detected by charset-normalizer
among the ANSI code pages (the OEM console code pages first for typeperf console captures),
ties going to the most widely used page (cp1252, then cp1251, ...).
"""
from __future__ import annotations

import codecs

__all__ = ["sniff_bom", "looks_utf16", "choose_codepage", "normalise", "ANSI_PAGES", "OEM_PAGES"]

#: Windows ANSI code pages, most used first (the order breaks ties between equal candidates).
ANSI_PAGES = ("cp1252", "cp1251", "cp1250", "cp1254", "cp1253", "cp1257", "cp1256", "cp1255",
              "cp1258", "cp874", "cp932", "cp936", "cp949", "cp950")
#: Console (OEM) code pages, as typeperf writes to a console: US, Western Europe, Cyrillic,
#: Central Europe.
OEM_PAGES = ("cp437", "cp850", "cp866", "cp852")

_BOMS = [(codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be")]


def normalise(encoding: str) -> str:
    """Python's canonical codec name ("UTF8" -> "utf-8", "windows-1251" -> "cp1251")."""
    return codecs.lookup(encoding).name


def sniff_bom(head: bytes) -> tuple[str | None, int]:
    """(encoding, BOM length) from the first bytes, or (None, 0)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    return None, 0


def looks_utf16(head: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when the start of a BOM-less file is ASCII text in UTF-16."""
    sample = head[:4096]
    if len(sample) < 8:
        return None
    sample = sample[:len(sample) // 2 * 2]
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def _strict_ok(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def choose_codepage(sample: bytes, console: bool = False) -> tuple[str, str]:
    """The Windows code page `sample` (non-UTF-8 bytes) is most likely in.

    Returns (encoding, note); the note says how sure the choice is ("" when charset-normalizer
    found a clear candidate).
    """
    try:  # loaded on first use (~15 ms): only logs that are not UTF-8 need it
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        from_bytes = None
    groups = [OEM_PAGES, ANSI_PAGES] if console else [ANSI_PAGES, OEM_PAGES]
    if from_bytes is not None:
        for pages in groups:
            matches = list(from_bytes(sample, cp_isolation=list(pages)))
            if not matches:
                continue
            best = min(m.chaos for m in matches)
            tied = set()
            for m in matches:
                if m.chaos <= best + 0.01:
                    tied.update(codecs.lookup(c).name for c in m.could_be_from_charset)
                    tied.add(codecs.lookup(m.encoding).name)
            for page in pages:
                if page in tied and _strict_ok(sample, page):
                    return page, ""
    for page in ANSI_PAGES + OEM_PAGES:
        if _strict_ok(sample, page):
            return page, (f"the code page could not be recognised; read as {page}: pass "
                          "encoding= if names look wrong")
    return "latin-1", ("no Windows code page decodes this file; read as latin-1: pass "
                       "encoding= if names look wrong")
