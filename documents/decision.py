"""The commendation decision (quyết định khen thưởng) and its annex, as a .docx: a draft until
the registry numbers and dates the signed original, then the signed text.

A draft ("DỰ THẢO" on every page, "Số: …/QĐ-…" and "ngày … tháng … năm …" left blank) carries no
number, so nobody can quote one before it exists; ``DecisionDoc.decision_number`` set means signed.

Leadership signs a Word document, not a web page: the department edits the draft, prints it and
carries it to the signer. The text and layout are a Word template the department edits,
``documents/templates/quyet-dinh.docx`` (built by ``documents/decision_template.py``, which says
what it holds); this module computes what goes in (the annex's grouping and numbering, the
counts, the total in figures and words) and renders it with docxtpl.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate, Listing

from documents.decision_template import TEMPLATE
from documents.text import format_vnd, vn_long_date, vnd_in_words

PLACE = "Hà Nội"
KINDS = ("individual", "collective")
KIND_HEADINGS = {"individual": "Cá nhân", "collective": "Tập thể"}
KIND_COUNT_NOUN = {"individual": "cá nhân", "collective": "tập thể"}
_ROMAN = ("I", "II", "III", "IV")


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
    # Who it is in the register: the nominating unit and the nominee's identity within it (a
    # person honoured twice has one key; the ceremony invites them once).
    unit_code: str = ""
    nominee_key: str = ""


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
    template = DocxTemplate(str(TEMPLATE))
    template.render(_context(doc, groups), autoescape=True)
    properties = template.docx.core_properties  # get_docx() would reload the template
    properties.title = (
        "Dự thảo quyết định khen thưởng" if doc.is_draft else f"Quyết định {doc.decision_number}"
    )
    properties.subject = f"Khen thưởng – {doc.campaign_name}"
    properties.author = doc.ministry_name
    path.parent.mkdir(parents=True, exist_ok=True)
    template.save(str(path))
    return path


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


def _parts(groups: Sequence[AwardGroup]) -> list[dict[str, Any]]:
    """The annex: "I. Cá nhân" / "II. Tập thể" (a kind with nobody left out), each award with
    its count, each honouree numbered within the part."""
    parts: list[dict[str, Any]] = []
    for kind in KINDS:
        kind_groups = [group for group in groups if group.kind == kind]
        if not kind_groups:
            continue
        number = 0
        rendered = []
        for group in kind_groups:
            lines = []
            for member in group.members:
                number += 1
                lines.append(f"{number}. {annex_line(member)}")
            title = f"{group.award_name} ({len(group.members):02d} {KIND_COUNT_NOUN[kind]})"
            rendered.append({"title": title, "lines": lines})
        parts.append(
            {"heading": f"{_ROMAN[len(parts)]}. {KIND_HEADINGS[kind]}", "groups": rendered}
        )
    return parts


def _context(doc: DecisionDoc, groups: Sequence[AwardGroup]) -> dict[str, Any]:
    """What the template's tags read (documents/decision_template.py lists them)."""
    block = "\n".join(line.strip() for line in doc.signer_title.splitlines() if line.strip())
    return {
        "draft": doc.is_draft,
        "ministry_name": doc.ministry_name,
        "ministry_upper": doc.ministry_name.upper(),
        "number_text": doc.number_text,
        "date_text": doc.date_text,
        "place": PLACE,
        "year": doc.year,
        "campaign_name": doc.campaign_name,
        "legal_basis": [_basis_line(basis) for basis in doc.legal_basis if basis.strip()],
        "who": _who(_counts(groups)),
        "total_vnd": format_vnd(doc.total_amount),
        "total_words": vnd_in_words(doc.total_amount),
        # Line breaks kept as breaks in Word; capitals as the decree sets the block.
        "signer_block": Listing(block.upper()),
        "signer_name": doc.signer_name,
        "parts": _parts(groups),
    }
