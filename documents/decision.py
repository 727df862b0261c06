"""The commendation decision (quyết định khen thưởng) and its annex, as a .docx: a draft until
the registry numbers and dates the signed original, then the signed text.

A draft ("DỰ THẢO" on every page, "Số: …/QĐ-…" and "ngày … tháng … năm …" left blank) carries no
number, so nobody can quote one before it exists; ``DecisionDoc.decision_number`` set means signed.

Leadership signs a Word document, not a web page: the department edits the draft, prints it and
carries it to the signer. So the draft follows the presentation of Vietnamese administrative
documents (Decree 30/2020/NĐ-CP): the agency and the national motto side by side, Times New Roman
13-14 pt, legal bases in italics, articles, the signer block beside "Nơi nhận", and the annex of
honourees on its own page, grouped I. Cá nhân / II. Tập thể and, within each, by award.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
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

from documents.text import format_vnd, vn_long_date, vnd_in_words

FONT = "Times New Roman"
PLACE = "Hà Nội"
KINDS = ("individual", "collective")
KIND_HEADINGS = {"individual": "Cá nhân", "collective": "Tập thể"}
KIND_COUNT_NOUN = {"individual": "cá nhân", "collective": "tập thể"}
_ROMAN = ("I", "II", "III", "IV")
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


@dataclass(frozen=True)
class Honouree:
    """One person or collective the decision honours, with the cash that goes with the award."""

    kind: str  # "individual" | "collective"
    full_name: str
    position: str | None
    workplace: str
    award_code: str
    award_name: str
    amount: int  # VND


@dataclass(frozen=True)
class DecisionDoc:
    """Everything the draft says; ``total_amount`` must equal the honourees' amounts summed,
    because Điều 2 states it in figures and in words and an auditor will add up the annex."""

    ministry_name: str
    # "125/QĐ-BTTTT" once signed (see format_decision_number); None: a draft, left blank.
    decision_number: str | None
    decision_date: date | None  # the signing date; None: a draft
    # The signature block (Settings.signature_block_for), one line per line: "BỘ TRƯỞNG" when
    # the minister signs, "KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG" when a deputy signs for the minister.
    signer_title: str
    signer_name: str
    campaign_name: str
    year: int
    honourees: Sequence[Honouree]
    legal_basis: Sequence[str]
    total_amount: int
    number_suffix: str = "QĐ-BTTTT"  # printed after the blank number of a draft

    @property
    def is_draft(self) -> bool:
        return self.decision_number is None

    @property
    def number_text(self) -> str:
        """ "125/QĐ-BTTTT", or "…/QĐ-BTTTT" left for the registry on a draft."""
        return self.decision_number or f"…/{self.number_suffix.strip().lstrip('/')}"

    @property
    def date_text(self) -> str:
        """ "ngày 05 tháng 3 năm 2019", or blanks on a draft."""
        if self.decision_date is None:
            return "ngày … tháng … năm …"
        return vn_long_date(self.decision_date)


@dataclass(frozen=True)
class AwardGroup:
    """Honourees of one kind who receive the same award, in the order the annex lists them."""

    kind: str
    award_code: str
    award_name: str
    members: tuple[Honouree, ...]

    @property
    def amount(self) -> int:
        return sum(member.amount for member in self.members)


def group_honourees(honourees: Sequence[Honouree]) -> list[AwardGroup]:
    """Individuals first, then collectives; within each, the higher award (by cash per person)
    first, as decisions list the highest honours first; ties keep the order of first appearance,
    and members keep the caller's order. The honourees list uses the same order, so the two
    documents can be checked against each other line by line."""
    for honouree in honourees:
        if honouree.kind not in KINDS:
            raise ValueError(
                f"Loại '{honouree.kind}' không hợp lệ (cá nhân/tập thể). "
                f"(kind must be individual or collective.)"
            )
    groups: list[AwardGroup] = []
    for kind in KINDS:
        members: dict[str, list[Honouree]] = {}
        for honouree in honourees:
            if honouree.kind == kind:
                members.setdefault(honouree.award_code, []).append(honouree)
        ordered = sorted(
            enumerate(members.items()),
            key=lambda item: (-max(h.amount for h in item[1][1]), item[0]),
        )
        groups += [
            AwardGroup(kind, code, people[0].award_name, tuple(people))
            for _, (code, people) in ordered
        ]
    return groups


def format_decision_number(sequence: int, suffix: str) -> str:
    """The decision's number, "125/QĐ-BTTTT": the sequence (zero-padded to three digits, as the
    numbers this system has issued are), a slash, and the configured suffix
    (``Settings.decision_number_suffix``: the document type and the issuing ministry's symbol,
    which changed when the ministries merged)."""
    if sequence < 1:
        raise ValueError(
            f"Số quyết định phải từ 1 (nhận {sequence}). (Decision sequence must be >= 1.)"
        )
    symbol = suffix.strip().lstrip("/").strip()
    if not symbol:
        raise ValueError("Thiếu ký hiệu quyết định, ví dụ QĐ-BTTTT. (Empty decision suffix.)")
    return f"{sequence:03d}/{symbol}"


def annex_line(honouree: Honouree) -> str:
    """The line "Họ tên, chức vụ, đơn vị", not repeating a unit already in a collective's name."""
    parts = [honouree.full_name.strip()]
    if honouree.position and honouree.position.strip():
        parts.append(honouree.position.strip())
    workplace = honouree.workplace.strip()
    if workplace and workplace.casefold() not in honouree.full_name.casefold():
        parts.append(workplace)
    return ", ".join(parts)


def write_decision_docx(path: Path, doc: DecisionDoc) -> Path:
    """Write the draft decision and its annex to ``path``.

    Refuses (ValueError) a decision without honourees, without a signer's title or name, or whose
    total disagrees with the sum of the honourees' amounts: each would be a wrong legal document,
    better stopped here than found after signature.
    """
    if not doc.honourees:
        raise ValueError(
            "Quyết định không có cá nhân, tập thể nào được khen thưởng. (No honourees.)"
        )
    if not doc.signer_title.strip() or not doc.signer_name.strip():
        raise ValueError(
            "Quyết định thiếu chức vụ hoặc họ tên người ký. (Signer title or name missing.)"
        )
    listed = sum(h.amount for h in doc.honourees)
    if listed != doc.total_amount:
        raise ValueError(
            f"Tổng tiền thưởng {format_vnd(doc.total_amount)} đồng khác tổng theo danh sách "
            f"{format_vnd(listed)} đồng. (total_amount {doc.total_amount} != sum {listed}.)"
        )
    groups = group_honourees(doc.honourees)
    document = Document()
    _set_up(document, doc)
    if doc.is_draft:
        _mark_draft(document)
    _write_heading_block(document, doc)
    _write_body(document, doc, groups)
    _write_signature(document, doc)
    _write_annex(document, doc, groups)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


# --------------------------------------------------------------------------------------------
# Page and fonts
# --------------------------------------------------------------------------------------------


def _set_up(document: DocxDocument, doc: DecisionDoc) -> None:
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

    properties = document.core_properties
    properties.title = (
        "Dự thảo quyết định khen thưởng" if doc.is_draft else f"Quyết định {doc.decision_number}"
    )
    properties.subject = f"Khen thưởng – {doc.campaign_name}"
    properties.author = doc.ministry_name
    properties.language = "vi-VN"


DRAFT_MARK = "DỰ THẢO"


def _mark_draft(document: DocxDocument) -> None:
    """ "DỰ THẢO" in the page header (so on every page, the annex's too) and above the title: a
    printed draft cannot pass for the signed decision."""
    header = document.sections[0].header
    paragraph = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(DRAFT_MARK)
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


def _write_heading_block(document: DocxDocument, doc: DecisionDoc) -> None:
    """Agency and number on the left, national motto, place and date on the right."""
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    left, right = (_clear(cell) for cell in table.rows[0].cells)
    left.width, right.width = Cm(_LEFT_CM), Cm(_RIGHT_CM)
    _paragraph(left, doc.ministry_name.upper(), bold=True, size=13)
    _rule(left, 2.5, _LEFT_CM)
    _paragraph(left, f"Số: {doc.number_text}", size=13)
    _paragraph(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12.5)
    _paragraph(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=13)
    _rule(right, 5.5, _RIGHT_CM)
    _paragraph(right, f"{PLACE}, {doc.date_text}", italic=True, size=13)
    _paragraph(document, "", after=6)


def _basis_line(text: str) -> str:
    """A "Căn cứ …;" line, whether or not the caller wrote the prefix and the semicolon."""
    line = text.strip().rstrip(";.,")
    if not line.casefold().startswith("căn cứ"):
        line = f"Căn cứ {line}"
    return f"{line};"


def _counts(groups: Sequence[AwardGroup]) -> dict[str, int]:
    return {
        kind: sum(len(group.members) for group in groups if group.kind == kind) for kind in KINDS
    }


def _who(counts: dict[str, int]) -> str:
    """The phrase "03 cá nhân và 01 tập thể", leaving out a kind with nobody."""
    parts = [f"{counts[kind]:02d} {KIND_COUNT_NOUN[kind]}" for kind in KINDS if counts[kind]]
    return " và ".join(parts)


def _write_body(document: DocxDocument, doc: DecisionDoc, groups: Sequence[AwardGroup]) -> None:
    if doc.is_draft:
        _paragraph(document, DRAFT_MARK, bold=True, after=6)
    _paragraph(document, "QUYẾT ĐỊNH", bold=True)
    _paragraph(
        document,
        f"Về việc khen thưởng các tập thể, cá nhân có thành tích xuất sắc năm {doc.year}",
        bold=True,
    )
    _rule(document, 4, _BODY_CM)
    _paragraph(document, f"BỘ TRƯỞNG {doc.ministry_name.upper()}", bold=True, after=6)
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    for basis in doc.legal_basis:
        if basis.strip():
            _paragraph(
                document, _basis_line(basis), italic=True, align=justify, indent=True, after=3
            )
    _paragraph(
        document,
        f"Xét đề nghị của Hội đồng Thi đua – Khen thưởng {doc.ministry_name}.",
        italic=True,
        align=justify,
        indent=True,
        after=6,
    )
    _paragraph(document, "QUYẾT ĐỊNH:", bold=True, after=6)

    counts = _counts(groups)
    articles = [
        (
            "Điều 1.",
            f"Tặng danh hiệu thi đua, hình thức khen thưởng cho {_who(counts)} có tên trong danh "
            f"sách kèm theo Quyết định này, đã có thành tích xuất sắc năm {doc.year} "
            f"(đợt thi đua: {doc.campaign_name}).",
        ),
        (
            "Điều 2.",
            f"Kèm theo danh hiệu thi đua, hình thức khen thưởng là tiền thưởng theo quy định hiện "
            f"hành. Tổng số tiền thưởng là {format_vnd(doc.total_amount)} đồng (Bằng chữ: "
            f"{vnd_in_words(doc.total_amount)}), chi từ Quỹ thi đua, khen thưởng của "
            f"{doc.ministry_name} theo dự toán kinh phí đã được phê duyệt.",
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


def _write_signature(document: DocxDocument, doc: DecisionDoc) -> None:
    """The "Nơi nhận" list on the left; the signer's title, room to sign and name on the right."""
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    left, right = (_clear(cell) for cell in table.rows[0].cells)
    left.width, right.width = Cm(8), Cm(8)
    left_align = WD_ALIGN_PARAGRAPH.LEFT
    _paragraph(left, "Nơi nhận:", bold=True, italic=True, size=12, align=left_align)
    for line in ("- Như Điều 3;", "- Lưu: VT, TĐKT."):
        _paragraph(left, line, size=11, align=left_align)
    # The block as configured, line by line (blank lines dropped), in capitals as the decree
    # sets it: "KT. BỘ TRƯỞNG" / "THỨ TRƯỞNG".
    block = "\n".join(line.strip() for line in doc.signer_title.splitlines() if line.strip())
    _paragraph(right, block.upper(), bold=True)
    for _ in range(4):
        _paragraph(right, "")
    _paragraph(right, doc.signer_name, bold=True)


def _write_annex(document: DocxDocument, doc: DecisionDoc, groups: Sequence[AwardGroup]) -> None:
    """The annex on a new page: "I. Cá nhân" / "II. Tập thể", by award, numbered lines."""
    breaker = document.add_paragraph()
    breaker.add_run().add_break(WD_BREAK.PAGE)
    _paragraph(document, "DANH SÁCH CÁ NHÂN, TẬP THỂ ĐƯỢC KHEN THƯỞNG", bold=True)
    _paragraph(
        document,
        f"(Kèm theo Quyết định số {doc.number_text} {doc.date_text} "
        f"của Bộ trưởng {doc.ministry_name})",
        italic=True,
    )
    _rule(document, 4, _BODY_CM)
    left = WD_ALIGN_PARAGRAPH.LEFT
    part = 0
    for kind in KINDS:
        kind_groups = [group for group in groups if group.kind == kind]
        if not kind_groups:
            continue
        _paragraph(
            document, f"{_ROMAN[part]}. {KIND_HEADINGS[kind]}", bold=True, align=left, after=3
        )
        part += 1
        number = 0
        for group in kind_groups:
            _paragraph(
                document,
                f"{group.award_name} ({len(group.members):02d} {KIND_COUNT_NOUN[kind]})",
                bold=True,
                italic=True,
                align=left,
                after=3,
            )
            for member in group.members:
                number += 1
                paragraph = _paragraph(document, f"{number}. {annex_line(member)}", align=left)
                paragraph.paragraph_format.left_indent = Cm(0.6)
    counts = _counts(groups)
    _paragraph(
        document,
        f"Tổng cộng: {_who(counts)}. Tổng số tiền thưởng: {format_vnd(doc.total_amount)} đồng.",
        italic=True,
        align=left,
        after=0,
    ).paragraph_format.space_before = Pt(6)
