"""The summary as a square PNG card and a one-page PDF, made on the server.

Both are drawn by WeasyPrint from small templates (templates/impact/card.html, sheet.html),
with the letters' locked-down asset fetcher and bundled Noto fonts, so Devanagari is shaped by
HarfBuzz exactly as in the letters and the SVG logo is drawn as it is. The card is a
1080 × 1080 px page rasterised by poppler's `pdftoppm` at 96 dpi (1 CSS px = 1 image pixel).
Why not Pillow alone: Pillow here has raqm and shapes Devanagari, but it cannot draw the SVG
logo and would need a second layout (line breaking, both scripts) written by hand; one layout
engine keeps the card, the sheet and the letters alike. Pillow checks the result's size.

What goes in: the figures of `caseflow.impact.summary` (small cells already suppressed), the
organisation's name and logo, and stories whose beneficiary's consent to publicity stands at
this moment (`services.public_stories`). Nothing else of any person.
"""
import io
import subprocess
import tempfile
from pathlib import Path

from babel.numbers import format_decimal
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from caseflow.identity import scrub_aadhaar
from caseflow.impact.summary import SMALL, Summary
from caseflow.letters import render

CARD_SIZE = 1080
CARD_ROWS = 4  # schemes on the card; the sheet has room for more
SHEET_ROWS = 14
RASTER_TIMEOUT = 30  # seconds


class RasterError(RuntimeError):
    """pdftoppm failed or is missing (poppler-utils is a system requirement of the card)."""


def number(value, locale: str) -> str:
    """Indian digit grouping (1,20,000) in both languages."""
    return format_decimal(value, format="#,##,##0.#", locale=f"{locale}_IN")


def count_text(value, locale: str) -> str:
    """A published count: the number, "fewer than 5", or "not shown" for a total held back."""
    if value is SMALL:
        return _("fewer than 5")
    if value is None:
        return _("not shown")
    return number(value, locale)


def households_text(summary: Summary, locale: str) -> str:
    """The headline count: the total, or "at least N" when the total is held back."""
    if summary.households is None and summary.households_at_least is not None:
        return _("at least %(n)s", n=number(summary.households_at_least, locale))
    return count_text(summary.households, locale)


def rupees(value: int, locale: str) -> str:
    return "₹" + number(value, locale)


def days_text(value, locale: str) -> str:
    if value is None:
        return _("not shown")
    return _("%(n)s days", n=number(value, locale))


def organisation() -> dict:
    logo = render.logo_path()
    return {"name": current_app.config.get("ORGANISATION_NAME") or "caseflow",
            "logo_url": logo.resolve().as_uri() if logo else None}


def context(summary: Summary, stories: list, locale: str) -> dict:
    return {"summary": summary, "stories": stories, "locale": locale, "organisation": organisation(),
            "count_text": lambda v: count_text(v, locale),
            "households_text": households_text(summary, locale), "rupees": lambda v: rupees(v, locale),
            "days_text": lambda v: days_text(v, locale), "number": lambda v: number(v, locale),
            "area_name": summary.area.name(locale), "period_label": summary.period.label(),
            "scheme_name": lambda s: s.name(locale)}


def _html(template: str, summary: Summary, stories: list, locale: str, **extra) -> str:
    with force_locale(locale):
        html = current_app.jinja_env.get_template(template).render(**context(summary, stories, locale), **extra)
    # Stories are masked where they were typed; the whole document is masked as well, as letters are.
    return scrub_aadhaar(html)


def sheet_pdf(summary: Summary, stories: list, locale: str) -> bytes:
    """The one-page PDF. If the page overflows, stories go first, then the smallest rows
    (their households stay in the totals), until it fits."""
    rows, shown_stories = SHEET_ROWS, list(stories)
    while True:
        pdf, pages = render.html_to_pdf_pages(_html("impact/sheet.html", summary, shown_stories, locale, rows=rows))
        if pages <= 1 or rows <= 1:
            return pdf
        if shown_stories:
            shown_stories.pop()
        else:
            rows -= 2


def card_pdf(summary: Summary, stories: list, locale: str) -> bytes:
    return render.html_to_pdf(_html("impact/card.html", summary, stories[:1], locale, rows=CARD_ROWS))


def card_png(summary: Summary, stories: list, locale: str) -> bytes:
    """The 1080 × 1080 PNG card."""
    from PIL import Image  # noqa: PLC0415 (only a process that makes cards loads it)

    pdf = card_pdf(summary, stories, locale)
    with tempfile.TemporaryDirectory(prefix="caseflow-card-") as folder:
        source = Path(folder) / "card.pdf"
        source.write_bytes(pdf)
        try:
            subprocess.run(["pdftoppm", "-png", "-singlefile", "-f", "1", "-l", "1",
                            "-scale-to-x", str(CARD_SIZE), "-scale-to-y", str(CARD_SIZE),
                            str(source), str(Path(folder) / "card")],
                           check=True, capture_output=True, timeout=RASTER_TIMEOUT)
        except (OSError, subprocess.SubprocessError) as exc:
            raise RasterError("pdftoppm could not rasterise the card (is poppler-utils installed?)") from exc
        png = (Path(folder) / "card.png").read_bytes()
    with Image.open(io.BytesIO(png)) as image:  # reads the header only: a cheap check
        if image.size != (CARD_SIZE, CARD_SIZE) or image.format != "PNG":
            raise RasterError(f"the card came out {image.format} {image.size}, not a {CARD_SIZE}×{CARD_SIZE} PNG")
    return png
