"""A PDF text layer that copies and extracts Hindi correctly from WeasyPrint's output.

The problem. WeasyPrint draws each line as HarfBuzz shaped it, so the page is right, but its
text layer is a ToUnicode CMap: one string per glyph id, chosen the first time the glyph is
drawn. Devanagari breaks both halves of that design:

* a cluster's glyphs are not its characters in logical order: मि is drawn as [ि, म] and कार्य
  as [का, य, reph]; no per-glyph table can spell "मि" when the glyphs come in the order ि, म;
* a glyph shared by several clusters keeps the text of its first one, so once म is first
  drawn inside मि, every later standalone म also extracts as "मि" (and मिला as "मला").

The fix. Every word whose glyphs do not spell its text one to one (a multi-glyph cluster, a
glyph whose ToUnicode text is not the cluster's, a zero-advance mark) is wrapped in a
marked-content sequence ``/Span <</ActualText <FEFF…>>> BDC … EMC`` carrying the word's
characters in logical order (PDF 32000-1 §14.9.4). Extractors that honour ActualText (poppler's
pdftotext, evince and okular, MuPDF, pdfium, Acrobat) take the text from the span and its place
from the glyphs inside it. Spans cover whole words, not single clusters as in Chromium's PDFs,
because poppler spreads a span's characters evenly between the first glyph's origin and the
last glyph's advance: a span ending on a reph or matra drawn back to the left leaves a gap
before the next character (संपर्क; came out "संपर्क ;"), and a mark outside a span is taken for
a duplicate of the previous character (उद्देश्य came out "उद्दे श्य", as it does in Chromium's
"कृ पया"). Spaces stay outside spans, so word breaks and line order still come from geometry.
A glyph's ToUnicode entry now comes from a cluster where it stands alone (a plain म) when there
is one, which also helps readers that ignore ActualText. Glyphs, positions and fonts are
written exactly as before: the printed page does not change by a pixel.

How it is applied. The text layer is decided while WeasyPrint writes each line's glyphs
(``weasyprint.draw.text.draw_first_line``), the only place that knows both the glyphs and the
characters; a finished PDF no longer carries the link between them. So this module replaces
that function with a copy of WeasyPrint 70.0's that adds the spans. Because it is a copy of a
private function, :func:`fix_text_layer` refuses to install (raises
:class:`UnsupportedWeasyPrint`) unless the installed WeasyPrint is exactly the version and the
``draw/text.py`` source it was written against; requirements.in pins ``weasyprint==70.0``.
After an upgrade, compare the new ``draw_first_line`` with :func:`_draw_first_line`, port the
changes, and update ``WEASYPRINT_VERSION`` and ``DRAW_TEXT_SHA256``.

API:

* ``fix_text_layer()`` installs the fix process-wide (idempotent, thread-safe, cheap: call it
  before every render, or once at start-up). Every later ``HTML(...).write_pdf()`` /
  ``Document.write_pdf()`` in the process then writes the spans, whatever the HTML, including
  batches built from several documents' pages.
* ``restore_weasyprint()`` puts WeasyPrint's own function back (for measuring the baseline);
  ``is_fixed()`` says which of the two is installed.

How the round trip is measured (the words of the HTML against pdftotext's output) lives with the
tests, in tests/textlayer_support.py (docs/textlayer.md).
"""
import hashlib
import threading
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

import weasyprint
import weasyprint.draw.text as wp_text
from PIL import Image
from weasyprint.images import RasterImage, SVGImage
from weasyprint.logger import LOGGER
from weasyprint.text.ffi import FROM_UNITS, TO_UNITS, ffi, pango
from weasyprint.text.fonts import get_hb_object_data
from weasyprint.text.line_break import get_last_word_end

from caseflow.letters.textspans import actual_text, bind_harfbuzz, flush_glyphs, plan_spans

# The exact WeasyPrint this copy of draw_first_line was written against.
WEASYPRINT_VERSION = "70.0"
DRAW_TEXT_SHA256 = "c9a450aa209277e760227e1fed2da492647bd28e5a5ebc4c9d8aaedecc400d77"

_lock = threading.Lock()
_original_draw_first_line = None


class UnsupportedWeasyPrint(RuntimeError):
    """The installed WeasyPrint is not the one the text-layer fix was written for."""


def _check_weasyprint() -> None:
    if weasyprint.__version__ != WEASYPRINT_VERSION:
        raise UnsupportedWeasyPrint(
            f"caseflow.letters.textlayer was written for WeasyPrint {WEASYPRINT_VERSION}, "
            f"found {weasyprint.__version__}: port _draw_first_line to the new version (see the module docstring)")
    digest = hashlib.sha256(Path(wp_text.__file__).read_bytes()).hexdigest()
    if digest != DRAW_TEXT_SHA256:
        raise UnsupportedWeasyPrint(
            f"weasyprint/draw/text.py differs from the {WEASYPRINT_VERSION} source the text-layer fix copies "
            f"(sha256 {digest}): port _draw_first_line to it (see the module docstring)")
    # The C struct layouts textspans reads through WeasyPrint's declarations.
    pointer = ffi.sizeof("void *")
    if (ffi.offsetof("PangoGlyphInfo", "glyph") != 0 or ffi.sizeof("PangoGlyphInfo") % 4
            or ffi.offsetof("PangoGlyphInfo", "geometry") + ffi.offsetof("PangoGlyphGeometry", "width") != 4
            or ffi.offsetof("PangoAnalysis", "level") != 3 * pointer):
        raise UnsupportedWeasyPrint("WeasyPrint's Pango declarations changed: port caseflow.letters.textlayer")
    bind_harfbuzz()


def fix_text_layer() -> None:
    """Make every PDF WeasyPrint writes in this process carry ActualText for shaped clusters."""
    global _original_draw_first_line
    if _original_draw_first_line is not None:
        return
    with _lock:
        if _original_draw_first_line is None:
            _check_weasyprint()
            _original_draw_first_line = wp_text.draw_first_line
            wp_text.draw_first_line = _draw_first_line


def restore_weasyprint() -> None:
    """Undo fix_text_layer(): WeasyPrint writes its own text layer again."""
    global _original_draw_first_line
    with _lock:
        if _original_draw_first_line is not None:
            wp_text.draw_first_line = _original_draw_first_line
            _original_draw_first_line = None


def is_fixed() -> bool:
    return wp_text.draw_first_line is _draw_first_line


# --- The patched drawing function -----------------------------------------------------------

def _draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    """WeasyPrint 70.0's draw_first_line, plus ActualText spans and better ToUnicode choices.

    Changes from the original are marked "caseflow:"; everything else is kept verbatim so a
    port to a later WeasyPrint is a diff away.
    """
    # Don’t draw lines with only invisible characters.
    if not textbox.text.strip():
        return []

    if textbox.style['font_size'] < 1e-6:  # default float precision used by pydyf
        return []

    pango.pango_layout_set_single_paragraph_mode(textbox.pango_layout.layout, True)

    if text_overflow == 'ellipsis' or block_ellipsis != 'none':
        assert textbox.pango_layout.max_width is not None
        max_width = textbox.pango_layout.max_width
        pango.pango_layout_set_width(
            textbox.pango_layout.layout, int(max_width * TO_UNITS))
        if text_overflow == 'ellipsis':
            pango.pango_layout_set_ellipsize(
                textbox.pango_layout.layout, pango.PANGO_ELLIPSIZE_END)
        else:
            if block_ellipsis == 'auto':
                ellipsis = '…'
            else:
                assert block_ellipsis[0] == 'string'
                ellipsis = block_ellipsis[1]

            # Remove last word if hyphenated.
            new_text = textbox.pango_layout.text
            if new_text.endswith(textbox.style['hyphenate_character']):
                last_word_end = get_last_word_end(
                    new_text[:-len(textbox.style['hyphenate_character'])],
                    textbox.style['lang'])
                if last_word_end:
                    new_text = new_text[:last_word_end]

            textbox.pango_layout.set_text(new_text + ellipsis)

    first_line, index = textbox.pango_layout.get_first_line()

    if block_ellipsis != 'none':
        while index:
            last_word_end = get_last_word_end(
                textbox.pango_layout.text[:-len(ellipsis)],
                textbox.style['lang'])
            if last_word_end is None:
                break
            new_text = textbox.pango_layout.text[:last_word_end]
            textbox.pango_layout.set_text(new_text + ellipsis)
            first_line, index = textbox.pango_layout.get_first_line()

    stream.set_text_matrix(*matrix.values)
    previous_pango_font = None
    string = ''
    x_advance = 0
    emojis = []
    # caseflow: the layout text is needed for every run, to find the clusters' characters.
    utf8_text = textbox.pango_layout.text.encode()
    spans = plan_spans(stream, first_line, utf8_text, text_overflow == 'ellipsis')
    run_index = -1
    run = first_line.runs[0]
    while run != ffi.NULL:
        run_index += 1
        span_starts, span_ends = spans[run_index]
        # Get Pango objects.
        glyph_item = run.data
        run = run.next
        glyph_string = glyph_item.glyphs
        glyphs_info = glyph_string.glyphs
        num_glyphs = glyph_string.num_glyphs
        clusters = glyph_string.log_clusters

        pango_font = glyph_item.item.analysis.font
        if pango_font != previous_pango_font:
            # Add font file content and get font size.
            previous_pango_font = pango_font
            font, font_size = stream.add_font(pango_font)

            # Workaround for https://gitlab.gnome.org/GNOME/pango/-/issues/530.
            # This is also needed by raster emoji fonts, see #2800.
            if pango.pango_version() < 14802 or font.png:
                font_size = textbox.style['font_size']

            # Go through the run glyphs.
            if string:
                stream.show_text(string)
            string = ''
            stream.set_font_size(font.hash, 1 if font.bitmap else font_size)
        string += '<'

        for i, glyph_info in enumerate(glyphs_info[0:num_glyphs]):
            # caseflow: close the previous cluster's span, open this cluster's.
            if i in span_ends:
                string = flush_glyphs(stream, string)
                stream.end_marked_content()
            if i in span_starts:
                string = flush_glyphs(stream, string)
                stream.stream.append(actual_text(span_starts[i]))

            glyph_id = glyph_info.glyph
            width = glyph_info.geometry.width

            # Display zero-width empty glyph.
            if glyph_id == pango.PANGO_GLYPH_EMPTY:
                string += f'>{-width / font_size}<'
                continue

            # Display .notdef and log warning for missing glyphs.
            if glyph_id & pango.PANGO_GLYPH_UNKNOWN_FLAG:
                codepoint = glyph_id - pango.PANGO_GLYPH_UNKNOWN_FLAG
                LOGGER.warning(
                    '.notdef glyph rendered for Unicode string unsupported by fonts: '
                    '"%s" (U+%04X)', chr(codepoint), codepoint)
                glyph_id = font.get_unused_glyph_id(codepoint)
                font.widths[glyph_id] = round(width * 1000 * FROM_UNITS / font_size)
                if 0 not in font.widths:
                    # "width" is actually Pango’s get_approximate_char_width. Force
                    # .notdef’s to use this width, even if it’s not the right, as we
                    # want to keep Pango’s layout for next glyphs.
                    font.widths[0] = font.widths[glyph_id]

            # Create mapping between glyphs and Unicode codepoints.
            if glyph_id not in font.to_unicode:
                # Get positions of the glyph in the UTF-8 string.
                offset = glyph_item.item.offset
                t1 = clusters[i]
                if glyph_item.item.analysis.level % 2:  # rtl
                    t2 = glyph_item.item.length if i == 0 else clusters[i-1]
                else:
                    t2 = glyph_item.item.length if i == num_glyphs-1 else clusters[i+1]
                font.to_unicode[glyph_id] = utf8_text[offset+t1:offset+t2].decode()
                # caseflow: a glyph of a multi-glyph cluster; a lone use may claim it later.
                font.caseflow_provisional.add(glyph_id)

            # Set horizontal and vertical offsets.
            offset = glyph_info.geometry.x_offset / font_size
            rise = glyph_info.geometry.y_offset / 1000
            if rise:
                if string[-1] == '<':
                    string = string[:-1]
                else:
                    string += '>'
                if string:
                    stream.show_text(string)
                stream.set_text_rise(-rise)
                string = ''
                if offset:
                    string = f'{-offset}'
                string += f'<{glyph_id:02x}>' if font.bitmap else f'<{glyph_id:04x}>'
                stream.show_text(string)
                stream.set_text_rise(0)
                string = '<'
            else:
                if offset:
                    string += f'>{-offset}<'
                string += f'{glyph_id:02x}' if font.bitmap else f'{glyph_id:04x}'

            # Get glyph logical widths.
            if glyph_id in font.widths:
                logical_width = font.widths[glyph_id]
            else:
                pango.pango_font_get_glyph_extents(
                    pango_font, glyph_id, stream.ink_rect, stream.logical_rect)
                logical_width = font.widths[glyph_id] = round(
                    stream.logical_rect.width * 1000 * FROM_UNITS / font_size)

            # Set kerning, word spacing, letter spacing.
            kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size
            if kerning:
                string += f'>{int(kerning)}<'

            # Create list of emojis.
            if font.svg:
                svg_data = get_hb_object_data(font.hb_face, 'svg', glyph_id)
                if svg_data:
                    # Do as explained in specification
                    # https://learn.microsoft.com/typography/opentype/spec/svg
                    tree = ElementTree.fromstring(svg_data)
                    if tree.get('id') != f'glyph{glyph_id}':
                        defs = ElementTree.Element('defs')
                        for child in list(tree):
                            defs.append(child)
                            tree.remove(child)
                        tree.append(defs)
                        ElementTree.SubElement(
                            tree, 'use', attrib={'href': f'#glyph{glyph_id}'})
                    if 'viewBox' not in tree.attrib:
                        tree.attrib['viewBox'] = f'0 0 {font.upem} {font.upem}'
                    image = SVGImage(tree, None, None, None)
                    a = d = 1
                    emojis.append([image, font, a, d, x_advance, 0])
            elif font.png:
                png_data = get_hb_object_data(font.hb_font, 'png', glyph_id)
                if png_data:
                    pillow_image = Image.open(BytesIO(png_data))
                    image_id = f'{font.hash}{glyph_id}'
                    image = RasterImage(pillow_image, image_id, png_data)
                    d = logical_width / 1000
                    a = pillow_image.width / pillow_image.height * d
                    pango.pango_font_get_glyph_extents(
                        pango_font, glyph_id, stream.ink_rect,
                        stream.logical_rect)
                    f = -stream.logical_rect.y
                    f = f * FROM_UNITS / font_size - font_size
                    emojis.append([image, font, a, d, x_advance, f])
            elif font.colr:
                svg_data = get_hb_object_data(font.hb_font, 'colr', glyph_id)
                if svg_data:
                    tree = ElementTree.fromstring(svg_data)
                    image = SVGImage(tree, None, None, None)
                    a = d = 1
                    e = x_advance - kerning
                    emojis.append([image, font, a, d, e, -textbox.baseline])

            x_advance += (logical_width + offset - kerning) / 1000

        # caseflow: close a span left open by the run's last cluster.
        if num_glyphs in span_ends:
            string = flush_glyphs(stream, string)
            stream.end_marked_content()

        # Close the last glyphs list, remove if empty.
        if string[-1] == '<':
            string = string[:-1]
        else:
            string += '>'

    # Draw text.
    # caseflow: an empty "[] TJ" is not written.
    if string:
        stream.show_text(string)

    return emojis
