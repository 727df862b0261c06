"""The draft decision: what leadership signs must say the right things in the right order."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path

import docx
import pytest
from docx.shared import Pt

from documents.decision import (
    DecisionDoc,
    Honouree,
    format_decision_number,
    write_decision_docx,
)
from models.settings import Settings, SignerRole

MINISTRY = "Bộ Thông tin và Truyền thông"


def honourees() -> list[Honouree]:
    """Given in unit order, as the honour flow loads them; the annex reorders by award."""
    return [
        Honouree("individual", "Nguyễn Thị Hương", "Chuyên viên chính", "Vụ Bưu chính",
                 "CSTDCS", "Chiến sĩ thi đua cơ sở", 2_340_000),
        Honouree("collective", "Phòng Tổng hợp, Cục Tin học hóa", None, "Cục Tin học hóa",
                 "TTLDXS", "Tập thể lao động xuất sắc", 3_510_000),
        Honouree("individual", "Trần Văn Dũng", "Phó Vụ trưởng", "Vụ Pháp chế",
                 "CSTD_BO", "Chiến sĩ thi đua cấp Bộ", 7_020_000),
        Honouree("individual", "Đặng Thị Ngọc Ánh", None, "Trung tâm Thông tin",
                 "CSTDCS", "Chiến sĩ thi đua cơ sở", 2_340_000),
        Honouree("collective", "Tổ Ứng cứu sự cố an toàn thông tin", None,
                 "Cục An toàn thông tin", "TTLDXS", "Tập thể lao động xuất sắc", 3_510_000),
    ]  # fmt: skip


def decision(people: list[Honouree] | None = None, **changes: object) -> DecisionDoc:
    people = honourees() if people is None else people
    values: dict[str, object] = {
        "ministry_name": MINISTRY,
        "decision_number": "125/QĐ-BTTTT",
        "decision_date": date(2019, 3, 5),
        "signer_title": "KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG",
        "signer_name": "Phan Tâm",
        "campaign_name": "Biểu dương, tôn vinh điển hình tiên tiến ngành TT&TT năm 2018",
        "year": 2018,
        "honourees": people,
        "legal_basis": [
            "Luật Thi đua, khen thưởng ngày 26 tháng 11 năm 2003",
            "Căn cứ Nghị định số 91/2017/NĐ-CP ngày 31 tháng 7 năm 2017 của Chính phủ;",
        ],
        "total_amount": sum(h.amount for h in people),
    }
    values.update(changes)
    return DecisionDoc(**values)  # type: ignore[arg-type]


def texts(path: Path) -> tuple[list[str], list[str]]:
    """Body paragraphs, and paragraphs inside the heading and signature tables."""
    document = docx.Document(str(path))
    cells = [
        paragraph.text
        for table in document.tables
        for row in table.rows
        for cell in row.cells
        for paragraph in cell.paragraphs
    ]
    return [p.text for p in document.paragraphs], cells


def test_heading_number_date_and_legal_basis(tmp_path: Path) -> None:
    path = write_decision_docx(tmp_path / "qd.docx", decision())
    body, cells = texts(path)

    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells
    assert "Độc lập - Tự do - Hạnh phúc" in cells
    assert "BỘ THÔNG TIN VÀ TRUYỀN THÔNG" in cells
    assert "Số: 125/QĐ-BTTTT" in cells
    assert "Hà Nội, ngày 05 tháng 3 năm 2019" in cells
    assert "QUYẾT ĐỊNH" in body and "QUYẾT ĐỊNH:" in body
    assert "Về việc khen thưởng các tập thể, cá nhân có thành tích xuất sắc năm 2018" in body
    assert [line for line in body if line.startswith("Căn cứ")] == [
        "Căn cứ Luật Thi đua, khen thưởng ngày 26 tháng 11 năm 2003;",
        "Căn cứ Nghị định số 91/2017/NĐ-CP ngày 31 tháng 7 năm 2017 của Chính phủ;",
    ]
    articles = [line for line in body if re.match(r"Điều \d\.", line)]
    assert [a[:7] for a in articles] == ["Điều 1.", "Điều 2.", "Điều 3."]
    assert "03 cá nhân và 02 tập thể" in articles[0]
    assert "18.720.000 đồng" in articles[1]
    assert "Mười tám triệu bảy trăm hai mươi nghìn đồng" in articles[1]
    assert "KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG" in cells and "Phan Tâm" in cells
    assert "Nơi nhận:" in cells


def test_annex_groups_and_numbers_the_honourees(tmp_path: Path) -> None:
    path = write_decision_docx(tmp_path / "qd.docx", decision())
    body, _ = texts(path)
    annex = body[body.index("DANH SÁCH CÁ NHÂN, TẬP THỂ ĐƯỢC KHEN THƯỞNG") :]

    assert annex[1] == (
        "(Kèm theo Quyết định số 125/QĐ-BTTTT ngày 05 tháng 3 năm 2019 của Bộ trưởng "
        "Bộ Thông tin và Truyền thông)"
    )
    lines = [line for line in annex[2:] if line and not line.startswith("Tổng cộng")]
    assert lines == [
        "I. Cá nhân",
        "Chiến sĩ thi đua cấp Bộ (01 cá nhân)",
        "1. Trần Văn Dũng, Phó Vụ trưởng, Vụ Pháp chế",
        "Chiến sĩ thi đua cơ sở (02 cá nhân)",
        "2. Nguyễn Thị Hương, Chuyên viên chính, Vụ Bưu chính",
        "3. Đặng Thị Ngọc Ánh, Trung tâm Thông tin",
        "II. Tập thể",
        "Tập thể lao động xuất sắc (02 tập thể)",
        "1. Phòng Tổng hợp, Cục Tin học hóa",
        "2. Tổ Ứng cứu sự cố an toàn thông tin, Cục An toàn thông tin",
    ]
    # the annex starts on its own page
    document = docx.Document(str(path))
    xml = document.element.body.xml
    assert xml.index('w:type="page"') < xml.index("DANH SÁCH CÁ NHÂN, TẬP THỂ")


def test_only_collectives_are_part_one(tmp_path: Path) -> None:
    teams = [h for h in honourees() if h.kind == "collective"]
    body, _ = texts(write_decision_docx(tmp_path / "qd.docx", decision(teams)))
    assert "I. Tập thể" in body and "II. Tập thể" not in body
    assert not any(line.startswith("I. Cá nhân") for line in body)
    assert any("02 tập thể có tên" in line for line in body)


def test_diacritics_and_fonts_survive(tmp_path: Path) -> None:
    path = write_decision_docx(tmp_path / "qd.docx", decision())
    body, cells = texts(path)
    everything = "\n".join(body + cells)
    assert everything == unicodedata.normalize("NFC", everything)
    for word in ("Đặng Thị Ngọc Ánh", "Tổ Ứng cứu sự cố", "Hạnh phúc", "Điều 3."):
        assert word in everything
    normal = docx.Document(str(path)).styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.font.size == Pt(14)


def test_a_total_that_disagrees_with_the_annex_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="total_amount"):
        write_decision_docx(tmp_path / "qd.docx", decision(total_amount=1_000_000))


def test_a_decision_without_honourees_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="No honourees"):
        write_decision_docx(tmp_path / "qd.docx", decision([]))


# ------------------------------------------------------- ministry strings come from settings


def signature_block(path: Path) -> list[str]:
    """The right-hand cell of the signature table: title lines, blank space, the name."""
    document = docx.Document(str(path))
    signature = document.tables[-1].rows[0].cells[1]
    return [p.text for p in signature.paragraphs if p.text]


def test_the_default_settings_give_todays_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DECISION_NUMBER_SUFFIX", "SIGNER_TITLE", "SIGNER_ROLE", "DEFAULT_SIGNER"):
        monkeypatch.delenv(f"TONVINH_{name}", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.decision_number_suffix == "QĐ-BTTTT"
    # A deputy minister signs for the minister unless configured otherwise.
    assert settings.signature_block_for() == "KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG"
    assert settings.signature_block_for(SignerRole.MINISTER) == "BỘ TRƯỞNG"
    assert settings.default_signer == "Phan Tâm"
    number = format_decision_number(125, settings.decision_number_suffix)
    path = write_decision_docx(
        tmp_path / "qd.docx",
        decision(
            decision_number=number,
            signer_title=settings.signature_block_for(),
            signer_name=settings.default_signer,
        ),
    )
    _, cells = texts(path)
    assert "Số: 125/QĐ-BTTTT" in cells
    assert signature_block(path) == ["KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG", "Phan Tâm"]


def test_a_merged_ministry_configures_its_own_number_and_signature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As an operator would write them in an environment file: one line, "\n" for the break.
    monkeypatch.setenv("TONVINH_DECISION_NUMBER_SUFFIX", "/QĐ-BKHCN")
    monkeypatch.setenv("TONVINH_SIGNER_TITLE", "TL. Bộ trưởng\\nVụ trưởng Vụ Tổ chức cán bộ")
    monkeypatch.setenv("TONVINH_DEFAULT_SIGNER", "  Nguyễn   Văn An ")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.decision_number_suffix == "QĐ-BKHCN"
    assert settings.default_signer == "Nguyễn Văn An"
    path = write_decision_docx(
        tmp_path / "qd.docx",
        decision(
            ministry_name="Bộ Khoa học và Công nghệ",
            decision_number=format_decision_number(7, settings.decision_number_suffix),
            signer_title=settings.signature_block_for(),
            signer_name=settings.default_signer,
        ),
    )
    body, cells = texts(path)
    assert "Số: 007/QĐ-BKHCN" in cells
    # The block is printed in capitals, one configured line per line.
    assert signature_block(path) == [
        "TL. BỘ TRƯỞNG\nVỤ TRƯỞNG VỤ TỔ CHỨC CÁN BỘ",
        "Nguyễn Văn An",
    ]
    assert not any("KT. BỘ TRƯỞNG" in cell for cell in cells)
    assert any("Quyết định số 007/QĐ-BKHCN" in line for line in body)


def test_an_empty_ministry_string_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (
        ("DECISION_NUMBER_SUFFIX", " / "),
        ("DEFAULT_SIGNER", "  "),
    ):
        monkeypatch.setenv(f"TONVINH_{name}", value)
        with pytest.raises(ValueError, match=name.lower()):
            Settings(_env_file=None)  # type: ignore[call-arg]
        monkeypatch.delenv(f"TONVINH_{name}")


def test_a_decision_without_a_signer_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Signer title or name missing"):
        write_decision_docx(tmp_path / "qd.docx", decision(signer_title="  \n "))
    with pytest.raises(ValueError, match="Signer title or name missing"):
        write_decision_docx(tmp_path / "qd.docx", decision(signer_name=""))


def test_decision_numbers() -> None:
    assert format_decision_number(125, "QĐ-BTTTT") == "125/QĐ-BTTTT"
    assert format_decision_number(3, "/QĐ-BKHCN") == "003/QĐ-BKHCN"
    assert format_decision_number(1250, "QĐ-BTTTT") == "1250/QĐ-BTTTT"
    with pytest.raises(ValueError):
        format_decision_number(0, "QĐ-BTTTT")
    with pytest.raises(ValueError):
        format_decision_number(1, " ")


def test_a_draft_has_no_number_no_date_and_says_so_on_every_page(tmp_path: Path) -> None:
    path = write_decision_docx(
        tmp_path / "qd.docx", decision(decision_number=None, decision_date=None)
    )
    body, cells = texts(path)
    document = docx.Document(str(path))
    assert [p.text for p in document.sections[0].header.paragraphs] == ["DỰ THẢO"]
    assert body[body.index("QUYẾT ĐỊNH") - 1] == "DỰ THẢO"
    assert "Số: …/QĐ-BTTTT" in cells and "Hà Nội, ngày … tháng … năm …" in cells
    assert any("Kèm theo Quyết định số …/QĐ-BTTTT ngày … tháng … năm …" in b for b in body)
    assert document.core_properties.title == "Dự thảo quyết định khen thưởng"
    # The template's tags are all filled (a department's edit that broke one would show here).
    everything = "\n".join(body + cells)
    assert "{{" not in everything and "{%" not in everything


def test_the_signed_decision_has_no_draft_mark(tmp_path: Path) -> None:
    path = write_decision_docx(tmp_path / "qd.docx", decision())
    body, _ = texts(path)
    header = docx.Document(str(path)).sections[0].header.paragraphs
    assert "DỰ THẢO" not in body and all(not p.text for p in header)
