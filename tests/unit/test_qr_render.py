"""Risk-point QR labels as a school prints them: the codes scan, the Chinese text is real text
in an embedded font, long names stay inside their label, and a missing font is named clearly.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from services.grid_registry.qr import render
from services.grid_registry.qr.render import QrLabel, label_png, sheet_pdf

SCHOOL = "城关镇第一小学"
TITLE = "城关镇第一小学 风险点二维码标签"
POINTS = [
    "教学楼三楼东侧消防通道",
    "食堂后厨燃气间",
    "学校南门外河堤（距校门约200米）",
    "实验楼二楼化学药品储存室",
    "操场东侧围墙",
    "宿舍楼一楼配电室",
    "校车停靠点",
    "图书馆疏散楼梯",
    "幼儿园滑梯区",
]
GRADES = ["red", "orange", "yellow", "blue"]
GRADE_COLOURS = {
    "red": (0xD9, 0x30, 0x25),
    "orange": (0xF2, 0x99, 0x00),
    "yellow": (0xF9, 0xD7, 0x1C),
    "blue": (0x1A, 0x73, 0xE8),
}
LONG_NAME = (
    "教学楼三楼东侧消防通道及相邻楼梯间应急照明灯灭火器箱和安全出口指示标志所在走廊区域" * 2
)[:60]
MM = 72 / 25.4  # PDF points per millimetre


def make_label(index: int, name: str | None = None, grade: str | None = None) -> QrLabel:
    return QrLabel(
        point_name=name or POINTS[index % len(POINTS)],
        school_name=SCHOOL,
        grid_name="教学楼",
        risk_grade=grade or GRADES[index % len(GRADES)],
        payload=f"https://xiaoan.example/q/{index:03d}-Zk8pQ2vN7xL4",
    )


def decode(image: Image.Image | None) -> list[zxingcpp.Barcode]:
    assert image is not None, "an image pypdf could not read"
    return [b for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]


def squeeze(text: str) -> str:
    """Drop line breaks and spaces: wrapped names are still found as one string."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(autouse=True)
def system_font_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the installed Debian font, whatever the developer's shell has set."""
    monkeypatch.delenv(render.FONT_ENV, raising=False)
    monkeypatch.delenv(render.FONT_INDEX_ENV, raising=False)


@pytest.fixture(scope="module")
def labels() -> list[QrLabel]:
    return [make_label(i) for i in range(9)]


@pytest.fixture(scope="module")
def sheet(labels: list[QrLabel]) -> Iterator[PdfReader]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(render.FONT_ENV, raising=False)
        patch.delenv(render.FONT_INDEX_ENV, raising=False)
        yield PdfReader(io.BytesIO(sheet_pdf(labels, title=TITLE)))


# --- PNG ------------------------------------------------------------------------------------


@pytest.mark.parametrize("width_px", [600, 300, 1000])
def test_label_png_scans_to_its_payload(width_px: int) -> None:
    label = make_label(0)
    image = Image.open(io.BytesIO(label_png(label, width_px=width_px)))
    assert image.format == "PNG"
    assert image.width == width_px
    assert image.height > image.width, "a portrait label: code above, names below"
    codes = decode(image)
    assert [c.text for c in codes] == [label.payload]
    assert codes[0].ec_level in {"M", "Q", "H"}


@pytest.mark.parametrize("grade", GRADES)
def test_label_png_is_marked_in_its_grade_colour(grade: str) -> None:
    image = Image.open(io.BytesIO(label_png(make_label(1, grade=grade)))).convert("RGB")
    counts = {colour: n for n, colour in image.getcolors(maxcolors=1 << 20) or []}
    total = image.width * image.height
    assert counts.get(GRADE_COLOURS[grade], 0) > 0.05 * total, "a band and frame in the colour"
    for other, colour in GRADE_COLOURS.items():
        if other != grade:
            assert counts.get(colour, 0) == 0, f"{grade} label shows {other}'s colour"


def test_label_png_with_a_60_character_name_still_scans() -> None:
    label = make_label(2, name=LONG_NAME)
    assert len(LONG_NAME) == 60
    image = Image.open(io.BytesIO(label_png(label)))
    assert image.width == 600
    assert [c.text for c in decode(image)] == [label.payload]


def test_label_png_refuses_a_width_too_small_to_scan() -> None:
    with pytest.raises(ValueError, match="width_px"):
        label_png(make_label(0), width_px=120)


def test_a_label_needs_a_known_grade_and_a_payload() -> None:
    with pytest.raises(ValueError, match="risk grade"):
        make_label(0, grade="purple")
    with pytest.raises(ValueError, match="payload"):
        QrLabel("消防通道", SCHOOL, "教学楼", "red", " ")


# --- PDF ------------------------------------------------------------------------------------


def test_sheet_pdf_puts_eight_labels_on_an_a4_page(sheet: PdfReader) -> None:
    assert len(sheet.pages) == 2
    for page in sheet.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width / MM), round(height / MM)) == (210, 297)


@pytest.mark.parametrize(("count", "pages"), [(1, 1), (8, 1), (17, 3)])
def test_sheet_pdf_adds_pages_as_needed(count: int, pages: int) -> None:
    pdf = sheet_pdf([make_label(i) for i in range(count)], title=TITLE)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == pages


def test_sheet_pdf_text_is_real_searchable_chinese(sheet: PdfReader, labels: list[QrLabel]) -> None:
    pages = [squeeze(page.extract_text()) for page in sheet.pages]
    for number, text in enumerate(pages, start=1):
        assert squeeze(TITLE) in text
        assert f"第{number}页/共2页" in text
        assert SCHOOL in text
        assert "扫码上报隐患" in text
        assert "网格：教学楼" in text
    for label in labels[:8]:
        assert squeeze(label.point_name) in pages[0]
    assert squeeze(labels[8].point_name) in pages[1]
    assert squeeze(labels[8].point_name) not in pages[0]
    for grade_label in ("红色重大风险", "橙色较大风险", "黄色一般风险", "蓝色低风险"):
        assert grade_label in pages[0]


def _fonts(reader: PdfReader) -> Iterator[Any]:
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            font = font.get_object()
            yield font
            for descendant in font.get("/DescendantFonts", []):
                yield descendant.get_object()


def test_sheet_pdf_embeds_a_subset_of_its_font(sheet: PdfReader) -> None:
    fonts = list(_fonts(sheet))
    assert fonts
    described = [f for f in fonts if "/FontDescriptor" in f]
    assert described, "no font descriptor at all: the font is not embedded"
    for font in fonts:
        # A font with no descriptor (other than a Type0 wrapper) would be one of the standard
        # 14, which has no Chinese glyphs and is never embedded.
        assert font["/Subtype"] == "/Type0" or "/FontDescriptor" in font, font["/BaseFont"]
    for font in described:
        descriptor = font["/FontDescriptor"].get_object()
        assert {"/FontFile2", "/FontFile3"} & set(descriptor.keys()), font["/BaseFont"]
        assert re.match(r"^/[A-Z]{6}\+", font["/BaseFont"]), "a subset carries a tag prefix"


def test_sheet_pdf_file_is_small_because_the_font_is_a_subset(labels: list[QrLabel]) -> None:
    # The whole WenQuanYi collection is about 5 MB; the glyphs a sheet uses are far less.
    assert len(sheet_pdf(labels, title=TITLE)) < 500_000


def test_sheet_pdf_qr_codes_scan_on_every_page(sheet: PdfReader, labels: list[QrLabel]) -> None:
    found = [
        sorted(code.text for image in page.images for code in decode(image.image))
        for page in sheet.pages
    ]
    assert found[0] == sorted(label.payload for label in labels[:8])
    assert found[1] == [labels[8].payload]


def _text_runs(reader: PdfReader, page: int) -> list[tuple[str, float, float, float]]:
    """(text, x, y, font size) in points for each piece of text drawn on the page."""
    runs: list[tuple[str, float, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            runs.append((text, x, y, size * tm[0] * cm[0]))

    reader.pages[page].extract_text(visitor_text=visit)
    return runs


def test_sheet_pdf_wraps_a_60_character_name_inside_its_label() -> None:
    labels = [make_label(0, name=LONG_NAME), make_label(1)]
    reader = PdfReader(io.BytesIO(sheet_pdf(labels, title=TITLE)))
    text = squeeze(reader.pages[0].extract_text())
    assert LONG_NAME in text

    runs = _text_runs(reader, 0)
    name_runs = [run for run in runs if run[0].strip() in LONG_NAME]
    assert len(name_runs) > 1, "60 characters need more than one line in a label"
    assert "".join(run[0].strip() for run in name_runs) == LONG_NAME
    middle = float(reader.pages[0].mediabox.width) / 2
    for line, x, _y, size in name_runs:
        # Every character here is a full-width ideograph: one em wide.
        assert x + len(line.strip()) * size <= middle, f"{line!r} runs into the next label"
        assert size >= 6, "still readable when printed"
    school_y = next(y for line, x, y, _ in runs if line.strip() == SCHOOL and x < middle)
    assert min(y for _, _, y, _ in name_runs) > school_y, "the name overlaps the school name"


def test_sheet_pdf_without_labels_is_one_page_saying_so() -> None:
    reader = PdfReader(io.BytesIO(sheet_pdf([], title=TITLE)))
    assert len(reader.pages) == 1
    text = squeeze(reader.pages[0].extract_text())
    assert squeeze(TITLE) in text
    assert "暂无风险点" in text
    assert not reader.pages[0].images


def test_label_without_school_or_grid_leaves_those_lines_out() -> None:
    label = QrLabel("校门外公交站台", " ", "", "blue", "https://xiaoan.example/q/outside-1")
    reader = PdfReader(io.BytesIO(sheet_pdf([label], title=TITLE)))
    text = squeeze(reader.pages[0].extract_text())
    assert "校门外公交站台" in text
    assert "网格" not in text
    png = Image.open(io.BytesIO(label_png(label)))
    assert [c.text for c in decode(png)] == [label.payload]


# --- fonts ----------------------------------------------------------------------------------


def test_missing_font_names_the_debian_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(render.FONT_ENV, str(tmp_path / "missing.ttc"))
    monkeypatch.setattr(render, "FONT_CANDIDATES", (render.CjkFont(tmp_path / "none.ttc"),))
    with pytest.raises(render.CjkFontNotFoundError, match="fonts-wqy-microhei") as error:
        label_png(make_label(0))
    assert "missing.ttc" in str(error.value)
    with pytest.raises(render.CjkFontNotFoundError, match="fonts-wqy-microhei"):
        sheet_pdf([make_label(0)], title=TITLE)


def test_no_font_at_any_known_path_names_the_package_and_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(render, "FONT_CANDIDATES", (render.CjkFont(tmp_path / "none.ttc"),))
    with pytest.raises(render.CjkFontNotFoundError) as error:
        sheet_pdf([make_label(0)], title=TITLE)
    message = str(error.value)
    assert "apt-get install -y fonts-wqy-microhei" in message
    assert render.FONT_ENV in message
    assert str(tmp_path / "none.ttc") in message


def test_configured_font_is_used_before_the_known_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = render.find_cjk_font()
    monkeypatch.setenv(render.FONT_ENV, str(installed.path))
    monkeypatch.setenv(render.FONT_INDEX_ENV, str(installed.index))
    monkeypatch.setattr(render, "FONT_CANDIDATES", ())
    assert render.find_cjk_font() == installed
    label = make_label(3)
    assert [c.text for c in decode(Image.open(io.BytesIO(label_png(label))))] == [label.payload]
    reader = PdfReader(io.BytesIO(sheet_pdf([label], title=TITLE)))
    assert squeeze(label.point_name) in squeeze(reader.pages[0].extract_text())
