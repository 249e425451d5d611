"""The time zone of a binary log: the TIME_ZONE_INFORMATION in its file header.

A .blg stores sample times on the host's local wall clock (FILETIME) and, in the header, the
zone's bias, standard and daylight bias and the rules for the daylight-saving changes
(SYSTEMTIME in "day-in-month" form: month, weekday, week 1-5 with 5 = the last, hour; Microsoft
Learn, TIME_ZONE_INFORMATION). Windows Vista and later write the zone names as references into
tzres.dll ("@tzres.dll,-212"), which cannot be resolved without Windows; the readable name
("Pacific Standard Time", what a PDH-CSV header shows) is then found by comparing the rules
with the Windows zones of Unicode CLDR's windowsZones table (via Babel) and the IANA data.
"""
from __future__ import annotations

import datetime as _dt
import functools

import numpy as np

__all__ = ["wall_to_utc_offsets", "zone_name"]


def _transition(year: int, st: tuple) -> _dt.datetime | None:
    """The wall-clock time of a rule (SYSTEMTIME day-in-month form) in `year`."""
    y, month, dow, week, hour, minute, sec, ms = st
    if month == 0:
        return None
    if not 1 <= month <= 12 or dow > 6 or not 1 <= week <= 5 or hour > 23:
        return None
    if y:  # an absolute date (wYear set): that date only
        if y != year:
            return None
        try:
            return _dt.datetime(y, month, week, hour, minute, sec, ms * 1000)
        except ValueError:
            return None
    first = _dt.date(year, month, 1)
    # Windows' wDayOfWeek: 0 = Sunday; Python's weekday(): 0 = Monday
    day = 1 + (dow - (first.weekday() + 1) % 7) % 7 + 7 * (week - 1)
    nxt = _dt.date(year + (month == 12), month % 12 + 1, 1)
    while day > (nxt - first).days:
        day -= 7
    return _dt.datetime(year, month, day, hour, minute, min(sec, 59), ms * 1000)


def daylight_mask(wall: np.ndarray, tzi: dict) -> np.ndarray:
    """True where a wall-clock time (datetime64) is in daylight time by the header's rules."""
    out = np.zeros(len(wall), bool)
    if tzi["daylight_date"][1] == 0 or tzi["standard_date"][1] == 0 or not len(wall):
        return out
    ok = ~np.isnat(wall)
    if not ok.any():
        return out
    years = wall[ok].astype("datetime64[Y]").astype(np.int64) + 1970
    res = np.zeros(int(ok.sum()), bool)
    for year in np.unique(years):
        start = _transition(int(year), tzi["daylight_date"])
        end = _transition(int(year), tzi["standard_date"])
        if start is None or end is None:
            continue
        s, e = np.datetime64(start, "ns"), np.datetime64(end, "ns")
        w = wall[ok][years == year]
        # southern hemisphere: daylight time spans the new year
        res[years == year] = (w >= s) & (w < e) if s < e else (w >= s) | (w < e)
    out[ok] = res
    return out


def wall_to_utc_offsets(wall: np.ndarray, tzi: dict) -> np.ndarray:
    """The bias [min] in force at each wall-clock time (UTC = local + bias)."""
    dst = daylight_mask(wall, tzi)
    return tzi["bias"] + np.where(dst, tzi["daylight_bias"], tzi["standard_bias"])


@functools.lru_cache(maxsize=64)
def _candidates(year: int, bias: int, std_bias: int, dst_bias: int, std_date: tuple,
                dst_date: tuple) -> tuple[str, ...]:
    """Windows zone names whose offsets match the rules on the 1st and 15th of every month of
    `year` at noon (empty when CLDR's table or the IANA data are not available)."""
    try:
        from zoneinfo import ZoneInfo

        from babel.core import get_global
        table = get_global("windows_zone_mapping")
    except Exception:  # noqa: BLE001 - Babel or its data missing: no name, not an error
        return ()
    tzi = {"bias": bias, "standard_bias": std_bias, "daylight_bias": dst_bias,
           "standard_date": std_date, "daylight_date": dst_date}
    days = [_dt.datetime(year, m, d, 12) for m in range(1, 13) for d in (1, 8, 15, 22)]
    wall = np.array(days, dtype="datetime64[ns]")
    want = -wall_to_utc_offsets(wall, tzi)
    found = []
    for win, iana in table.items():
        try:
            zone = ZoneInfo(iana)
        except Exception:  # noqa: BLE001 - an IANA name this system lacks
            continue
        got = [int(d.replace(tzinfo=zone).utcoffset().total_seconds() // 60) for d in days]
        if got == list(want):
            found.append(win)
    return tuple(found)


# tzres.dll references whose zone a sample pair confirms: ps_counter_samples.blg says
# "@tzres.dll,-212" where Windows' own export of it (ps_counter_samples.csv) says "Pacific
# Standard Time". Its rules match three other Windows zones too, so they cannot tell.
KNOWN_RESOURCES = {"@tzres.dll,-212": "Pacific Standard Time"}


def _daylight_name(name: str) -> str:
    """Windows' daylight name of a zone: "Standard Time" -> "Daylight Time" (the pattern of
    the zone names; a zone whose name lacks it keeps its name)."""
    return name.replace("Standard Time", "Daylight Time")


def zone_name(tzi: dict, year: int, daylight: bool) -> tuple[str | None, list[str], str]:
    """(name for the index, candidate Windows zone names, how the name was found).

    The header's own names when they are readable; else the one Windows zone whose rules
    match; else None (several or none match: the candidates are returned for the caller to
    report)."""
    std, dst = tzi["standard_name"].strip(), tzi["daylight_name"].strip()
    if std and not std.startswith("@"):
        return (dst if daylight and dst else std), [std], "header"
    if std in KNOWN_RESOURCES:
        name = KNOWN_RESOURCES[std]
        return (_daylight_name(name) if daylight else name), [name], "resource"
    found = list(_candidates(year, tzi["bias"], tzi["standard_bias"], tzi["daylight_bias"],
                             tuple(tzi["standard_date"]), tuple(tzi["daylight_date"])))
    if len(found) == 1:
        return (_daylight_name(found[0]) if daylight else found[0]), found, "rules"
    return None, found, "rules"
