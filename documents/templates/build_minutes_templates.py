"""Build the council's minutes templates (``bien-ban-kiem-phieu.docx``, ``bien-ban-hop-hoi-dong
.docx``) next to this script.

The .docx files are the source the department edits in Word (fonts, letterhead, wording);
this script only makes the first version, so they can be regenerated after a mistake:
``.venv/bin/python documents/templates/build_minutes_templates.py``. The ``{{ … }}`` and
``{%tr … %}`` marks are docxtpl's (Jinja2 inside Word): keep them when editing.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

HERE = Path(__file__).parent
VOTE_COUNT = HERE / "bien-ban-kiem-phieu.docx"
COUNCIL = HERE / "bien-ban-hop-hoi-dong.docx"


def _document() -> DocumentObject:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    return document


def _centred(document: DocumentObject, text: str, bold: bool = False) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(text).bold = bold


def _loop_table(document: DocumentObject, headers: list[str], cells: list[str], loop: str) -> None:
    """A table: a header row, then one row per item (docxtpl's ``{%tr for %}`` rows)."""
    table = document.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    for column, header in enumerate(headers):
        table.rows[0].cells[column].text = header
        table.rows[0].cells[column].paragraphs[0].runs[0].bold = True
    table.rows[1].cells[0].text = "{%tr for r in " + loop + " %}"
    for column, cell in enumerate(cells):
        table.rows[2].cells[column].text = cell
    table.rows[3].cells[0].text = "{%tr endfor %}"


def _signatures(document: DocumentObject) -> None:
    """The secretary's and the chair's signature blocks, side by side."""
    signatures = document.add_table(rows=2, cols=2)
    signatures.rows[0].cells[0].text = "THƯ KÝ HỘI ĐỒNG"
    signatures.rows[0].cells[1].text = "CHỦ TỊCH HỘI ĐỒNG"
    signatures.rows[1].cells[0].text = "\n\n\n{{ secretary_name }}"
    signatures.rows[1].cells[1].text = "\n\n\n{{ chair_name }}"


def build_vote_count() -> Path:
    document = _document()
    _centred(document, "{{ ministry_name }}", bold=True)
    _centred(document, "HỘI ĐỒNG THI ĐUA - KHEN THƯỞNG", bold=True)
    _centred(document, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
    _centred(document, "Độc lập - Tự do - Hạnh phúc")
    _centred(document, "BIÊN BẢN KIỂM PHIẾU", bold=True)
    _centred(document, "{{ campaign_name }}")
    document.add_paragraph(
        "Hội đồng Thi đua - Khen thưởng bỏ phiếu kín bằng phiếu điện tử. Ngày họp: "
        "{{ council_on }}. Kết thúc bỏ phiếu: {{ closed_at }}."
    )
    counts = document.add_table(rows=7, cols=2)
    counts.style = "Table Grid"
    for row, (label, value) in enumerate(
        [
            ("Tổng số thành viên Hội đồng", "{{ members_total }}"),
            ("Số thành viên tham gia bỏ phiếu", "{{ members_present }}"),
            ("Trong đó bỏ phiếu bằng văn bản", "{{ members_in_writing }}"),
            ("Số phiếu phát ra", "{{ ballots_issued }}"),
            ("Số phiếu thu về", "{{ ballots_received }}"),
            ("Số phiếu hợp lệ", "{{ ballots_valid }}"),
            ("Số phiếu không hợp lệ", "{{ ballots_invalid }}"),
        ]
    ):
        counts.rows[row].cells[0].text = label
        counts.rows[row].cells[1].text = value
    document.add_paragraph("{{ quorum_text }}")
    document.add_paragraph("Kết quả kiểm phiếu:")
    _loop_table(
        document,
        [
            "STT",
            "Họ tên / Tập thể",
            "Đơn vị",
            "Danh hiệu / Hình thức",
            "Phiếu đồng ý",
            "Tỷ lệ",
            "Ngưỡng",
            "Không biểu quyết",
            "Kết quả",
        ],
        [
            "{{ r.number }}",
            "{{ r.full_name }}",
            "{{ r.unit_name }}",
            "{{ r.award_name }}",
            "{{ r.votes }}/{{ r.denominator }}",
            "{{ r.share }}",
            "{{ r.threshold }}",
            "{{ r.recused }}",
            "{{ r.result }}",
        ],
        "rows",
    )
    document.add_paragraph(
        "Mã biên nhận của các phiếu đã kiểm (mỗi thành viên tự đối chiếu mã của mình; mã không "
        "cho biết ai bỏ phiếu nào): {{ receipts }}"
    )
    document.add_paragraph("{% for note in notes %}Lưu ý: {{ note }}\n{% endfor %}")
    _signatures(document)
    document.save(str(VOTE_COUNT))
    return VOTE_COUNT


def build_council() -> Path:
    document = _document()
    _centred(document, "{{ ministry_name }}", bold=True)
    _centred(document, "HỘI ĐỒNG THI ĐUA - KHEN THƯỞNG", bold=True)
    _centred(document, "BIÊN BẢN HỌP HỘI ĐỒNG THI ĐUA - KHEN THƯỞNG", bold=True)
    _centred(document, "{{ campaign_name }}")
    document.add_paragraph(
        "Ngày họp: {{ council_on }}. Hội đồng có {{ members_total }} thành viên, "
        "{{ members_present }} thành viên tham gia biểu quyết."
    )
    document.add_paragraph("Thành phần Hội đồng:")
    _loop_table(
        document,
        ["STT", "Họ và tên", "Chức vụ", "Vai trò", "Tham gia biểu quyết"],
        [
            "{{ r.number }}",
            "{{ r.name }}",
            "{{ r.position }}",
            "{{ r.role }}",
            "{{ r.took_part }}",
        ],
        "members",
    )
    document.add_paragraph(
        "Hội đồng đã xem xét {{ dossiers_total }} hồ sơ; kết quả bỏ phiếu kín theo Biên bản kiểm "
        "phiếu kèm theo. Hội đồng thống nhất đề nghị Lãnh đạo Bộ khen thưởng:"
    )
    _loop_table(
        document,
        ["STT", "Họ tên / Tập thể", "Đơn vị", "Danh hiệu / Hình thức"],
        ["{{ r.number }}", "{{ r.full_name }}", "{{ r.unit_name }}", "{{ r.award_name }}"],
        "passed",
    )
    _signatures(document)
    document.save(str(COUNCIL))
    return COUNCIL


if __name__ == "__main__":
    for built in (build_vote_count(), build_council()):
        print(built)
