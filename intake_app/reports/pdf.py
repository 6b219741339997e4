"""A small PDF document builder over fpdf2, for dossiers, printable forms and statistics.

What it guarantees, whatever text it is given:
- every Kazakh and Russian letter renders (DejaVu Sans, shipped in resources/fonts);
- control and direction-override characters are shown as tokens (text_safety), never obeyed;
- a character the font lacks (most emoji) becomes a visible ``⟨U+1F600⟩`` token instead of an
  empty box, a crash, or a log line naming the text (fpdf2 logs missing glyphs);
- no metadata beyond the title: no author, creator, producer or dates;
- the file appears under its final name only once complete (fsutil.atomic_output).

Blocks are appended one at a time (headings, paragraphs, key/value rows, tick boxes, ruled
answer lines, signature lines, tables), each checking the cancel token, so a long dossier can
be built from a generator without holding case data twice.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import TTFFont
from fpdf.output import OutputProducer, PDFInfo

from intake_app.fsutil import atomic_write
from intake_app.paths import resources_dir
from intake_app.progress import CancelToken, check
from intake_app.reports.text_safety import visible

# fontTools logs the glyph names of each subset at INFO: that spells out which letters a
# dossier uses. Keep it quiet whatever the application's logging level.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FAMILY = "DejaVuSans"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

BODY_SIZE = 10.5
LINE_H = 5.2  # mm, for BODY_SIZE
HEADING_SIZES = {1: 16.0, 2: 13.0, 3: 11.5}
TICKED, UNTICKED = "☑", "☐"
FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)

# Characters that belong to an emoji sequence: kept inside the replacement token with the
# emoji they join, so "👩‍👧" reads as one token, not a token, a joiner and a token.
_JOINERS = frozenset({0x200D, 0xFE0E, 0xFE0F, 0x20E3, *range(0x1F3FB, 0x1F400)})
_TAGS = range(0xE0020, 0xE0080)
_TOKENS = re.compile(r"[^ ]+| +")


@functools.cache
def font_path(style: str = "") -> Path:
    return resources_dir() / "fonts" / FONT_FILES[style]


@functools.cache
def font_coverage(style: str = "") -> frozenset[int]:
    """The code points the shipped font (regular or bold) has glyphs for."""
    with TTFont(font_path(style), lazy=True) as font:
        return frozenset(font.getBestCmap())


def fit_to_font(text: str, coverage: frozenset[int]) -> str:
    """Replace runs of characters the font lacks with one visible token each.

    Tabs become four spaces (fpdf2 has no tab stops); newlines are kept.
    """
    out: list[str] = []
    run: list[int] = []
    for ch in text:
        code = ord(ch)
        joins = run and (code in _JOINERS or code in _TAGS)
        if ch == "\n" or (code in coverage and not joins):
            if run:
                out.append("⟨" + " ".join(f"U+{c:04X}" for c in run) + "⟩")
                run = []
            out.append(ch)
        elif ch == "\t":
            out.append("    ")
        else:
            run.append(code)
    if run:
        out.append("⟨" + " ".join(f"U+{c:04X}" for c in run) + "⟩")
    return "".join(out)


def wrap_lines(text: str, widths: Mapping[int, float], size_pt: float, max_pt: float) -> list[str]:
    """Break `text` (newlines kept as breaks) into lines no wider than `max_pt` points.

    Greedy, at spaces; a word longer than a line is cut between characters. Linear in the
    length of the text: fpdf2's own breaker re-measures the line for every character, which
    took 30 s for a 1 MB narrative.
    """
    limit = max_pt * 1000 / size_pt  # in font units (1/1000 em)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = 0.0
        for token in _TOKENS.findall(paragraph):
            token_w = sum(widths[ord(c)] for c in token)
            if used + token_w <= limit or (not line and token.isspace()):
                line.append(token)
                used += token_w
                continue
            if token.isspace():  # a break here; the spaces vanish into it
                lines.append("".join(line))
                line, used = [], 0.0
                continue
            if line:
                lines.append("".join(line).rstrip(" "))
                line, used = [], 0.0
            for ch in token:  # a word wider than the line: cut it
                ch_w = widths[ord(ch)]
                if used + ch_w > limit and line:
                    lines.append("".join(line))
                    line, used = [], 0.0
                line.append(ch)
                used += ch_w
        lines.append("".join(line).rstrip(" "))
    return lines


def _cut(text: str, cap: int) -> str:
    return text if len(text) <= cap else f"{text[:cap]}⟨…+{len(text) - cap}⟩"


class _NeutralInfo(OutputProducer):
    """Writes an Info dictionary with the title only: fpdf2 would add producer and dates."""

    def _add_info(self) -> PDFInfo:
        info = PDFInfo(
            title=self.fpdf.title,
            subject=None,
            author=None,
            keywords=None,
            creator=None,
            producer=None,
            creation_date=None,  # type: ignore[arg-type]  # fpdf2 serialises None as absent
        )
        self._add_pdf_obj(info)
        return info


class _Pages(FPDF):
    """fpdf2 with our footer: optional fixed text at the left, "page / pages" at the right."""

    def __init__(self, footer_text: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.footer_text = footer_text
        # A per-document alias: text in a case cannot contain it and so cannot be turned
        # into a page count by fpdf2's substitution.
        self.pages_alias = "{" + secrets.token_hex(3) + "}"
        self.alias_nb_pages(self.pages_alias)
        # Not written to the Info dictionary (see _NeutralInfo), but fpdf2 hashes it into
        # the file /ID: a real clock there would let anyone holding the text recover the
        # second the PDF was made. A constant keeps the /ID a function of the content.
        self.creation_date = FIXED_DATE

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(90)
        width = self.epw / 2
        self.cell(width, 5, self.footer_text, align=Align.L)
        self.cell(width, 5, f"{self.page_no()} / {self.pages_alias}", align=Align.R)
        self.set_text_color(0)


class PdfDocument:
    """An A4 document built block by block; `save(path)` writes it atomically.

    Every string passed in is shown safely (controls visible, missing glyphs as tokens).
    `title` is the only metadata written; keep it generic (no names), since file managers
    and mail clients display it.
    """

    def __init__(
        self,
        title: str,
        *,
        footer_text: str = "",
        cancel: CancelToken | None = None,
    ) -> None:
        self._cancel = cancel
        self._pdf = _Pages(self._clean(footer_text, "", single_line=True), format="A4")
        pdf = self._pdf
        for style, name in FONT_FILES.items():
            pdf.add_font(FAMILY, style, str(resources_dir() / "fonts" / name))
        pdf.set_title(self._clean(title, "", single_line=True))
        pdf.set_margins(18, 18, 18)
        pdf.set_auto_page_break(True, margin=18)
        pdf.add_page()
        self._font("", BODY_SIZE)

    # Text helpers --------------------------------------------------------------------------

    @staticmethod
    def _clean(text: str, style: str, *, single_line: bool = False) -> str:
        return fit_to_font(visible(str(text), single_line=single_line), font_coverage(style))

    def _font(self, style: str, size: float) -> None:
        self._pdf.set_font(FAMILY, style, size)

    def _text(self, width: float, text: str, style: str = "") -> None:
        """Left-aligned wrapped text from the current x; flows onto new pages at the same x."""
        pdf = self._pdf
        width = width or (pdf.l_margin + pdf.epw - pdf.get_x())
        line_h = LINE_H * pdf.font_size_pt / BODY_SIZE
        font = pdf.current_font
        assert isinstance(font, TTFFont)  # only the shipped TrueType fonts are ever set
        lines = wrap_lines(
            self._clean(text, style),
            font.cw,
            pdf.font_size_pt,
            (width - 2 * pdf.c_margin) * 72 / 25.4,
        )
        for number, line in enumerate(lines):
            if number % 200 == 199:
                self._step()
            pdf.cell(width, line_h, line, new_x=XPos.LEFT, new_y=YPos.NEXT)

    def _step(self) -> None:
        check(self._cancel)

    def _keep_space(self, height: float) -> None:
        """Start a new page when less than `height` mm is left (no orphaned headings)."""
        if self._pdf.will_page_break(height):
            self._pdf.add_page()

    # Blocks --------------------------------------------------------------------------------

    @property
    def width(self) -> float:
        """The usable width between the margins, in mm."""
        return float(self._pdf.epw)

    @property
    def page_count(self) -> int:
        return int(self._pdf.page_no())

    def heading(self, text: str, level: int = 1) -> None:
        self._step()
        size = HEADING_SIZES.get(level, HEADING_SIZES[3])
        self._keep_space(25)
        self._pdf.ln(2 if level > 1 else 0)
        self._font("B", size)
        self._pdf.set_x(self._pdf.l_margin)
        self._text(0, text, "B")
        self._pdf.ln(1.5)
        self._font("", BODY_SIZE)

    def paragraph(self, text: str, *, bold: bool = False, size: float = BODY_SIZE) -> None:
        """A block of text that wraps and flows across pages; newlines are kept."""
        style = "B" if bold else ""
        self._font(style, size)
        for part in str(text).split("\n"):
            self._step()
            self._pdf.set_x(self._pdf.l_margin)
            self._text(0, part, style)
        self._pdf.ln(1.5)
        self._font("", BODY_SIZE)

    def note(self, text: str) -> None:
        """Small grey text: help under a question, a caveat under a table."""
        self._pdf.set_text_color(90)
        self.paragraph(text, size=8.5)
        self._pdf.set_text_color(0)

    def key_values(self, rows: Iterable[tuple[str, str]], key_share: float = 0.35) -> None:
        """Two columns, label in bold at the left; a long value flows onto the next pages."""
        pdf = self._pdf
        key_w = self.width * key_share
        for key, value in rows:
            self._step()
            self._keep_space(LINE_H * 2)
            top, page = pdf.get_y(), pdf.page_no()
            self._font("B", BODY_SIZE)
            pdf.set_x(pdf.l_margin)
            self._text(key_w - 2, key, "B")
            key_bottom = pdf.get_y()
            pdf.page = page
            pdf.set_xy(pdf.l_margin + key_w, top)
            self._font("", BODY_SIZE)
            self._text(self.width - key_w, value)
            if pdf.page_no() == page:
                pdf.set_y(max(key_bottom, pdf.get_y()))
            pdf.ln(1)

    def tick_box(self, label: str, checked: bool = False) -> None:
        self.tick_boxes([(label, checked)])

    def tick_boxes(self, options: Iterable[tuple[str, bool]]) -> None:
        """One box per line, ☑ when checked, ☐ when blank (to tick with a pen)."""
        pdf = self._pdf
        for label, checked in options:
            self._step()
            pdf.set_x(pdf.l_margin)
            pdf.cell(7, LINE_H, TICKED if checked else UNTICKED)
            self._text(self.width - 7, label)
            pdf.ln(0.8)
        pdf.ln(1)

    def answer_lines(self, count: int, label: str | None = None, spacing: float = 8.0) -> None:
        """`count` ruled lines to write on by hand, optionally under a label."""
        pdf = self._pdf
        if label:
            # Keep the label with its first lines.
            self._keep_space(LINE_H * 2 + spacing * min(count, 3))
            self.paragraph(label)
        pdf.set_draw_color(150)
        pdf.set_line_width(0.2)
        for _ in range(max(0, count)):
            self._step()
            self._keep_space(spacing)
            y = pdf.get_y() + spacing
            pdf.line(pdf.l_margin, y, pdf.l_margin + self.width, y)
            pdf.set_y(y)
        pdf.set_draw_color(0)
        pdf.ln(3)

    def signature_line(self, label: str, date_label: str | None = None) -> None:
        """A line to sign on with its label underneath, and a shorter date line beside it."""
        self._step()
        pdf = self._pdf
        self._keep_space(22)
        y = pdf.get_y() + 14
        sign_w = self.width * 0.6 if date_label else self.width * 0.7
        pdf.set_line_width(0.3)
        pdf.line(pdf.l_margin, y, pdf.l_margin + sign_w, y)
        date_x = pdf.l_margin + sign_w + 10
        if date_label:
            pdf.line(date_x, y, pdf.l_margin + self.width, y)
        self._font("", 8.5)
        pdf.set_xy(pdf.l_margin, y + 1)
        pdf.cell(sign_w, 4, self._clean(label, "", single_line=True))
        if date_label:
            pdf.set_x(date_x)
            pdf.cell(0, 4, self._clean(date_label, "", single_line=True))
        self._font("", BODY_SIZE)
        pdf.set_xy(pdf.l_margin, y + 8)

    def table(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[str | int | float]],
        col_widths: Sequence[float] | None = None,
    ) -> None:
        """A ruled table; the header row repeats on each page. Numbers align right.

        For short cells (counts, names, dates): fpdf2 cannot split a row across pages, so a
        cell longer than about 25 lines of its column is cut and ends with a visible
        ``⟨…+N⟩`` (N characters left out). Long text belongs in `key_values` or `paragraph`.
        """
        self._step()
        pdf = self._pdf
        self._font("", BODY_SIZE - 1)
        shares = list(col_widths) if col_widths else [1.0] * len(header)
        # 3.4 mm is about the widest glyph at this size, so 25 lines stay under half a page.
        caps = [max(20, int(self.width * w / sum(shares) / 3.4) * 25) for w in shares]
        with pdf.table(
            col_widths=tuple(col_widths) if col_widths else None,
            line_height=LINE_H,
            repeat_headings=1,
            first_row_as_headings=True,
        ) as table:
            head = table.row()
            for cell, cap in zip(header, caps, strict=False):
                head.cell(_cut(self._clean(cell, "B"), cap))
            for number, values in enumerate(rows):
                if number % 50 == 0:
                    self._step()
                row = table.row()
                for value, cap in zip(values, caps, strict=False):
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        row.cell(str(value), align=Align.R)
                    else:
                        row.cell(_cut(self._clean(str(value), ""), cap))
        pdf.ln(2)
        self._font("", BODY_SIZE)

    def figure(self, height: float, paint: Callable[[Canvas], None]) -> None:
        """A drawing `height` mm tall across the text width (body diagrams): `paint` draws on
        a Canvas whose coordinates are mm from the figure's top-left corner."""
        self._step()
        self._keep_space(height + 2)
        pdf = self._pdf
        top = pdf.get_y()
        paint(Canvas(self, pdf.l_margin, top))
        pdf.set_draw_color(0)
        pdf.set_fill_color(255)
        pdf.set_line_width(0.2)
        self._font("", BODY_SIZE)
        pdf.set_xy(pdf.l_margin, top + height + 2)

    def space(self, mm: float = 4.0) -> None:
        self._pdf.ln(mm)

    def page_break(self) -> None:
        self._step()
        self._pdf.add_page()

    # Output --------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        self._step()
        return bytes(self._pdf.output(output_producer_class=_NeutralInfo))

    def save(self, path: Path) -> None:
        """Write the PDF to exactly `path` (mode 0600), atomically; no temp file remains."""
        atomic_write(Path(path), self.to_bytes())


class Canvas:
    """Lines, outlines and short labels for `PdfDocument.figure`, in mm from its corner.
    Labels go through the same safety as every other text."""

    def __init__(self, doc: PdfDocument, x0: float, y0: float) -> None:
        self._doc = doc
        self._pdf = doc._pdf  # noqa: SLF001 - the canvas is part of the document
        self._x0, self._y0 = x0, y0

    def polygon(self, points: Sequence[tuple[float, float]], *, grey: int = 0,
                fill: int | None = None, width: float = 0.3) -> None:
        pdf = self._pdf
        pdf.set_draw_color(grey)
        pdf.set_line_width(width)
        if fill is not None:
            pdf.set_fill_color(fill)
        pts = [(self._x0 + x, self._y0 + y) for x, y in points]
        pdf.polygon(pts, style="DF" if fill is not None else "D")

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, *, grey: int = 0,
                fill: int | None = None, width: float = 0.3) -> None:
        pdf = self._pdf
        pdf.set_draw_color(grey)
        pdf.set_line_width(width)
        if fill is not None:
            pdf.set_fill_color(fill)
        pdf.ellipse(self._x0 + cx - rx, self._y0 + cy - ry, 2 * rx, 2 * ry,
                    style="DF" if fill is not None else "D")

    def text(self, x: float, y: float, text: str, *, size: float = 8.0, bold: bool = False,
             centred: bool = False) -> None:
        """One line of text whose baseline box starts at (x, y), or is centred on x."""
        style = "B" if bold else ""
        clean = self._doc._clean(text, style, single_line=True)  # noqa: SLF001
        self._doc._font(style, size)  # noqa: SLF001
        width = self._pdf.get_string_width(clean) + 1
        left = self._x0 + x - (width / 2 if centred else 0)
        self._pdf.set_xy(left, self._y0 + y - size * 0.18)
        self._pdf.cell(width, size * 0.36, clean, align=Align.C if centred else Align.L)
