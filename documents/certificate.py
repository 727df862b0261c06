"""The honourees' certificates: one Word document per honouree (a page per award they receive)
from the template the department edits, ``documents/templates/giay-khen.docx`` (first built by
``documents/templates/build_certificate_template.py``), quoting the signed decision's number
and date. The printers put the text on the certificate paper; the department edits the layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from docxtpl import Listing

from documents.minutes import TEMPLATES, render_docx
from documents.text import vn_long_date

CERTIFICATE_TEMPLATE = TEMPLATES / "giay-khen.docx"
PLACE = "Hà Nội"


@dataclass(frozen=True)
class CertificateAward:
    name: str  # "Chiến sĩ thi đua cơ sở", "Bằng khen của Bộ trưởng"
    is_title: bool  # an emulation title ("Tặng danh hiệu"), else a form ("Tặng")


@dataclass(frozen=True)
class Certificate:
    recipient: str  # the person's or the collective's name
    position_line: str  # "Chuyên viên chính, Vụ Bưu chính"
    awards: Sequence[CertificateAward]
    campaign_name: str
    decision_number: str
    decision_date: date
    signer_line: str  # "BỘ TRƯỞNG BỘ THÔNG TIN VÀ TRUYỀN THÔNG"
    signer_block: str  # one line per line, as the decision's
    signer_name: str


def write_certificate_docx(path: Path, certificate: Certificate) -> Path:
    """Render one honouree's certificate; refuses (ValueError) one without an award or a
    signed decision's number: a certificate quotes the decision that grants it."""
    if not certificate.awards or not certificate.decision_number.strip():
        raise ValueError(
            "Giấy khen cần ít nhất một khen thưởng và số quyết định đã ký. "
            "(A certificate needs an award and the signed decision's number.)"
        )
    block = "\n".join(line.strip() for line in certificate.signer_block.splitlines() if line)
    context = {
        "awards": [
            {
                "verb": "Tặng danh hiệu" if award.is_title else "Tặng",
                "name_upper": award.name.upper(),
            }
            for award in certificate.awards
        ],
        "recipient": certificate.recipient,
        "position_line": certificate.position_line,
        "campaign_name": certificate.campaign_name,
        "decision_number": certificate.decision_number,
        "decision_date_text": vn_long_date(certificate.decision_date),
        "place": PLACE,
        "signer_line": certificate.signer_line,
        "signer_block": Listing(block.upper()),
        "signer_name": certificate.signer_name,
    }
    return render_docx(CERTIFICATE_TEMPLATE, context, path)
