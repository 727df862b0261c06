"""Build the honourees' certificate template (``giay-khen.docx``) next to this script.

The .docx is the source the department edits in Word (the ministry's letterhead, fonts, the
wording, where the text falls on the pre-printed certificate paper); this script only makes the
first version, so it can be regenerated after a mistake:
``.venv/bin/python documents/templates/build_certificate_template.py``. The ``{{ … }}`` and
``{%p … %}`` marks are docxtpl's (Jinja2 inside Word): keep them when editing. One page per
award: a person honoured twice gets both on one document, a page each.

Tags: ``ministry_upper``, ``signer_line`` (e.g. "BỘ TRƯỞNG BỘ THÔNG TIN VÀ TRUYỀN THÔNG"),
``awards`` (each ``a.verb`` "Tặng" / "Tặng danh hiệu" and ``a.name_upper``), ``recipient``,
``position_line``, ``campaign_name``, ``decision_number``, ``decision_date_text``
("ngày 18 tháng 3 năm 2019"), ``place``, ``signer_block`` and ``signer_name``.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).parent
CERTIFICATE = HERE / "giay-khen.docx"
_RED = RGBColor(0xB9, 0x1C, 0x1C)


def build_certificate() -> Path:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
        setattr(section, side, Cm(2))
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(14)

    def line(text: str, *, size: float = 14, bold: bool = False, red: bool = False,
             italic: bool = False, after: float = 4) -> None:  # fmt: skip
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(after)
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic
        run.font.size = Pt(size)
        if red:
            run.font.color.rgb = _RED

    document.add_paragraph("{%p for a in awards %}")
    line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, after=0)
    line("Độc lập - Tự do - Hạnh phúc", bold=True, after=18)
    line("{{ signer_line }}", size=16, bold=True, after=12)
    line("{{ a.verb }}", size=15, after=6)
    line("{{ a.name_upper }}", size=28, bold=True, red=True, after=12)
    line("{{ recipient }}", size=22, bold=True, after=4)
    line("{{ position_line }}", size=15, italic=True, after=12)
    line("Đã có thành tích xuất sắc trong {{ campaign_name }}", after=18)
    line(
        "Quyết định số {{ decision_number }} {{ decision_date_text }}",
        size=12,
        italic=True,
        after=4,
    )
    line("{{ place }}, {{ decision_date_text }}", size=13, italic=True, after=6)
    line("{{ signer_block }}", bold=True, after=48)
    line("{{ signer_name }}", bold=True, after=0)
    document.add_paragraph("{%p if not loop.last %}")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p endfor %}")
    document.core_properties.language = "vi-VN"
    document.save(str(CERTIFICATE))
    return CERTIFICATE


if __name__ == "__main__":
    print(build_certificate())
