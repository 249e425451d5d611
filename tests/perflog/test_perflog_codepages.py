"""Every code page a Windows host writes its logs in: Japanese (cp932, Shift-JIS), Simplified
Chinese (cp936, GBK), Traditional Chinese (cp950, Big5), Korean (cp949) and the single-byte
Windows pages, decided by the evidence and reported with a confidence; a guess between two
plausible pages is a warning, never silent mojibake.

The CJK headers below are written here, in the host's code page, with the names such a host
gives its counters; the real Japanese export is read in place from ../shared/data/perflogs/."""
from __future__ import annotations

import io
import unicodedata
import warnings

import pytest

import hvlab as hv
from hvlab.perflog import PerfLogWarning

ROWS = ['"03/07/2013 09:41:53.468"', '"03/07/2013 09:41:54.468"', '"03/07/2013 09:41:55.469"']

# (code page, zone cell, [(object, instance, counter)]) as such a host writes them
HOSTS = {
    "ja": ("cp932", "東京 (標準時)", -540, [
        ("プロセッサ", "_Total", "% プロセッサ時間"),
        ("メモリ", "", "使用可能 MB"),
        ("ネットワーク インターフェイス", "Intel[R] 82576 Gigabit Dual Port Network Connection",
         "送信バイト/秒"),
        ("物理ディスク", "0 C:", "ディスク読み取りバイト/秒")]),
    "zh-hans": ("cp936", "中国标准时间", -480, [
        ("处理器", "_Total", "% 处理器时间"),
        ("内存", "", "可用 MB"),
        ("网络接口", "Intel[R] 82576 Gigabit Dual Port Network Connection", "发送字节/秒"),
        ("物理磁盘", "0 C:", "磁盘读取字节/秒")]),
    "zh-hant": ("cp950", "台北標準時間", -480, [
        ("處理器", "_Total", "% 處理器時間"),
        ("記憶體", "", "可用 MB"),
        ("網路介面", "Intel[R] 82576 Gigabit Dual Port Network Connection", "傳送位元組/秒"),
        ("實體磁碟", "0 C:", "磁碟讀取位元組/秒")]),
    "ko": ("cp949", "대한민국 표준시", -540, [
        ("프로세서", "_Total", "% 프로세서 시간"),
        ("메모리", "", "사용 가능 MB"),
        ("네트워크 인터페이스", "Intel[R] 82576 Gigabit Dual Port Network Connection",
         "보낸 바이트/초"),
        ("실제 디스크", "0 C:", "디스크 읽기 바이트/초")]),
}


def pdh(first_cell: str, columns, host="HV07", rows=ROWS) -> str:
    """A PDH-CSV text: the header cell, one path per column, a value per cell."""
    paths = [f"\\\\{host}\\{o}" + (f"({i})" if i else "") + f"\\{c}" for o, i, c in columns]
    lines = [",".join(f'"{c}"' for c in [first_cell] + paths)]
    for n, stamp in enumerate(rows):
        lines.append(",".join([stamp] + [f'"{n + k}"' for k in range(len(paths))]))
    return "\r\n".join(lines) + "\r\n"


def read_quietly(data: bytes, **kw):
    """read_perflog that fails on any PerfLogWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfLogWarning)
        return hv.read_perflog(io.BytesIO(data), **kw)


@pytest.mark.parametrize("locale", sorted(HOSTS))
@pytest.mark.parametrize("with_zone", [True, False], ids=["zone", "no-zone"])
def test_cjk_headers_are_read_in_their_code_page(locale, with_zone):
    page, zone, bias, columns = HOSTS[locale]
    first = f"(PDH-CSV 4.0) ({zone})({bias})" if with_zone else "(PDH-CSV 4.0) ("
    data = pdh(first, columns).encode(page)
    assert not data.isascii()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # so the code page must be found, not assumed
    df, meta = read_quietly(data)
    assert meta["encoding"] == page
    assert meta["encoding_confidence"] >= 0.9
    assert all(c["encoding"] != page and c["confidence"] < 0.1
               for c in meta["encoding_candidates"])
    assert [c[1:] for c in df.columns] == columns
    if with_zone:
        assert meta["timezone"] == zone and meta["bias_min"] == bias


@pytest.mark.parametrize("locale", sorted(HOSTS))
def test_the_zone_name_alone_decides(locale):
    """A header whose only non-ASCII text is the localised zone name."""
    page, zone, bias, _ = HOSTS[locale]
    data = pdh(f"(PDH-CSV 4.0) ({zone})({bias})",
               [("Memory", "", "Available MBytes")]).encode(page)
    df, meta = read_quietly(data)
    assert meta["encoding"] == page and meta["timezone"] == zone


@pytest.mark.parametrize("locale, name", [("ja", "表示"), ("ja", "ソフトウェア"), ("ja", "機能"),
                                          ("zh-hant", "許可"), ("zh-hant", "功能")])
def test_a_0x5c_trail_byte_is_not_a_backslash(locale, name):
    """Shift-JIS and Big5 characters whose second byte is 0x5C, the byte of "\\": the header
    is decoded before it is split, so the instance stays whole."""
    page, _, _, columns = HOSTS[locale]
    assert b"\\" in name.encode(page)  # the trap: a byte-level split would cut here
    columns = columns + [(columns[0][0], name, columns[0][2])]
    data = pdh("(PDH-CSV 4.0) (", columns).encode(page)
    df, meta = read_quietly(data)
    assert meta["encoding"] == page
    assert [c[1:] for c in df.columns] == columns
    assert hv.parse_counter_path(meta["paths"][-1]).instance == name
    # a header with nothing else to go by: the caller says the code page
    lone = [("Process", name, "% Processor Time"), ("Process", "_Total", "% Processor Time")]
    df, meta = read_quietly(pdh("(PDH-CSV 4.0) (", lone).encode(page), encoding=page)
    assert [c[1:] for c in df.columns] == lone


def test_korean_that_gbk_reads_as_hanzi_is_a_warned_guess():
    """Hangul syllables of KS X 1001 (lead bytes B0-C8, trail A1-FE) occupy the same bytes as
    GB 2312 level-1 hanzi: a few names with no space, no zone and nothing else are Korean or
    Chinese with equal right. The reader must say so, naming both and encoding=."""
    columns = [("메모리", "", "사용가능")]
    data = pdh("(PDH-CSV 4.0) (", columns).encode("cp949")
    for word in ("메모리", "사용가능"):
        raw = word.encode("cp949")
        assert all(0xB0 <= raw[i] <= 0xC8 and raw[i + 1] >= 0xA1 for i in range(0, len(raw), 2))
        assert raw.decode("cp936")  # valid GBK too
    with pytest.warns(PerfLogWarning) as caught:
        df, meta = hv.read_perflog(io.BytesIO(data))
    text = str(caught[0].message)
    assert "cp949" in text and "cp936" in text and "encoding=" in text
    assert meta["encoding"] in ("cp949", "cp936")
    assert meta["encoding_confidence"] < 0.9
    assert {meta["encoding"]} | {c["encoding"] for c in meta["encoding_candidates"]} >= {
        "cp949", "cp936"}
    assert text in meta["warnings"]
    df, meta = read_quietly(data, encoding="cp949")  # the fix the warning names
    assert [c[1:] for c in df.columns] == columns
    assert (meta["encoding_confidence"], meta["encoding_candidates"]) == (1.0, [])


def test_simplified_and_traditional_are_told_apart():
    """Names whose bytes are valid GBK and valid Big5 alike, so validity cannot decide: the
    characters do (simplified 处 is no Big5 character; Big5's 處 read as GBK is a rare extension
    character), and the wrong page never wins."""
    for locale, other in (("zh-hans", "cp950"), ("zh-hant", "cp936")):
        page, _, _, columns = HOSTS[locale]
        both = []
        for obj, inst, counter in columns:
            for name in (obj, counter):
                try:
                    if name.encode(page).decode(other) != name:
                        both.append(name)
                except UnicodeDecodeError:
                    pass
        assert len(both) >= 3
        columns = [(name, "_Total", "Bytes/sec") for name in both]
        data = pdh("(PDH-CSV 4.0) (", columns).encode(page)
        assert data.decode(other) != data.decode(page)  # valid, and different text
        df, meta = read_quietly(data)
        assert meta["encoding"] == page
        assert [c[1:] for c in df.columns] == columns


@pytest.mark.parametrize("name, page", [("perflog_es_cp1252.csv", "cp1252"),
                                        ("perflog_de_cp1252.tsv", "cp1252"),
                                        ("perflog_ru_cp1251.csv", "cp1251"),
                                        ("perflog_broken_header.csv", "cp1251"),
                                        ("typeperf_console_ru_cp866.txt", "cp866")])
def test_single_byte_samples_are_sure(name, page):
    from pathlib import Path
    data = (Path(__file__).resolve().parent.parent / "data" / name).read_bytes()
    df, meta = read_quietly(data)
    assert meta["encoding"] == page and meta["encoding_confidence"] >= 0.9


def test_certain_encodings_report_full_confidence(tmp_path):
    for text_bytes, enc in ((pdh("(PDH-CSV 4.0) (UTC)(0)", [("Memory", "", "Available MBytes")])
                             .encode("ascii"), "ascii"),
                            (pdh("(PDH-CSV 4.0) (UTC)(0)", [("メモリ", "", "使用可能 MB")])
                             .encode("utf-8"), "utf-8")):
        df, meta = read_quietly(text_bytes)
        assert meta["encoding"] == enc
        assert (meta["encoding_confidence"], meta["encoding_candidates"]) == (1.0, [])


def test_real_japanese_export_is_shift_jis(real_log):
    """A real Japanese Windows host's Basic data collector set (SOURCES.md): cp932, with the
    set's Japanese description as the last header cell, whose "可能" has a 0x5C byte."""
    path = real_log("ja_cp932_basic_dcs.csv")
    assert "能".encode("cp932")[1:] == b"\\"
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfLogWarning)
        df, meta = hv.read_perflog(path)
    assert meta["encoding"] == "cp932" and meta["encoding_confidence"] >= 0.99
    header = path.read_bytes().split(b"\r\n", 1)[0].decode("cp932")
    description = header.rsplit('","', 1)[1].rstrip('"')
    assert description.startswith("このテンプレートで") and "可能です" in description
    assert "\\" not in description
    # every counter path is the host's own, none cut from the description at a false "\"
    paths = [p for p in meta["paths"] if p != description]
    assert len(paths) == 107 and all(p.startswith("\\\\TIERRA\\") for p in paths)
    # no name is mojibake: no Cyrillic, no symbols where letters belong
    for key in df.columns:
        for level in key:
            assert not any(unicodedata.name(ch, "").startswith("CYRILLIC") for ch in level)


@pytest.mark.parametrize("name", ["zh_network_1gbe_no_migration.csv",
                                  "ja_tz_wide_5963_columns.csv", "ps_counter_samples.csv",
                                  "ps_counter_samples.tsv"])
def test_real_ascii_exports_are_certain(real_log, name):
    df, meta = read_quietly(real_log(name).read_bytes())
    assert meta["encoding"] == "ascii"
    assert (meta["encoding_confidence"], meta["encoding_candidates"]) == (1.0, [])
