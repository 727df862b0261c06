"""The decision's Word template, ``documents/templates/quyet-dinh.docx``, built by this script so
it can be rebuilt: ``python -m documents.decision_template``. The department edits the .docx in
Word (wording, spacing, the "Nơi nhận" list); ``documents.decision`` renders it with docxtpl.

The layout follows Decree 30/2020/NĐ-CP: the agency and the national motto side by side, Times
New Roman 13-14 pt, legal bases in italics, articles, the signer block beside "Nơi nhận", and the
annex on its own page, grouped I. Cá nhân / II. Tập thể and, within each, by award. The Jinja2
tags it holds (each a run of its own, so Word keeps them whole): ``{{ number_text }}``,
``{{ date_text }}`` ("…" blanks on a draft), ``{% if draft %}`` around "DỰ THẢO" (page header and
above the title), ``{%p for basis in legal_basis %}``, the articles' ``{{ who }}``,
``{{ total_vnd }}`` and ``{{ total_words }}``, ``{{ signer_block }}`` and ``{{ signer_name }}``,
and the annex's ``parts`` → ``groups`` → ``lines`` loops.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_PARAGRAPH_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

TEMPLATE = Path(__file__).parent / "templates" / "quyet-dinh.docx"
FONT = "Times New Roman"
DRAFT_MARK = "DỰ THẢO"
# Widths (cm) of the A4 text area (21 - 3 - 2) and of the heading block's two columns.
_BODY_CM, _LEFT_CM, _RIGHT_CM = 16.0, 6.5, 9.5
# The elements that follow w:pBdr inside w:pPr (ECMA-376 CT_PPr sequence).
_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def build_template(path: Path = TEMPLATE) -> Path:
    """Write the template (overwriting the department's edits: rebuild only on purpose)."""
    document = Document()
    _set_up(document)
    _mark_draft(document)
    _write_heading_block(document)
    _write_body(document)
    _write_signature(document)
    _write_annex(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


# --------------------------------------------------------------------------------------------
# Page and fonts
# --------------------------------------------------------------------------------------------


def _set_up(document: DocxDocument) -> None:
    """A4 portrait with the decree's margins; Times New Roman 14 everywhere, marked Vietnamese
    so Word's spell-checker does not underline every line."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)

    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    r_pr = normal.element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT)
    language = r_pr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        r_pr.insert_element_before(language, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    language.set(qn("w:val"), "vi-VN")
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    document.core_properties.language = "vi-VN"


def _mark_draft(document: DocxDocument) -> None:
    """ "DỰ THẢO" in the page header (so on every page, the annex's too) while a draft: a printed
    draft cannot pass for the signed decision."""
    header = document.sections[0].header
    paragraph = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(f"{{% if draft %}}{DRAFT_MARK}{{% endif %}}")
    run.bold = True
    run.font.size = Pt(16)
    run.font.name = FONT
    run.font.color.rgb = RGBColor(0xB9, 0x1C, 0x1C)


def _paragraph(
    container: DocxDocument | _Cell,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    size: float = 14,
    align: WD_PARAGRAPH_ALIGNMENT | None = WD_ALIGN_PARAGRAPH.CENTER,
    indent: bool = False,
    after: float = 0,
) -> Paragraph:
    """A paragraph of one run; lines of ``text`` become line breaks, not new paragraphs."""
    paragraph = container.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(1.27)
    paragraph.paragraph_format.space_after = Pt(after)
    _add_run(paragraph, text, bold=bold, italic=italic, size=size)
    return paragraph


def _add_run(
    paragraph: Paragraph, text: str, *, bold: bool = False, italic: bool = False, size: float = 14
) -> None:
    for number, line in enumerate(text.split("\n")):
        run = paragraph.add_run()
        run.bold = bold
        run.italic = italic
        run.font.size = Pt(size)
        run.font.name = FONT
        if number:
            run.add_break(WD_BREAK.LINE)
        run.add_text(line)


def _rule(container: DocxDocument | _Cell, length_cm: float, space_cm: float) -> None:
    """The short centred line under the agency's name, the motto and the title: an empty
    paragraph with a bottom border, indented so the border is ``length_cm`` long."""
    paragraph = _paragraph(container, "", size=2, after=4)
    margin = Cm(max(space_cm - length_cm, 0) / 2)
    paragraph.paragraph_format.left_indent = margin
    paragraph.paragraph_format.right_indent = margin
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for attribute, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1")):
        bottom.set(qn(attribute), value)
    bottom.set(qn("w:color"), "000000")
    borders.append(bottom)
    # Word rejects a file whose pPr children are out of schema order: insert, do not append.
    paragraph._p.get_or_add_pPr().insert_element_before(borders, *_AFTER_PBDR)


def _clear(cell: _Cell) -> _Cell:
    """A new cell holds one empty paragraph; remove it so content starts at the top."""
    for paragraph in list(cell.paragraphs):
        paragraph._element.getparent().remove(paragraph._element)
    return cell


# --------------------------------------------------------------------------------------------
# The decision
# --------------------------------------------------------------------------------------------


def _tag(container: DocxDocument | _Cell, tag: str) -> None:
    """A paragraph holding only a ``{%p … %}`` tag: docxtpl removes the paragraph itself."""
    _paragraph(container, f"{{%p {tag} %}}", align=None)


def _write_heading_block(document: DocxDocument) -> None:
    """Agency and number on the left, national motto, place and date on the right."""
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    left, right = (_clear(cell) for cell in table.rows[0].cells)
    left.width, right.width = Cm(_LEFT_CM), Cm(_RIGHT_CM)
    _paragraph(left, "{{ ministry_upper }}", bold=True, size=13)
    _rule(left, 2.5, _LEFT_CM)
    _paragraph(left, "Số: {{ number_text }}", size=13)
    _paragraph(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12.5)
    _paragraph(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=13)
    _rule(right, 5.5, _RIGHT_CM)
    _paragraph(right, "{{ place }}, {{ date_text }}", italic=True, size=13)
    _paragraph(document, "", after=6)


def _write_body(document: DocxDocument) -> None:
    _tag(document, "if draft")
    _paragraph(document, DRAFT_MARK, bold=True, after=6)
    _tag(document, "endif")
    _paragraph(document, "QUYẾT ĐỊNH", bold=True)
    _paragraph(
        document,
        "Về việc khen thưởng các tập thể, cá nhân có thành tích xuất sắc năm {{ year }}",
        bold=True,
    )
    _rule(document, 4, _BODY_CM)
    _paragraph(document, "BỘ TRƯỞNG {{ ministry_upper }}", bold=True, after=6)
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    _tag(document, "for basis in legal_basis")
    _paragraph(document, "{{ basis }}", italic=True, align=justify, indent=True, after=3)
    _tag(document, "endfor")
    _paragraph(
        document,
        "Xét đề nghị của Hội đồng Thi đua – Khen thưởng {{ ministry_name }}.",
        italic=True,
        align=justify,
        indent=True,
        after=6,
    )
    _paragraph(document, "QUYẾT ĐỊNH:", bold=True, after=6)
    articles = [
        (
            "Điều 1.",
            "Tặng danh hiệu thi đua, hình thức khen thưởng cho {{ who }} có tên trong danh "
            "sách kèm theo Quyết định này, đã có thành tích xuất sắc năm {{ year }} "
            "(đợt thi đua: {{ campaign_name }}).",
        ),
        (
            "Điều 2.",
            "Kèm theo danh hiệu thi đua, hình thức khen thưởng là tiền thưởng theo quy định hiện "
            "hành. Tổng số tiền thưởng là {{ total_vnd }} đồng (Bằng chữ: {{ total_words }}), "
            "chi từ Quỹ thi đua, khen thưởng của {{ ministry_name }} theo dự toán kinh phí đã "
            "được phê duyệt.",
        ),
        (
            "Điều 3.",
            "Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng, Thủ trưởng các cơ quan, "
            "đơn vị có liên quan và các cá nhân, tập thể có tên tại Điều 1 chịu trách nhiệm thi "
            "hành Quyết định này.",
        ),
    ]
    for heading, text in articles:
        paragraph = _paragraph(document, "", align=justify, indent=True, after=6)
        _add_run(paragraph, heading, bold=True)
        _add_run(paragraph, f" {text}")


def _write_signature(document: DocxDocument) -> None:
    """The "Nơi nhận" list on the left; the signer's title, room to sign and name on the right."""
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    left, right = (_clear(cell) for cell in table.rows[0].cells)
    left.width, right.width = Cm(8), Cm(8)
    left_align = WD_ALIGN_PARAGRAPH.LEFT
    _paragraph(left, "Nơi nhận:", bold=True, italic=True, size=12, align=left_align)
    for line in ("- Như Điều 3;", "- Lưu: VT, TĐKT."):
        _paragraph(left, line, size=11, align=left_align)
    # The block as configured, one line per line, in capitals as the decree sets it.
    _paragraph(right, "{{ signer_block }}", bold=True)
    for _ in range(4):
        _paragraph(right, "")
    _paragraph(right, "{{ signer_name }}", bold=True)


def _write_annex(document: DocxDocument) -> None:
    """The annex on a new page: "I. Cá nhân" / "II. Tập thể", by award, numbered lines."""
    breaker = document.add_paragraph()
    breaker.add_run().add_break(WD_BREAK.PAGE)
    _paragraph(document, "DANH SÁCH CÁ NHÂN, TẬP THỂ ĐƯỢC KHEN THƯỞNG", bold=True)
    _paragraph(
        document,
        "(Kèm theo Quyết định số {{ number_text }} {{ date_text }} "
        "của Bộ trưởng {{ ministry_name }})",
        italic=True,
    )
    _rule(document, 4, _BODY_CM)
    left = WD_ALIGN_PARAGRAPH.LEFT
    _tag(document, "for part in parts")
    _paragraph(document, "{{ part.heading }}", bold=True, align=left, after=3)
    _tag(document, "for group in part.groups")
    _paragraph(document, "{{ group.title }}", bold=True, italic=True, align=left, after=3)
    _tag(document, "for line in group.lines")
    paragraph = _paragraph(document, "{{ line }}", align=left)
    paragraph.paragraph_format.left_indent = Cm(0.6)
    _tag(document, "endfor")
    _tag(document, "endfor")
    _tag(document, "endfor")
    _paragraph(
        document,
        "Tổng cộng: {{ who }}. Tổng số tiền thưởng: {{ total_vnd }} đồng.",
        italic=True,
        align=left,
        after=0,
    ).paragraph_format.space_before = Pt(6)


if __name__ == "__main__":
    print(build_template())
