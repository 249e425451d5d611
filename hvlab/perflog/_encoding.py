r"""Which text encoding a performance log is in.

Rules (in order): a byte-order mark decides (UTF-8, UTF-16 LE/BE, UTF-32); UTF-16 without a
BOM is recognised by its zero bytes; otherwise a file that is valid UTF-8 is UTF-8 (pure ASCII
is reported as "ascii"); otherwise it is in a Windows code page, which `choose_codepage`
decides by the evidence in the non-ASCII text (docs/perflogs.md, "Code pages"):

1. **Valid byte sequences.** Every candidate must decode the sample strictly. The double-byte
   pages (cp932 Shift-JIS, cp936 GBK, cp949 Unified Hangul Code, cp950 Big5) have a lead/trail
   byte structure that most other text breaks at once.
2. **What the decoded characters are.** Each page's own character sets rank characters by how
   common they are: JIS X 0208 level 1 kanji and kana (cp932), GB 2312 level 1 hanzi (cp936),
   Big5's frequently used hanzi (cp950), the 2,350 KS X 1001 hangul syllables (cp949) are the
   words of a real text; level-2 and extension characters, half-width katakana, box drawing and
   private-use code points are what another encoding's bytes turn into. Single-byte pages are
   judged by their words: one script per word (a word that mixes Cyrillic and Latin letters is
   mojibake), plausible capitals, letters from one language's alphabet (``señal`` is Spanish;
   ``seńal`` is no language's word), few stray symbols (``‚ „ † ‰``: what cp1251/cp1252 make of
   Shift-JIS lead bytes).
3. **The language.** Kana mean Japanese, hangul Korean; hangul and hanja mixed in one word, or
   spaces between hanzi, are not Chinese or Korean text; simplified characters (GB 2312) against
   traditional ones (Big5) tell cp936 from cp950.
4. **The time zone in the header.** A decoded zone name that says "standard time" in one
   language (``標準時`` Japanese, ``标准时间`` Simplified Chinese, ``標準時間`` Traditional Chinese,
   ``표준시`` Korean), an English zone name (Tokyo, Korea, China, Taipei Standard Time) or the
   bias (-540: Japan or Korea, -480: China or Taiwan) favours those pages.

Each candidate gets a log-likelihood from 2-3 (a sum over its characters of the log of a weight
in (0, 1]) plus a prior from 4 and from how widely the page is used; the confidence is the
candidate's share of the total (softmax). Pages that decode the sample to the same text are one
candidate (reported under the most widely used one). When the runner-up keeps 10 % or more, the
choice comes with a note naming both and ``encoding=`` as the fix.
"""
from __future__ import annotations

import codecs
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["sniff_bom", "looks_utf16", "choose_codepage", "normalise", "CodepageGuess",
           "ANSI_PAGES", "OEM_PAGES", "DBCS_PAGES"]

#: Windows ANSI code pages, most used first (the order breaks exact ties).
ANSI_PAGES = ("cp1252", "cp1251", "cp1250", "cp1254", "cp1253", "cp1257", "cp1256", "cp1255",
              "cp1258", "cp874", "cp932", "cp936", "cp949", "cp950")
#: The double-byte ANSI code pages: Japanese, Simplified Chinese, Korean, Traditional Chinese.
DBCS_PAGES = ("cp932", "cp936", "cp949", "cp950")
#: Console (OEM) code pages, as typeperf writes to a console: US, Western Europe, Cyrillic,
#: Central Europe.
OEM_PAGES = ("cp437", "cp850", "cp866", "cp852")

#: A runner-up with this share or more of the evidence makes the choice a guess (a warning).
PLAUSIBLE = 0.10

_BOMS = [(codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be")]

# log prior of each page: a rough order of how many Windows hosts use it (cp1252 most). It only
# separates candidates the text cannot tell apart (e.g. a lone "á", which cp1252 and cp1257
# both decode to a letter of some language).
_PRIOR = {"cp1252": 0.0, "cp1251": -1.0, "cp1250": -2.3, "cp936": -1.5, "cp932": -1.5,
          "cp949": -2.0, "cp950": -2.5, "cp1254": -2.5, "cp1253": -3.0, "cp1256": -3.0,
          "cp874": -3.0, "cp1257": -3.5, "cp1255": -3.5, "cp1258": -3.5,
          "cp437": -1.0, "cp850": -1.0, "cp866": -1.5, "cp852": -2.0}
_OTHER_FAMILY = 4.0  # OEM pages outside a console capture, ANSI pages inside one [nats]

# evidence from the header's time zone [nats]
_ZONE_WORD = math.log(50.0)   # the decoded zone name says "standard time" in one language
_ZONE_NAME = math.log(4.0)    # an English zone name of a CJK region
_ZONE_BIAS = math.log(3.0)    # the bias of a CJK region
_ZONE_WORDS = (("cp950", re.compile("標準時間|夏令時間")),
               ("cp936", re.compile("标准时间|夏令时")),
               ("cp932", re.compile("標準時(?!間)|夏時間")),
               ("cp949", re.compile("표준시|일광 절약 시간")))
_ZONE_NAMES = {"tokyo standard time": ("cp932",), "korea standard time": ("cp949",),
               "north korea standard time": ("cp949",), "china standard time": ("cp936", "cp950"),
               "taipei standard time": ("cp950",)}
_ZONE_BIASES = {-540: ("cp932", "cp949"), -480: ("cp936", "cp950")}
_HEADER_ZONE = re.compile(rb'"?\s*\(PDH-(?:CSV|TSV)\s+[0-9.]+\)\s*\((.*?)\)\s*\(\s*([+-]?\d+)\s*\)')

# what is scored: the distinct tokens that hold non-ASCII bytes, cut at bytes below 0x40 other
# than the space (quotes, commas, digits, brackets, "%", "/", ":" ...), which no double-byte page
# uses inside a character (every trail byte is 0x40 or above), so no character is cut
_SEGMENT = re.compile(rb'[^\x00-\x1f\x21-\x3f]+')
_SCORE_BYTES = 16384

# ---- letters: scripts and alphabets ---------------------------------------------------------
_LATIN_EXTRA = {  # lower-case letters beyond a-z, per language (national alphabets)
    "en": "", "de": "äöüß", "fr": "àâæçéèêëîïôœùûüÿ", "es": "áéíóúüñ", "pt": "áâãàçéêíóôõú",
    "it": "àèéìíîòóù", "nl": "áéíóúàèëïöü", "da": "æøåé", "no": "æøåéèóòôê", "sv": "åäöé",
    "fi": "äöåšž", "is": "áðéíóúýþæö", "ca": "àçèéíïòóúü", "ga": "áéíóú",
    "pl": "ąćęłńóśźż", "cs": "áčďéěíňóřšťúůýž", "sk": "áäčďéíĺľňóôŕšťúýž", "hu": "áéíóöőúüű",
    "sl": "čšž", "hr": "čćđšž", "ro": "ăâîşţșț", "sq": "çë", "tr": "çğıöşüâîû",
    "lt": "ąčęėįšųūž", "lv": "āčēģīķļņšūž", "et": "äõöüšž",
}
_CYRILLIC = {
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "uk": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
    "be": "абвгдеёжзійклмнопрстуўфхцчшыьэюя", "bg": "абвгдежзийклмнопрстуфхцчшщъьюя",
    "sr": "абвгдђежзијклљмнњопрстћуфхцчџш", "mk": "абвгдѓежзѕијклљмнњопрстќуфхцчџш",
}
_WESTERN = ("en", "de", "fr", "es", "pt", "it", "nl", "da", "no", "sv", "fi", "is", "ca", "ga")
_CENTRAL = ("pl", "cs", "sk", "hu", "sl", "hr", "ro", "sq", "de")
# the alphabets each single-byte page is written in (a "*SCRIPT" entry: any letter of it)
_ALPHABETS = {
    "cp1252": [_LATIN_EXTRA[k] for k in _WESTERN], "cp437": [_LATIN_EXTRA[k] for k in _WESTERN],
    "cp850": [_LATIN_EXTRA[k] for k in _WESTERN], "cp1250": [_LATIN_EXTRA[k] for k in _CENTRAL],
    "cp852": [_LATIN_EXTRA[k] for k in _CENTRAL], "cp1254": [_LATIN_EXTRA["tr"]],
    "cp1257": [_LATIN_EXTRA[k] for k in ("lt", "lv", "et")],
    "cp1251": list(_CYRILLIC.values()), "cp866": list(_CYRILLIC.values()),
    "cp1253": ["*GREEK"], "cp1255": ["*HEBREW"], "cp1256": ["*ARABIC", _LATIN_EXTRA["fr"]],
    "cp874": ["*THAI"], "cp1258": ["àáâãèéêìíòóôõùúýăđơư"],
}
# letters a language has but rarely uses: each use counts a little against it (œ, æ in "French")
_RARE = {_LATIN_EXTRA["fr"]: "æœÿ", _LATIN_EXTRA["es"]: "ü", _LATIN_EXTRA["tr"]: "âîû",
         _LATIN_EXTRA["da"]: "é", _LATIN_EXTRA["sv"]: "é"}
_GREEK_ACCENT = re.compile("[άέήίόύώΐΰΆΈΉΊΌΎΏ]")
_COMMON_MARKS = set("\u00a0«»°§µ²³–—‘’“”…€±×·¿¡")  # punctuation real text uses


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


@dataclass(frozen=True)
class CodepageGuess:
    """The code page `choose_codepage` chose and how sure it is.

    Attributes
    ----------
    encoding : str
        The page ("cp932").
    confidence : float
        Its share of the evidence, 0..1 (1.0 when nothing else decodes the text plausibly).
    candidates : tuple of (str, float)
        The runners-up with their shares, best first (pages whose share is below 0.1 % are
        left out).
    note : str
        A warning when a runner-up stays plausible or nothing fits ("" otherwise).
    """

    encoding: str
    confidence: float
    candidates: tuple = field(default=())
    note: str = ""

    def as_meta(self) -> dict:
        """The metadata keys read_perflog reports."""
        return {"encoding_confidence": self.confidence,
                "encoding_candidates": [{"encoding": e, "confidence": p}
                                        for e, p in self.candidates]}


def certain(encoding: str) -> CodepageGuess:
    """A guess that is no guess (a BOM, strict UTF-8, ASCII, or encoding= given)."""
    return CodepageGuess(encoding, 1.0, (), "")


# ---- scripts of characters ------------------------------------------------------------------
def _script(ch: str) -> str:
    o = ord(ch)
    if o < 0x80:
        return "LATIN" if ch.isalpha() else ""
    if 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F:
        return "KANA"
    if 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return "HANGUL"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
        return "HAN"
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else ""


# ---- weights of single characters -----------------------------------------------------------
def _w_cp932(b: bytes) -> float:
    if len(b) == 1:
        return 0.1 if 0xA1 <= b[0] <= 0xDF else 0.01  # half-width katakana
    lead, trail = b[0], b[1]
    code = lead << 8 | trail
    if lead == 0x81:
        return 0.8 if trail <= 0xAC else 0.2  # 、。・ー「」（）... ; then mathematical symbols
    if lead == 0x82:
        return 1.0 if trail >= 0x9F else 0.5  # hiragana; full-width digits and letters
    if lead == 0x83:
        return 1.0 if trail <= 0x96 else 0.1  # katakana; Greek
    if 0x889F <= code <= 0x9872:
        return 1.0  # JIS X 0208 level 1 kanji
    if 0x989F <= code <= 0xEAA4:
        return 0.3  # level 2
    if lead == 0x87:
        return 0.1  # NEC special characters
    return 0.05  # Cyrillic, box drawing, IBM extensions, user-defined


def _w_cp936(b: bytes) -> float:
    if len(b) == 1:
        return 0.05
    lead, trail = b[0], b[1]
    if trail >= 0xA1 and 0xA1 <= lead <= 0xF7:
        if 0xB0 <= lead <= 0xD7:
            return 1.0  # GB 2312 level 1 hanzi
        if lead >= 0xD8:
            return 0.3  # level 2
        return {0xA1: 0.8, 0xA2: 0.3, 0xA3: 0.5, 0xA6: 0.1, 0xA7: 0.1, 0xA8: 0.2}.get(lead, 0.05)
    return 0.05  # GBK extensions (mostly traditional and rare forms)


def _w_cp950(b: bytes) -> float:
    if len(b) == 1:
        return 0.05
    code = b[0] << 8 | b[1]
    if 0xA440 <= code <= 0xC67E:
        return 1.0  # Big5 frequently used hanzi
    if 0xA140 <= code <= 0xA1FE:
        return 0.8  # punctuation
    if 0xC940 <= code <= 0xF9D5:
        return 0.3  # less frequently used hanzi
    if 0xA240 <= code <= 0xA3BF:
        return 0.3  # digits, Roman numerals, bopomofo
    return 0.05  # ETEN extensions (kana, Cyrillic, box drawing), user-defined


def _w_cp949(b: bytes) -> float:
    if len(b) == 1:
        return 0.05
    lead, trail = b[0], b[1]
    if trail >= 0xA1:
        if 0xB0 <= lead <= 0xC8:
            return 1.0  # the 2,350 KS X 1001 hangul syllables
        if 0xCA <= lead <= 0xFD:
            return 0.3  # hanja
        return {0xA1: 0.6, 0xA3: 0.5, 0xA4: 0.3, 0xA5: 0.1, 0xAC: 0.1}.get(lead, 0.05)
    if lead <= 0xC6:
        return 0.15  # hangul added by Unified Hangul Code (rarer syllables)
    return 0.05


_DBCS_WEIGHT = {"cp932": _w_cp932, "cp936": _w_cp936, "cp950": _w_cp950, "cp949": _w_cp949}


@lru_cache(maxsize=65536)
def _char_weight(ch: str, page: str) -> float:
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Co", "Cn", "Cs"):
        return 0.01  # controls, private use, unassigned
    if page in _DBCS_WEIGHT:
        try:
            return _DBCS_WEIGHT[page](ch.encode(page))
        except UnicodeEncodeError:  # pragma: no cover - decoded from this page
            return 0.01
    if cat[0] in "LM":
        return 1.0  # judged by its word (below)
    if ch in _COMMON_MARKS:
        return 0.5
    return 0.1


# ---- scoring one decoded text -----------------------------------------------------------------
@dataclass
class _Evidence:
    loglik: float = 0.0
    letters: dict = field(default_factory=dict)  # single-byte pages: {word's letters: count}


def _score_dbcs(text: str, page: str, ev: _Evidence) -> None:
    """Double-byte pages: each non-ASCII character by its rank in the page; a CJK character
    inside a Latin word, hangul and hanja in one word, and spaces between hanzi count against."""
    n = len(text)
    i = 0
    while i < n:
        if ord(text[i]) < 0x80:
            i += 1
            continue
        j = i
        while j < n and ord(text[j]) >= 0x80:
            j += 1
        run = text[i:j]
        left = text[i - 1] if i > 0 else ""
        right = text[j] if j < n else ""
        embedded = left.isascii() and left.isalpha() and right.isascii() and right.isalpha()
        scripts = {_script(c) for c in run if c.isalpha()}
        mixed = "HANGUL" in scripts and ("HAN" in scripts or "KANA" in scripts)
        for c in run:
            w = _char_weight(c, page)
            if embedded:
                w *= 0.1
            if mixed:
                w *= 0.1
            ev.loglik += math.log(w)
        i = j
    if page in ("cp936", "cp950"):
        gaps = len(re.findall(r"[\u4e00-\u9fff] +(?=[\u4e00-\u9fff])", text))
        ev.loglik += gaps * math.log(0.3)


_WORD = re.compile(r"[^\W\d_]+(?:[\u0300-\u036f\u0591-\u05c7\u0610-\u061a\u064b-\u065f"
                   r"\u0e31\u0e34-\u0e3a\u0e47-\u0e4e][^\W\d_]*)*")


def _score_sbcs(text: str, page: str, ev: _Evidence) -> None:
    """Single-byte pages: stray symbols count against; a word's letters count when the word
    keeps to one script with plausible capitals; its non-ASCII letters are kept for the
    alphabet check."""
    for i, c in enumerate(text):
        if ord(c) < 0x80 or c.isalpha():
            continue
        left = text[i - 1] if i else ""
        if unicodedata.category(c)[0] == "M":
            # a combining mark belongs to the letter before it, in that letter's script
            w = 1.0 if left.isalpha() and _script(left) == _script(c) else 0.05
        else:
            w = _char_weight(c, page)
            right = text[i + 1] if i + 1 < len(text) else ""
            if left.isalpha() and right.isalpha():
                w *= 0.2  # a symbol inside a word
        ev.loglik += math.log(w)
    for m in _WORD.finditer(text):
        word = m.group(0)
        if word.isascii():
            continue
        nonascii = [c for c in word if ord(c) >= 0x80]
        scripts = {_script(c) for c in word if c.isalpha()}
        scripts.discard("")
        ok = len(scripts) <= 1
        if ok and _odd_capitals(word):
            w = 0.2
        else:
            w = 1.0 if ok else 0.05
        ev.loglik += len(nonascii) * math.log(w)
        if ok and scripts == {"GREEK"} and len(word) >= 4 and not word.isupper() \
                and not _GREEK_ACCENT.search(word):
            ev.loglik += math.log(0.3)  # modern Greek accents every word of two syllables
        if ok:
            letters = frozenset("i" if c == "İ" else c.lower() for c in nonascii if c.isalpha())
            letters = frozenset(c for c in letters if not c.isascii())
            if letters:
                ev.letters[letters] = ev.letters.get(letters, 0) + 1


def _odd_capitals(word: str) -> bool:
    """A capital after a small letter inside a word with non-ASCII letters ("ѓЊ", "ÈÄa")."""
    prev_lower = False
    for c in word:
        if c.isupper() and prev_lower:
            return True
        prev_lower = c.islower()
    return False


def _covers(alphabet: str, ch: str) -> bool:
    return _script(ch) == alphabet[1:] if alphabet.startswith("*") else ch in alphabet


def _alphabet_penalty(words: dict, page: str) -> float:
    """How well the words' letters fit the languages the page is written in.

    Each word should be spelled in one of the page's languages (``seńal`` is spelled in none:
    ``ń`` is Polish, but Polish has no ``á`` or ``í`` beside it in the text... the letters no
    language of the word has count against, each), the text in few of them (every further
    language a text needs counts against it a little), and letters a language rarely uses
    count a little."""
    if not words:
        return 0.0
    alphabets = _ALPHABETS.get(page, ["*LATIN"])
    penalty = 0.0
    needs = []
    for letters, n in words.items():
        fits = {i for i, a in enumerate(alphabets) if all(_covers(a, c) for c in letters)}
        if not fits:
            missing = min(sum(not _covers(a, c) for c in letters) for a in alphabets)
            penalty += n * missing * math.log(0.02)
            continue
        rare = min(sum(c in _RARE.get(alphabets[i], "") for c in letters) for i in fits)
        penalty += n * rare * math.log(0.05)
        needs.append(fits)
    # languages the whole text needs (greedy set cover)
    used = 0
    while needs:
        counts: dict = {}
        for fits in needs:
            for i in fits:
                counts[i] = counts.get(i, 0) + 1
        pick = max(counts, key=lambda i: (counts[i], -i))
        needs = [f for f in needs if pick not in f]
        used += 1
    return penalty + max(used - 1, 0) * math.log(0.2)


# ---- the header's counter paths ----------------------------------------------------------------
_AFTER_LEAD = re.compile(rb"[\x81-\xfe]\\")


def _header_paths(sample: bytes) -> list[bytes]:
    """The header's non-ASCII cells that look like counter paths (start with a backslash)."""
    first = sample.split(b"\n", 1)[0].rstrip(b"\r")
    if b"PDH-" not in first[:20]:
        return []
    cells = re.split(rb'"?[,\t]"', first)
    # only a 0x5C right after a byte that can start a double-byte character can be misread
    return list(dict.fromkeys(c.strip(b'"') for c in cells[1:]
                              if not c.isascii() and c.strip(b'"').startswith(b"\\")
                              and _AFTER_LEAD.search(c)))


def _broken_paths(cells: list[bytes], page: str) -> int:
    """Header cells whose object name, as `page` decodes them, holds a backslash: PDH paths
    never have one there, so the decoding took a byte of a character (0x5C is the second byte
    of Shift-JIS 表 and Big5 許) for a separator."""
    broken = 0
    for raw in cells:
        try:
            text = raw.decode(page)
        except UnicodeDecodeError:
            continue
        rest = text[2:].split("\\", 1)[1] if text.startswith("\\\\") and "\\" in text[2:] \
            else text.lstrip("\\")
        objinst = rest.rsplit("\\", 1)[0] if "\\" in rest else rest
        obj = objinst.split("(", 1)[0]
        broken += "\\" in obj
    return broken


# ---- the time zone ----------------------------------------------------------------------------
def _zone_evidence(sample: bytes) -> tuple[bytes | None, int | None]:
    first = sample.split(b"\n", 1)[0]
    m = _HEADER_ZONE.match(first.lstrip())
    if not m:
        return None, None
    digits = m.group(2)  # (a damaged header can hold more digits than int() converts)
    return m.group(1), int(digits) if len(digits) <= 7 else None


def _zone_bonus(page: str, zone: bytes | None, bias: int | None) -> float:
    bonus = 0.0
    if bias is not None and page in _ZONE_BIASES.get(bias, ()):
        bonus += _ZONE_BIAS
    if zone:
        if zone.isascii():
            if page in _ZONE_NAMES.get(zone.decode("ascii").strip().lower(), ()):
                bonus += _ZONE_NAME
        else:
            try:
                name = zone.decode(page)
            except UnicodeDecodeError:
                return bonus
            for p, rx in _ZONE_WORDS:
                if p == page and rx.search(name):
                    bonus += _ZONE_WORD
    return bonus


# ---- the choice -------------------------------------------------------------------------------
def _segments(sample: bytes) -> bytes:
    """The distinct non-ASCII segments of `sample`, joined by newlines, at most _SCORE_BYTES."""
    seen, out, size = set(), [], 0
    for m in _SEGMENT.finditer(sample):
        seg = m.group(0).strip(b" ")
        if seg.isascii() or seg in seen:
            continue
        seen.add(seg)
        out.append(seg)
        size += len(seg) + 1
        if size >= _SCORE_BYTES:
            break
    return b"\n".join(out)


def _coherence(scored: bytes, pages) -> dict:
    """charset-normalizer's language coherence (0..1) of single-byte pages: letter frequencies
    of a language, a small extra term that separates e.g. Greek from Cyrillic."""
    try:  # loaded on first use (~15 ms): only logs in a single-byte page need it
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return {}
    out: dict = {}
    try:
        for m in from_bytes(scored, cp_isolation=list(pages)):
            for name in set(m.could_be_from_charset) | {m.encoding}:
                try:
                    key = normalise(name)
                except LookupError:  # pragma: no cover
                    continue
                out[key] = max(out.get(key, 0.0), float(m.coherence))
    except Exception:  # noqa: BLE001 - a helper's failure must not stop a read
        return {}
    return out


def choose_codepage(sample: bytes, console: bool = False) -> CodepageGuess:
    """The Windows code page `sample` (non-UTF-8 bytes: a header line first, then lines with
    non-ASCII bytes) is most likely in, with how sure that is (see the module docstring)."""
    pages = list(OEM_PAGES + ANSI_PAGES) if console else list(ANSI_PAGES + OEM_PAGES)
    scored = _segments(sample)
    zone, bias = _zone_evidence(sample)
    cells = _header_paths(sample)
    texts: dict[str, list] = {}  # decoded text -> pages that give it
    for page in pages:
        try:
            sample.decode(page)
            text = scored.decode(page)
        except UnicodeDecodeError:
            continue
        texts.setdefault(text, []).append(page)
    if not texts:
        return CodepageGuess("latin-1", 0.0, (), (
            "no Windows code page decodes this file; read as latin-1: pass encoding= (e.g. "
            "encoding='cp932') if names look wrong"))
    sbcs = [p for group in texts.values() for p in group if p not in DBCS_PAGES]
    coherence = _coherence(scored, sbcs) if len(sbcs) > 1 else {}
    results = []
    for text, group in texts.items():
        priors = []
        for page in group:
            family = page in OEM_PAGES
            prior = _PRIOR.get(page, -4.0) - (_OTHER_FAMILY if family != console else 0.0)
            priors.append((prior + _zone_bonus(page, zone, bias), page))
        prior, name = max(priors)  # the group is named after its most likely page
        ev = _Evidence()
        ev.loglik += _broken_paths(cells, name) * math.log(0.01)
        if name in DBCS_PAGES:
            _score_dbcs(text, name, ev)
        else:
            _score_sbcs(text, name, ev)
            ev.loglik += _alphabet_penalty(ev.letters, name)
            ev.loglik += 2.0 * max(coherence.get(p, 0.0) for p in group)
        results.append((ev.loglik + prior, name))
    results.sort(key=lambda r: (-r[0], pages.index(r[1])))
    top = results[0][0]
    weights = [math.exp(s - top) for s, _ in results]
    total = sum(weights)
    shares = [(name, w / total) for (_, name), w in zip(results, weights)]
    best, conf = shares[0]
    runners = tuple((n, p) for n, p in shares[1:] if p >= 0.001)
    note = ""
    if runners and runners[0][1] >= PLAUSIBLE:
        other = runners[0][0]
        note = (f"the code page is uncertain: {best} ({conf:.0%}) or {other} "
                f"({runners[0][1]:.0%}); read as {best}. If names look wrong, pass "
                f"encoding='{other}' (or the host's code page) to read_perflog")
    return CodepageGuess(best, conf, runners, note)
