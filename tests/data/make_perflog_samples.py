r"""Writes the hand-made performance-log samples in this folder (run it to regenerate them).

Each sample copies a quirk of real Windows exports (see tests/test_perflog_read.py for what
each one checks): the text below is written byte for byte in the stated encoding with CRLF
line ends, as Windows writes it. Nothing here is produced by hvlab itself.
"""
from pathlib import Path

HERE = Path(__file__).parent
LM = r"\\HV01\Hyper-V VM Live Migration(sql01:VM Live Migration)"

SAMPLES = {
    # relog -f csv of a live migration on an English WS2012 R2 host (cp1252, ASCII content)
    "perflog_relog_en.csv": ("cp1252", [
        ['(PDH-CSV 4.0) (W. Europe Standard Time)(-60)',
         LM + r"\Transfer Pass: Number",
         LM + r"\Transfer pass: Dirty Page Count",
         LM + r"\Transfer Pass: Is blackout",
         LM + r"\TCP Transport: Bytes Sent/sec",
         r"\\HV01\Network Interface(Intel[R] 82574L Gigabit Network Connection)\Bytes Sent/sec",
         r"\\HV01\Hyper-V Virtual Storage Device(C:-ClusterStorage-Volume1-sql01-sql01.vhdx)"
         r"\Write Bytes/sec",
         r"\\HV01\Process(svchost#3)\% Processor Time",
         r"\\HV01\Thread(vmms/12#1)\Context Switches/sec",
         r"\\HV01\Process(foo (x86))\% Processor Time",
         r"\\HV01\Memory\Available MBytes"],
        ["03/07/2013 09:41:53.468", "0", "0", "0", " ", " ", " ", " ", " ", " ", "5120"],
        ["03/07/2013 09:41:54.468", "1", "0", "0", "117961216", "118234521.39999999",
         "5.0045e-005", "0.78125", "1012.3", "0", "5119"],
        ["03/07/2013 09:41:55.469", "1", "20480", "0", "118013440", "118290011.2",
         "2048", "1.5625", "998", "0", "5119"],
        ["03/07/2013 09:41:56.468", "2", "3584", "0", "117923840", "118197735.5",
         "4096", "2.6041666666666661", "1500", "0", "5118"],
        ["03/07/2013 09:41:57.468", "3", "0", "1", "15204352", "15231020",
         "0", "0", "0", "0", "5118"],
        ["03/07/2013 09:41:58.470", "0", "0", "0", "0", "1.2e+003", "0", "0", "0", "0",
         "5118"]]),
    # a Russian host: cp1251, localised object and counter names and zone name
    "perflog_ru_cp1251.csv": ("cp1251", [
        ["(PDH-CSV 4.0) (RTZ 2 (зима))(-180)",
         r"\\HV02\Процессор(_Total)\% загруженности процессора",
         r"\\HV02\Сетевой интерфейс(Microsoft Hyper-V Network Adapter)\Отправлено байт/с",
         r"\\HV02\Память\Доступно МБ"],
        ["11/14/2012 10:12:33.123", "12.5", " ", "3021"],
        ["11/14/2012 10:12:48.125", "14.0625", "117440512", "3020"],
        ["11/14/2012 10:13:03.126", "3.125", "1024.5", "3020"]]),
    # a Spanish host: cp1252 (ñ tells cp1252 from cp1250), localised names
    "perflog_es_cp1252.csv": ("cp1252", [
        ["(PDH-CSV 4.0) (Hora estándar romance)(-60)",
         r"\\HV03\Procesador(_Total)\% de tiempo de procesador",
         r"\\HV03\Interfaz de red(Adaptador de red de Microsoft Hyper-V)\Bytes enviados/s",
         r"\\HV03\Disco físico(0 C:)\Bytes de lectura de disco/s",
         r"\\HV03\Hyper-V VM Live Migration(señal01:VM Live Migration)\Transfer Pass: Number"],
        ["01/15/2013 18:00:00.000", "2.5", " ", " ", "0"],
        ["01/15/2013 18:00:05.000", "7.5", "1048576", "65536", "1"],
        ["01/15/2013 18:00:10.000", "9", "2097152", "0", "2"]]),
    # a German host writing PDH-TSV (every field quoted in TSV too)
    "perflog_de_cp1252.tsv": ("cp1252", [
        ["(PDH-TSV 4.0) (Mitteleuropäische Zeit)(-60)",
         r"\\HV04\Prozessor(_Total)\Prozessorzeit (%)",
         r"\\HV04\Netzwerkschnittstelle(Microsoft Hyper-V-Netzwerkadapter)\Gesendete Bytes/s",
         r"\\HV04\Arbeitsspeicher\Verfügbare MB"],
        ["02/01/2013 07:30:00.250", "1.25", " ", "2048"],
        ["02/01/2013 07:30:01.250", "100", "1.18e+008", "2047"]]),
    # a GUI export in UTF-16 LE with BOM; a VM name no ANSI code page holds
    "perflog_utf16.csv": ("utf-16", [
        ["(PDH-CSV 4.0) (Tokyo Standard Time)(-540)",
         r"\\HV05\Hyper-V VM Live Migration(データベース01:VM Live Migration)"
         r"\Transfer Pass: Number",
         r"\\HV05\Memory\Available MBytes"],
        ["06/30/2014 23:59:59.500", "1", "800"],
        ["07/01/2014 00:00:00.500", "2", "799.5"]]),
    # the real-world broken header: the first cell ends after "(RTZ 2 (" with no bias
    "perflog_broken_header.csv": ("cp1251", [
        ["(PDH-CSV 4.0) (RTZ 2 (",
         r"\\HV06\Память\Доступно МБ",
         r"\\HV06\Процессор(_Total)\% загруженности процессора"],
        ["12/31/2013 23:59:58.000", "4096", "1.5"],
        ["12/31/2013 23:59:59.000", "4095", "2"]]),
    # a non-number in a cell (line 4, column 3) and the same counter path twice
    "perflog_bad_cell.csv": ("cp1252", [
        ["(PDH-CSV 4.0) (GMT Standard Time)(0)",
         r"\\HV07\Memory\Available MBytes",
         r"\\HV07\Network Interface(nic1)\Bytes Sent/sec",
         r"\\HV07\Memory\Available MBytes"],
        ["05/05/2013 12:00:00.000", "100", "1", "100"],
        ["05/05/2013 12:00:01.000", "101", "2", "101"],
        ["05/05/2013 12:00:02.000", "102", "abc", "102"],
        ["05/05/2013 12:00:03.000", "103", "4", "103"]]),
}


def _line(cells, delim):
    return delim.join('"' + c.replace('"', '""') + '"' for c in cells) + "\r\n"


def write_all():
    for name, (encoding, rows) in SAMPLES.items():
        delim = "\t" if name.endswith(".tsv") else ","
        text = "".join(_line(r, delim) for r in rows)
        (HERE / name).write_bytes(text.encode(encoding))
    # a log copied while PerfMon was still writing it: the last line stops mid-row
    rows = SAMPLES["perflog_relog_en.csv"][1][:4]
    text = "".join(_line(r, ",") for r in rows) + '"03/07/2013 09:41:56.468","2","35'
    (HERE / "perflog_truncated.csv").write_bytes(text.encode("cp1252"))
    # typeperf printing to a console, redirected to a file (cmd.exe: OEM code page)
    (HERE / "typeperf_console.txt").write_bytes((
        "\r\n"
        '"(PDH-CSV 4.0)","\\\\HV01\\Processor(_Total)\\% Processor Time",'
        '"\\\\HV01\\Network Interface(Microsoft Hyper-V Network Adapter)\\Bytes Sent/sec"\r\n'
        '"11/14/2012 10:12:33.123","3.125000","0.000000"\r\n'
        '"11/14/2012 10:12:34.125","1.562500","118234567.000000"\r\n'
        '"11/14/2012 10:12:35.126","4.687500","117998211.500000"\r\n'
        "Exiting, please wait...\r\n"
        "The command completed successfully.\r\n").encode("cp437"))
    (HERE / "typeperf_console_ru_cp866.txt").write_bytes((
        "\r\n"
        '"(PDH-CSV 4.0)","\\\\HV02\\Процессор(_Total)\\% загруженности процессора"\r\n'
        '"11/14/2012 10:12:33.123","3.125000"\r\n'
        '"11/14/2012 10:12:34.125","1.562500"\r\n'
        "Выход, подождите...\r\n"
        "Команда успешно выполнена.\r\n").encode("cp866"))
    # Get-Counter samples | Export-Csv (Windows PowerShell 5: #TYPE line, en-US times)
    head = ('#TYPE Microsoft.PowerShell.Commands.GetCounter.PerformanceCounterSample\r\n'
            '"Path","InstanceName","CookedValue","RawValue","SecondValue","MultipleCount",'
            '"CounterType","Timestamp","Timestamp100NSec","Status","DefaultScale","TimeBase"'
            "\r\n")
    lm = r"\\hv01\hyper-v vm live migration(sql01:vm live migration)"
    nic = r"\\hv01\network interface(microsoft hyper-v network adapter)"
    rows = [
        (lm + r"\transfer pass: number", "sql01:vm live migration", "1", "1", "0",
         "NumberOfItems32", "11/14/2012 10:12:33 AM", "129973999531230000"),
        (nic + r"\bytes sent/sec", "microsoft hyper-v network adapter", "117440512",
         "88002233441", "129973999531230000", "RateOfCountsPerSecond64",
         "11/14/2012 10:12:33 AM", "129973999531230000"),
        (lm + r"\transfer pass: number", "sql01:vm live migration", "2", "2", "0",
         "NumberOfItems32", "11/14/2012 10:12:34 AM", "129973999541240000"),
        (nic + r"\bytes sent/sec", "microsoft hyper-v network adapter", "117961216.5",
         "88120194657", "129973999541240000", "RateOfCountsPerSecond64",
         "11/14/2012 10:12:34 AM", "129973999541240000"),
        (lm + r"\transfer pass: number", "sql01:vm live migration", "3", "3", "0",
         "NumberOfItems32", "11/14/2012 1:12:35 PM", "129974107551250000"),
    ]
    body = "".join(
        '"' + '","'.join([p, inst, cooked, raw, second, "0", ctype, ts, ts100, "0", "0",
                          "10000000"]) + '"\r\n'
        for p, inst, cooked, raw, second, ctype, ts, ts100 in rows)
    (HERE / "getcounter_export.csv").write_bytes((head + body).encode("ascii"))
    # Export-Csv -UseCulture on a German host: ";" delimiter, day-first dates, decimal comma
    de = ('"Path";"InstanceName";"CookedValue";"Timestamp"\r\n'
          '"\\\\hv04\\prozessor(_total)\\prozessorzeit (%)";"_total";"12,5";"14.11.2012 10:12:33"\r\n'
          '"\\\\hv04\\arbeitsspeicher\\verfügbare mb";"";"2048";"14.11.2012 10:12:33"\r\n'
          '"\\\\hv04\\prozessor(_total)\\prozessorzeit (%)";"_total";"7";"14.11.2012 10:12:34"\r\n'
          '"\\\\hv04\\arbeitsspeicher\\verfügbare mb";"";"2047,5";"14.11.2012 10:12:34"\r\n')
    (HERE / "getcounter_de_useculture.csv").write_bytes(codecs_bom() + de.encode("utf-8"))


def codecs_bom() -> bytes:
    import codecs
    return codecs.BOM_UTF8


if __name__ == "__main__":
    write_all()
