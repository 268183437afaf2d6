"""Which glyph runs of a line need /ActualText, and the bytes that say it.

The planning half of caseflow.letters.textlayer: for one line WeasyPrint is about to draw,
`plan_spans` walks Pango's glyph runs cluster by cluster and finds the words whose glyphs do
not spell them one-to-one (shaped Devanagari conjuncts, matras, ellipses); the drawing half
wraps those in spans. Reads Pango's and HarfBuzz's structures through WeasyPrint's own cffi
declarations, whose layout textlayer checks before it installs anything.
"""
import cffi
import weasyprint.text.ffi as wp_ffi
from weasyprint.text.ffi import ffi, pango


def actual_text(text: str) -> bytes:
    # A hex string needs no escaping, whatever characters a beneficiary's name holds.
    return b"/Span<</ActualText<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">>>BDC"


# HarfBuzz's cmap lookup, which WeasyPrint's own bindings do not declare; bound by
# bind_harfbuzz() with WeasyPrint's helper, so it loads the same library.
_hb_ffi = cffi.FFI()
_hb_ffi.cdef("""
    typedef struct hb_font_t hb_font_t;
    int hb_font_get_nominal_glyph (hb_font_t *font, uint32_t unicode, uint32_t *glyph);
""")
_hb = None


def bind_harfbuzz() -> None:
    global _hb
    if _hb is None:
        _hb = wp_ffi._dlopen(
            _hb_ffi, 'libharfbuzz-0', 'harfbuzz', 'harfbuzz-0.0',
            'libharfbuzz.so.0', 'libharfbuzz.0.dylib', 'libharfbuzz-0.dll')

_PANGO_ANALYSIS_FLAG_IS_ELLIPSIS = 1 << 1

# PangoGlyphInfo is read as 32-bit words: the glyph id, then the geometry's width.
_GLYPH_INFO_WORDS = ffi.sizeof("PangoGlyphInfo") // 4


def _run_clusters(glyph_item, utf8_text: bytes):
    """The run's glyph ids and advances, and its clusters in visual order as
    [(first glyph, last glyph + 1, byte offset in the layout text, text)]."""
    glyph_string = glyph_item.glyphs
    num_glyphs = glyph_string.num_glyphs
    # One read of the C arrays instead of a cffi object per glyph field: this runs per line.
    words = memoryview(ffi.buffer(glyph_string.glyphs, num_glyphs * _GLYPH_INFO_WORDS * 4)).cast("I")
    glyph_ids = words[0::_GLYPH_INFO_WORDS].tolist()
    widths = words[1::_GLYPH_INFO_WORDS].tolist()
    clusters = ffi.unpack(glyph_string.log_clusters, num_glyphs)
    offset, length = glyph_item.item.offset, glyph_item.item.length
    rtl = glyph_item.item.analysis.level % 2
    result = []
    start = 0
    for i in range(1, num_glyphs + 1):
        if i < num_glyphs and clusters[i] == clusters[start]:
            continue
        if rtl:
            end_byte = length if start == 0 else clusters[start - 1]
        else:
            end_byte = length if i == num_glyphs else clusters[i]
        begin = offset + clusters[start]
        result.append((start, i, begin, utf8_text[begin:offset + end_byte].decode()))
        start = i
    return glyph_ids, widths, result


def plan_spans(stream, first_line, utf8_text: bytes, ellipsized: bool) -> list[tuple[dict[int, str], set[int]]]:
    """Where a line's ActualText spans open and close: for each run, (opens, closes).

    A span opens before the glyph of index ``i`` with the text ``opens[i]``; a span closes
    before each glyph whose index is in ``closes``, or after the run's last glyph when the
    run's glyph count is in it. A span may open in one run and close in a later one.

    A span covers a whole word (everything between two spaces of the line, across font
    changes) as soon as one of its clusters needs one: several glyphs, a glyph whose ToUnicode
    text is not the cluster's, a glyph that is not the font's cmap glyph for the cluster's one
    character, or a zero-advance glyph. Whole words because of how poppler
    places a span: its characters spread evenly from the first glyph's origin to the last
    glyph's advance. A span that ended inside a word, on a reph or matra drawn back to the left,
    would leave a gap before the next character (संपर्क; came out as "संपर्क ;"); a mark left
    outside a span is taken for a duplicate of the previous character and splits the word
    (उद्देश्य came out as "उद्दे श्य").

    Also sets the ToUnicode text of glyphs that form a cluster alone: such a text is exact, so
    it replaces one taken from a multi-glyph cluster (``caseflow_provisional``), which is then
    inside a span anyway.
    """
    EMPTY, UNKNOWN = pango.PANGO_GLYPH_EMPTY, pango.PANGO_GLYPH_UNKNOWN_FLAG
    spans = []
    word, needs_span = [], False

    def close_word():
        if word and needs_span:
            (first_run, first), (last_run, last) = word[0][0], word[-1][1]
            spans[first_run][0][first] = "".join(text for *_, text in sorted(word, key=lambda cluster: cluster[2]))
            spans[last_run][1].add(last)

    run, run_index, pango_font = first_line.runs[0], 0, None
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        if glyph_item.item.analysis.font != pango_font:
            pango_font = glyph_item.item.analysis.font
            font, _ = stream.add_font(pango_font)
            if not hasattr(font, "caseflow_provisional"):
                font.caseflow_provisional, font.caseflow_nominal = set(), {}
            to_unicode, provisional, nominal = font.to_unicode, font.caseflow_provisional, font.caseflow_nominal
        glyph_ids, widths, clusters = _run_clusters(glyph_item, utf8_text)
        if ellipsized and _is_ellipsis(glyph_item):
            # Pango's text-overflow run: its one cluster spans the hidden text, which is
            # not on the page and must not be in the text layer either.
            begin = clusters[0][2] if clusters else 0
            clusters = [(i, i + 1, begin, _ellipsis_char(font, glyph_id)) for i, glyph_id in enumerate(glyph_ids)]
        spans.append(({}, set()))
        for first, last, begin, text in clusters:
            if text.isspace():
                close_word()
                word, needs_span = [], False
                continue
            word.append(((run_index, first), (run_index, last), begin, text))
            glyph_id = glyph_ids[first]
            if last - first > 1 or glyph_id == EMPTY or widths[first] == 0:
                needs_span = True
            elif not glyph_id & UNKNOWN:
                if glyph_id not in to_unicode or glyph_id in provisional:
                    to_unicode[glyph_id] = text
                    provisional.discard(glyph_id)
                # Without a span the text comes from the ToUnicode CMap: ours when fonts are
                # subset, the font's own cmap with full_fonts=True. Only a character drawn
                # with its cmap glyph reads right in both.
                if not needs_span and (to_unicode[glyph_id] != text or (
                        nominal[text] if text in nominal else _nominal_glyph(font, text)) != glyph_id):
                    needs_span = True
        run_index += 1
    close_word()
    return spans


def _is_ellipsis(glyph_item) -> bool:
    # WeasyPrint declares PangoAnalysis' four guint8 fields (level, gravity, flags, script) as
    # guint, so the flags are read as the third byte from where "level" starts.
    flags = ffi.buffer(ffi.addressof(glyph_item.item.analysis, "level"), 3)[2][0]
    return bool(flags & _PANGO_ANALYSIS_FLAG_IS_ELLIPSIS)


def _ellipsis_char(font, glyph_id: int) -> str:
    for char in "\u2026.":
        if _nominal_glyph(font, char) == glyph_id:
            return char
    return ""


def _nominal_glyph(font, text: str) -> int | None:
    """The glyph the font's cmap gives the single character `text`, or None."""
    if len(text) != 1:
        return None
    cache = font.caseflow_nominal
    if text not in cache:
        hb_font = _hb_ffi.cast("hb_font_t *", int(ffi.cast("uintptr_t", font.hb_font)))
        glyph = _hb_ffi.new("uint32_t *")
        cache[text] = glyph[0] if _hb.hb_font_get_nominal_glyph(hb_font, ord(text), glyph) else None
    return cache[text]


def flush_glyphs(stream, string: str) -> str:
    """Show the glyphs gathered so far (draw_first_line's TJ string) and start a new string."""
    if string[-1] == '<':
        string = string[:-1]
    else:
        string += '>'
    if string:
        stream.show_text(string)
    return '<'
