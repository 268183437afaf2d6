"""Writing tables people open in a spreadsheet: CSV and XLSX, streamed, with no cell that could
run as a formula.

A cell that begins with = + - @ (or a tab or carriage return, which some spreadsheets strip
first) would be read as a formula when the file is opened: a beneficiary's name or an official's
note could then run one on a supervisor's machine. Such cells are written with a leading
apostrophe, the spreadsheets' own "this is text" mark.
"""
import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date

import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel's own limit: a sheet holds 1,048,576 rows, one of them the header.
XLSX_MAX_ROWS = 1_048_575


def neutral(value) -> str:
    """`value` as the text of a cell that cannot run as a formula ('' for None)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(header: Iterable, rows: Iterable[Iterable]) -> bytes:
    """A whole CSV file (small tables)."""
    return b"".join(csv_chunks(header, rows))


def csv_chunks(header: Iterable, rows: Iterable[Iterable], every: int = 500) -> Iterator[bytes]:
    """A CSV file as chunks of about `every` rows: UTF-8 with a byte-order mark, so Excel shows
    Hindi correctly, and CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write("\ufeff")
    writer.writerow([neutral(h) for h in header])
    for n, row in enumerate(rows, 1):
        writer.writerow([neutral(v) for v in row])
        if n % every == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def xlsx_file(header: Iterable, rows: Iterable[Iterable], sheet: str) -> tempfile.SpooledTemporaryFile:
    """An XLSX workbook in a temporary file, rewound. Every cell is written as text (dates as
    ISO dates, numbers as numbers), so nothing in it is a formula; XlsxWriter's constant-memory
    mode writes each row as it comes, so a large export does not sit in memory."""
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False,
                                        "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    sheet_ = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    for col, title in enumerate(header):
        sheet_.write_string(0, col, neutral(title), bold)
    for r, row in enumerate(rows, 1):
        if r > XLSX_MAX_ROWS:
            raise ValueError("more rows than a sheet holds")
        for col, value in enumerate(row):
            if isinstance(value, bool) or value is None:
                sheet_.write_string(r, col, neutral(value))
            elif isinstance(value, int):
                sheet_.write_number(r, col, value)
            else:
                sheet_.write_string(r, col, neutral(value))
    book.close()
    target.seek(0)
    return target
