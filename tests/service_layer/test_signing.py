"""Signing is a step: a draft has no number and nothing quotes one; the registry's number and
date are checked (form, day off unless forced with an audited reason, no renumbering); then the
documents are signed and the invitations quote the number."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import docx
import openpyxl
import pytest
from sqlmodel import select

from models.audit import AuditEvent
from models.campaign import CampaignStage
from models.db import session_scope
from models.document import CampaignDocument
from models.outbox import EmailKind, OutboxMessage
from models.settings import SignerRole
from services.campaigns import load_campaign
from services.documents import open_document
from services.errors import OperatorError
from services.honour import decision_file_name, honourees_file_name
from services.signing import sign_decision
from tests.flows.conftest import CODE, at
from tests.service_layer.honour_support import approve_through_services, draft_decision

NUMBER = "125/QĐ-BTTTT"


@pytest.fixture
def drafted(database: str, tmp_path: Path) -> date:
    """An approved campaign whose decision is drafted; returns a working day to sign on."""
    approve_through_services(tmp_path)
    return draft_decision()


def _decision_text(name: str | None = None) -> str:
    with session_scope() as session:
        stored = open_document(session, CODE, name or decision_file_name(CODE))
        assert stored is not None
        document = docx.Document(io.BytesIO(stored.content))
        parts = [p.text for p in document.paragraphs]
        parts += [p.text for s in document.sections for p in s.header.paragraphs]
        parts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join(parts)


def _sign(day: date, number: str = NUMBER, **kwargs: object) -> object:
    with session_scope() as session:
        return sign_decision(session, CODE, number, day, now=at(day, 16), actor="văn thư", **kwargs)


def _invitations() -> list[OutboxMessage]:
    with session_scope() as session:
        return list(
            session.exec(
                select(OutboxMessage).where(OutboxMessage.kind == EmailKind.INVITATION)
            ).all()
        )


def test_an_unsigned_decision_has_no_number_and_nothing_quotes_it(drafted: date) -> None:
    text = _decision_text()
    assert "DỰ THẢO" in text
    assert "Số: …/QĐ-BTTTT" in text and "ngày … tháng … năm …" in text
    assert "001/" not in text and "125/" not in text
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        assert campaign.decision_number is None and campaign.decision_date is None
        assert campaign.stage is CampaignStage.APPROVED
        xlsx = open_document(session, CODE, honourees_file_name(CODE))
        assert xlsx is not None
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
        assert "DỰ THẢO" in str(sheet["A3"].value)
        # Nothing sent out quotes a number: no invitation yet, no email carries one.
        for message in session.exec(select(OutboxMessage)).all():
            assert "QĐ-BTTTT" not in message.text_body + message.html_body, message.kind
    assert _invitations() == []


def test_signing_numbers_the_documents_and_the_invitations_quote_it(drafted: date) -> None:
    signed = _sign(drafted, " 125 / QĐ-BTTTT ")
    assert signed.decision_number == NUMBER and not signed.already_signed  # type: ignore[attr-defined]
    text = _decision_text()
    assert "DỰ THẢO" not in text
    assert f"Số: {NUMBER}" in text
    # The default role is a deputy signing for the minister.
    assert "KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG" in text
    invitations = _invitations()
    assert len(invitations) == 1
    assert f"Quyết định số {NUMBER}" in invitations[0].text_body
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        assert campaign.stage is CampaignStage.HONOURED
        assert campaign.decision_date == drafted
        decision = session.exec(
            select(CampaignDocument).where(CampaignDocument.kind == "decision")
        ).one()
        assert decision.version == 2  # the draft, then the signed text
    # The same number and date again: nothing changes, nothing is sent twice.
    again = _sign(drafted)
    assert again.already_signed and again.invitations == 0  # type: ignore[attr-defined]
    assert len(_invitations()) == 1
    # Another number: refused, a signed decision is not renumbered.
    with pytest.raises(OperatorError) as refused:
        _sign(drafted, "126/QĐ-BTTTT")
    assert refused.value.code == "decision_already_signed"


def test_the_minister_signs_under_his_own_title(drafted: date) -> None:
    _sign(drafted, signer_role=SignerRole.MINISTER, signer_name="Nguyễn Mạnh Hùng")
    text = _decision_text()
    assert "KT. BỘ TRƯỞNG" not in text and "THỨ TRƯỞNG" not in text
    assert "BỘ TRƯỞNG\n" in text or "\nBỘ TRƯỞNG" in text
    assert "Nguyễn Mạnh Hùng" in text


@pytest.mark.parametrize(
    "number", ["125", "QĐ-BTTTT", "0/QĐ-BTTTT", "125/QĐ-BKHCN", "12a/QĐ-BTTTT"]
)
def test_a_number_of_the_wrong_form_is_refused(drafted: date, number: str) -> None:
    with pytest.raises(OperatorError) as refused:
        _sign(drafted, number)
    assert refused.value.code == "decision_number_format"
    assert refused.value.params["field"] == "number"
    assert _invitations() == []


def test_a_sunday_is_refused_unless_forced_with_a_reason(drafted: date) -> None:
    sunday = drafted + timedelta(days=(6 - drafted.weekday()) % 7 or 7)
    assert sunday.weekday() == 6
    with pytest.raises(OperatorError) as refused, session_scope() as session:
        sign_decision(session, CODE, NUMBER, sunday, now=at(sunday, 16), actor="văn thư")
    assert refused.value.code == "decision_on_day_off"
    assert "Chủ nhật" in refused.value.vi
    with session_scope() as session:
        assert load_campaign(session, CODE).decision_number is None
    assert _invitations() == []

    reason = "Bộ trưởng ký trong buổi làm việc Chủ nhật trước lễ"
    with session_scope() as session:
        sign_decision(
            session,
            CODE,
            NUMBER,
            sunday,
            now=at(sunday, 16),
            actor="văn thư",
            force_reason=reason,
        )
    with session_scope() as session:
        forced = session.exec(
            select(AuditEvent).where(AuditEvent.action == "precondition_forced")
        ).one()
        assert forced.reason == reason and forced.details["code"] == "decision_on_day_off"
        signed = session.exec(
            select(AuditEvent).where(AuditEvent.action == "decision_signed")
        ).one()
        assert signed.details["number"] == NUMBER and signed.actor == "văn thư"


def test_a_date_in_the_future_is_refused(drafted: date) -> None:
    with pytest.raises(OperatorError) as refused, session_scope() as session:
        sign_decision(
            session, CODE, NUMBER, drafted, now=at(drafted - timedelta(days=1)), actor="x"
        )
    assert refused.value.code == "decision_date_future"
