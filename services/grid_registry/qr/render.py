"""Render the QR label of a risk point: one label as PNG, and A4 sheets of labels as PDF.

Pure rendering: no database, no HTTP. The Chinese text needs a CJK font at run time (see
`find_cjk_font`). The PDF embeds a subset of that font and writes real, extractable text, so a
sheet prints and reads the same on a phone or a PC that has no Chinese font installed.
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from shared.vocabulary import RiskGrade

FONT_ENV = "XIAOAN_CJK_FONT"
FONT_INDEX_ENV = "XIAOAN_CJK_FONT_INDEX"
FONT_PACKAGE = "fonts-wqy-microhei"

SCAN_PROMPT = "扫码上报隐患"
NO_LABELS = "暂无风险点，没有需要张贴的二维码标签。"
MIN_WIDTH_PX = 300

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class CjkFont:
    """A font file and, for a .ttc collection, which of its fonts to use."""

    path: Path
    index: int = 0


# Debian's paths (fonts-wqy-microhei, fonts-noto-cjk), tried in order when XIAOAN_CJK_FONT is
# not set. Noto's collection holds the JP, KR, SC, TC and HK fonts in that order: index 2 draws
# Simplified Chinese glyph forms.
FONT_CANDIDATES: tuple[CjkFont, ...] = (
    CjkFont(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
    CjkFont(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
)


class CjkFontNotFoundError(RuntimeError):
    """No usable CJK font: the labels cannot be drawn."""


@dataclass(frozen=True)
class _Grade:
    label: str
    colour: RGB
    ink: RGB  # text on a band of this colour
    tint: RGB  # a light wash of the colour, for the scan prompt's background


_WHITE: RGB = (255, 255, 255)
_DARK: RGB = (32, 33, 36)
_GREY: RGB = (95, 99, 104)
_RULE: RGB = (218, 220, 224)


def _hex(value: str) -> RGB:
    return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))


def _tint(colour: RGB, amount: float = 0.14) -> RGB:
    r, g, b = (round(255 - (255 - c) * amount) for c in colour)
    return (r, g, b)


def _grade(label: str, colour: str, ink: RGB) -> _Grade:
    rgb = _hex(colour)
    return _Grade(label, rgb, ink, _tint(rgb))


# Dark ink on orange and yellow: white text on those is too faint to read from a distance.
GRADES: dict[RiskGrade, _Grade] = {
    RiskGrade.RED: _grade("红色 重大风险", "#d93025", _WHITE),
    RiskGrade.ORANGE: _grade("橙色 较大风险", "#f29900", _DARK),
    RiskGrade.YELLOW: _grade("黄色 一般风险", "#f9d71c", _DARK),
    RiskGrade.BLUE: _grade("蓝色 低风险", "#1a73e8", _WHITE),
}


@dataclass(frozen=True)
class QrLabel:
    """What one printed label shows, and what its QR code encodes."""

    point_name: str  # e.g. "教学楼三楼东侧消防通道"
    school_name: str  # e.g. "城关镇第一小学"
    grid_name: str  # e.g. "教学楼"
    risk_grade: str  # "red" | "orange" | "yellow" | "blue" (four-colour risk grade)
    payload: str  # what the QR encodes: a URL like "https://xiaoan.example/q/<token>"

    def __post_init__(self) -> None:
        """Reject a label that could not be printed, before any drawing starts."""
        if self.risk_grade not in GRADES:
            raise ValueError(f"unknown risk grade {self.risk_grade!r}: one of {', '.join(GRADES)}")
        if not self.payload.strip():
            raise ValueError("a QR label needs a payload to encode")
        if not self.point_name.strip():
            raise ValueError("a QR label needs the risk point's name")


# --- fonts ---------------------------------------------------------------------------------


def find_cjk_font() -> CjkFont:
    """Return the CJK font to draw with: XIAOAN_CJK_FONT if set, else a known Debian path."""
    configured = os.environ.get(FONT_ENV, "").strip()
    if configured:
        path = Path(configured)
        if not path.is_file():
            # A font that was asked for by name and is missing is a deployment mistake: drawing
            # with another font instead would hide it.
            raise CjkFontNotFoundError(
                f"{FONT_ENV}={configured} is not a file. Point it at a CJK .ttf/.ttc/.otf font, "
                f"or unset it and install the Debian package {FONT_PACKAGE} "
                f"(apt-get install -y {FONT_PACKAGE})."
            )
        return CjkFont(path, _configured_index())
    for candidate in FONT_CANDIDATES:
        if candidate.path.is_file():
            return candidate
    looked = ", ".join(str(c.path) for c in FONT_CANDIDATES) or "(no known paths)"
    raise CjkFontNotFoundError(
        f"No CJK font for the QR labels: install the Debian package {FONT_PACKAGE} "
        f"(apt-get install -y {FONT_PACKAGE}), or set {FONT_ENV} to a CJK font file. "
        f"Looked in: {looked}."
    )


def _configured_index() -> int:
    raw = os.environ.get(FONT_INDEX_ENV, "").strip() or "0"
    try:
        index = int(raw)
    except ValueError:
        raise CjkFontNotFoundError(f"{FONT_INDEX_ENV}={raw} is not a number") from None
    if index < 0:
        raise CjkFontNotFoundError(f"{FONT_INDEX_ENV}={raw} must be 0 or more")
    return index


@lru_cache(maxsize=256)
def _pil_font(path: Path, index: int, size: int) -> ImageFont.FreeTypeFont:
    # Cached: fitting text tries many sizes, and each would otherwise reopen the font file.
    return ImageFont.truetype(str(path), size, index=index)


# --- text fitting (shared by the PNG and the PDF) ------------------------------------------

# A run of Latin letters or digits stays on one line where it can; any CJK character may break.
_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z_\-./:@#%+]*| |.")
# Chinese typesetting rules: closing punctuation must not start a line, so it sticks to the
# token before it; opening brackets must not end one, so they stick to the token after them.
_NO_LINE_START = frozenset("，。、；：？！）》」』】〕…,.;:?!)]}%")
_NO_LINE_END = frozenset("（《「『【〔([{")

Measure = Callable[[str], float]


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for token in _TOKEN.findall(text):
        if (
            tokens
            and tokens[-1] != " "
            and (token[0] in _NO_LINE_START or tokens[-1][-1] in _NO_LINE_END)
        ):
            tokens[-1] += token
        else:
            tokens.append(token)
    return tokens


def _wrap(text: str, width: float, measure: Measure) -> list[str]:
    """Break text into lines no wider than width."""
    lines: list[str] = []
    line = ""
    for token in _tokens(" ".join(text.split())):
        if measure(line + token) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = "" if token == " " else token
        # A token wider than a whole line (a long code or URL) is broken between characters.
        while len(line) > 1 and measure(line) > width:
            cut = len(line) - 1
            while cut > 1 and measure(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _balance(text: str, width: float, measure: Measure, lines: list[str]) -> list[str]:
    """Rewrap into the narrowest width that needs no more lines, so no word is left alone."""
    if len(lines) < 2:
        return lines
    narrow, wide = width / 2, width
    best = lines
    for _ in range(12):  # twelve halvings: far finer than the width of one character
        middle = (narrow + wide) / 2
        attempt = _wrap(text, middle, measure)
        if len(attempt) <= len(lines):
            wide, best = middle, attempt
        else:
            narrow = middle
    return best


@dataclass(frozen=True)
class _Fitted:
    size: float
    lines: tuple[str, ...]


def _fit(
    text: str,
    *,
    width: float,
    height: float,
    sizes: tuple[float, float, float],
    measure_at: Callable[[float], Measure],
    size_unit: float = 1.0,
    leading: float = 1.25,
) -> _Fitted:
    """Wrap text into a width × height box, shrinking the font from largest to smallest size.

    `sizes` is (largest, smallest, step); `size_unit` converts a font size into box units.
    """
    largest, smallest, step = sizes
    size = largest
    while True:
        measure = measure_at(size)
        lines = _wrap(text, width, measure)
        if len(lines) * size * size_unit * leading <= height:
            return _Fitted(size, tuple(_balance(text, width, measure, lines)))
        if size - step < smallest:
            break
        size -= step
    # Still too long at the smallest readable size: keep what fits and show it was cut, rather
    # than draw over the neighbouring text or the next label.
    keep = max(1, int(height // (size * size_unit * leading)))
    kept = lines[:keep]
    last = kept[-1]
    while last and measure(last + "…") > width:
        last = last[:-1]
    kept[-1] = last + "…"
    return _Fitted(size, tuple(kept))


# --- QR code -------------------------------------------------------------------------------

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks


def _qr_matrix(payload: str) -> list[list[bool]]:
    # Error correction M at least (about 15 % of the code may be damaged or dirty); boosted to a
    # higher level whenever that does not make the code denser.
    qr = segno.make_qr(payload, error="m", boost_error=True)
    return [[bool(m) for m in row] for row in qr.matrix_iter(scale=1, border=QUIET_ZONE)]


def _qr_image(matrix: list[list[bool]], module_px: int) -> Image.Image:
    size = len(matrix)
    image = Image.new("L", (size, size), 255)
    image.putdata([0 if dark else 255 for row in matrix for dark in row])
    # Nearest-neighbour scaling keeps every module a sharp square.
    return image.resize((size * module_px, size * module_px), Image.Resampling.NEAREST)


# --- PNG -----------------------------------------------------------------------------------


def _grid_line(label: QrLabel) -> str:
    # A point outside any named grid gets no "网格：" line rather than a dangling label.
    return f"网格：{label.grid_name.strip()}" if label.grid_name.strip() else ""


def label_png(label: QrLabel, *, width_px: int = 600) -> bytes:
    """Render one label as a PNG image width_px pixels wide."""
    if width_px < MIN_WIDTH_PX:
        raise ValueError(f"width_px must be at least {MIN_WIDTH_PX} for the QR code to scan")
    font = find_cjk_font()
    grade = GRADES[RiskGrade(label.risk_grade)]
    matrix = _qr_matrix(label.payload)

    # Every length is laid out for a 600 px label and scaled, so any width looks the same.
    def px(value: float) -> int:
        return max(1, round(value * width_px / 600))

    width = width_px
    frame, pad, gap = px(10), px(28), px(14)
    band_h = px(80)
    qr_box = int(width * 0.70)
    module_px = qr_box // len(matrix)
    if module_px < 2:
        raise ValueError("payload too long to print as a scannable QR code at this width")
    name_h, school_h, grid_h, scan_h = px(150), px(46), px(36), px(58)
    small_gap = px(8)
    height = frame + band_h + gap + qr_box + gap + name_h + small_gap + school_h + grid_h
    height += gap + scan_h + pad // 2 + frame

    image = Image.new("RGB", (width, height), _WHITE)
    draw = ImageDraw.Draw(image)
    text_w = width - 2 * (frame + pad)

    def measure_at(size: float) -> Measure:
        return _pil_font(font.path, font.index, round(size)).getlength

    def block(
        text: str, top: int, box_h: int, sizes: tuple[float, float, float], fill: RGB
    ) -> None:
        fitted = _fit(text, width=text_w, height=box_h, sizes=sizes, measure_at=measure_at)
        face = _pil_font(font.path, font.index, round(fitted.size))
        line_h = fitted.size * 1.25
        y = top + (box_h - line_h * len(fitted.lines)) / 2
        for line in fitted.lines:
            draw.text((width / 2, y + line_h / 2), line, font=face, fill=fill, anchor="mm")
            y += line_h

    draw.rectangle((0, 0, width - 1, height - 1), outline=grade.colour, width=frame)
    draw.rectangle((0, 0, width - 1, frame + band_h), fill=grade.colour)
    y = frame
    block(grade.label, y, band_h, (px(44), px(20), 1), grade.ink)
    y += band_h + gap

    qr = _qr_image(matrix, module_px)
    image.paste(qr, ((width - qr.width) // 2, y + (qr_box - qr.height) // 2))
    y += qr_box + gap

    block(label.point_name, y, name_h, (px(40), px(18), 1), _DARK)
    y += name_h + small_gap
    block(label.school_name, y, school_h, (px(30), px(16), 1), _DARK)
    y += school_h
    block(_grid_line(label), y, grid_h, (px(24), px(14), 1), _GREY)
    y += grid_h + gap

    prompt_size = px(30)
    prompt_w = _pil_font(font.path, font.index, prompt_size).getlength(SCAN_PROMPT) + 2 * pad
    left = (width - prompt_w) / 2
    draw.rounded_rectangle(
        (left, y, left + prompt_w, y + scan_h), radius=scan_h // 2, fill=grade.tint
    )
    block(SCAN_PROMPT, y, scan_h, (prompt_size, px(16), 1), _DARK)

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- PDF -----------------------------------------------------------------------------------

PT = 25.4 / 72  # one point in millimetres: font sizes are in points, the page in millimetres
PAGE_W, PAGE_H = 210.0, 297.0  # A4
MARGIN = 10.0
HEADER_H, FOOTER_H = 13.0, 8.0
COLUMNS, ROWS = 2, 4
LABELS_PER_PAGE = COLUMNS * ROWS
GUTTER = 4.0  # between labels: room to cut them apart
CELL_W = (PAGE_W - 2 * MARGIN - (COLUMNS - 1) * GUTTER) / COLUMNS
CELL_H = (PAGE_H - 2 * MARGIN - HEADER_H - FOOTER_H - (ROWS - 1) * GUTTER) / ROWS
QR_MODULE_PX = 10  # pixels per module of the embedded QR image: sharp when printed at ~200 dpi

_FAMILY = "cjk"


def sheet_pdf(labels: Sequence[QrLabel], *, title: str) -> bytes:
    """Render labels as A4 pages of 2 × 4 labels, with the title and page number on each page."""
    font = find_cjk_font()
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.c_margin = 0  # text is placed exactly where _fit measured it
    # A TrueType (or OpenType) font added this way is written as a CID font with a ToUnicode map
    # and only the glyphs used: searchable text, and a small file that needs no installed font.
    pdf.add_font(_FAMILY, fname=str(font.path), collection_font_number=font.index)
    pdf.set_font(_FAMILY, size=10)
    pdf.set_title(title)
    pdf.set_lang("zh-CN")
    pdf.set_creator("Xiaoan")

    # A grid with no risk points yet still gets its page, saying so, rather than an error.
    pages = max(1, math.ceil(len(labels) / LABELS_PER_PAGE))
    for page in range(pages):
        pdf.add_page()
        _page_frame(pdf, title, page + 1, pages)
        if not labels:
            box = (MARGIN, MARGIN + HEADER_H, PAGE_W - 2 * MARGIN, CELL_H)
            _pdf_block(pdf, NO_LABELS, box, (12, 12, 1), _GREY, "C")
        chunk = labels[page * LABELS_PER_PAGE : (page + 1) * LABELS_PER_PAGE]
        for slot, label in enumerate(chunk):
            row, column = divmod(slot, COLUMNS)
            x = MARGIN + column * (CELL_W + GUTTER)
            y = MARGIN + HEADER_H + row * (CELL_H + GUTTER)
            _pdf_label(pdf, label, x, y)
    return bytes(pdf.output())


def _pdf_measure_at(pdf: FPDF) -> Callable[[float], Measure]:
    def at(size: float) -> Measure:
        def measure(text: str) -> float:
            pdf.set_font_size(size)
            return float(pdf.get_string_width(text))

        return measure

    return at


def _pdf_block(
    pdf: FPDF,
    text: str,
    box: tuple[float, float, float, float],
    sizes: tuple[float, float, float],
    colour: RGB,
    align: str = "L",
) -> None:
    x, y, w, h = box
    fitted = _fit(
        text, width=w, height=h, sizes=sizes, measure_at=_pdf_measure_at(pdf), size_unit=PT
    )
    line_h = fitted.size * PT * 1.25
    top = y + (h - line_h * len(fitted.lines)) / 2
    pdf.set_font_size(fitted.size)
    pdf.set_text_color(*colour)
    for i, line in enumerate(fitted.lines):
        pdf.set_xy(x, top + i * line_h)
        pdf.cell(w, line_h, line, align=align)


def _page_frame(pdf: FPDF, title: str, page: int, pages: int) -> None:
    width = PAGE_W - 2 * MARGIN
    _pdf_block(pdf, title, (MARGIN, MARGIN, width, HEADER_H - 3), (16, 9, 0.5), _DARK, "C")
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.3)
    pdf.line(MARGIN, MARGIN + HEADER_H - 2, PAGE_W - MARGIN, MARGIN + HEADER_H - 2)
    footer = (MARGIN, PAGE_H - MARGIN - FOOTER_H + 2, width, FOOTER_H - 2)
    _pdf_block(pdf, f"第 {page} 页 / 共 {pages} 页", footer, (9, 9, 1), _GREY, "C")


def _pdf_label(pdf: FPDF, label: QrLabel, x: float, y: float) -> None:
    grade = GRADES[RiskGrade(label.risk_grade)]
    band_h, pad = 8.0, 1.5

    pdf.set_draw_color(*grade.colour)
    pdf.set_line_width(0.6)
    pdf.rect(x, y, CELL_W, CELL_H, style="D")
    pdf.set_fill_color(*grade.colour)
    pdf.rect(x, y, CELL_W, band_h, style="F")
    _pdf_block(pdf, grade.label, (x + 3, y, CELL_W - 6, band_h), (12, 7, 0.5), grade.ink)

    # The QR image carries its own white quiet zone, so it may sit close to the frame.
    qr_side = CELL_H - band_h - 2 * pad
    qr = _qr_image(_qr_matrix(label.payload), QR_MODULE_PX)
    pdf.image(qr, x=x + pad, y=y + band_h + pad, w=qr_side, h=qr_side)

    tx = x + pad + qr_side + pad
    tw = x + CELL_W - 3 - tx
    ty = y + band_h + 2
    bottom = y + CELL_H - 2.5
    scan_h = 6.5
    _pdf_block(pdf, label.point_name, (tx, ty, tw, 23), (13, 6, 0.5), _DARK)
    ty += 23.5
    _pdf_block(pdf, label.school_name, (tx, ty, tw, 8), (10, 6, 0.5), _DARK)
    ty += 8
    _pdf_block(pdf, _grid_line(label), (tx, ty, tw, bottom - scan_h - 1 - ty), (8, 6, 0.5), _GREY)

    pdf.set_fill_color(*grade.tint)
    pdf.rect(
        tx, bottom - scan_h, tw, scan_h, style="F", round_corners=True, corner_radius=scan_h / 2
    )
    _pdf_block(pdf, SCAN_PROMPT, (tx, bottom - scan_h, tw, scan_h), (10, 7, 0.5), _DARK, "C")
