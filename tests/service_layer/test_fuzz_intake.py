"""Fuzzing intake (issue 13, item 7): the unit's own list, edited (and sometimes damaged) by
Hypothesis, sent through ``receive_list`` again and again into one campaign. Each upload is
stored whole — the unit's live dossiers are then exactly the list's rows — or refused with
located reasons, and a refusal saves nothing: no submission, no nomination, no audit event.

The strategies are the reader's (``tests/documents/fuzz.py``); the uploads accumulate, so
later lists revise and withdraw what earlier ones stored. Small and the same on every run;
``TONVINH_FUZZ_SCALE`` and ``TONVINH_FUZZ_RANDOM`` run it longer (see ``fuzz.py``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlmodel import func, select

from documents.nomination_list import (
    ListLimits,
    ParsedList,
    SubmissionRejected,
    read_nomination_list,
)
from models.audit import AuditEvent
from models.campaign import Campaign
from models.clock import to_vn
from models.db import session_scope
from models.nomination import Nomination, NominationCreate, NominationStatus, Submission
from models.rules.identity import nominee_identity
from models.settings import get_settings
from models.unit import Unit
from services.campaigns import award_choices, load_campaign
from services.intake import IntakeOutcome, IntakeResult, receive_list
from tests.documents import fuzz, fuzz_damage
from tests.documents.builders import collective, individual
from tests.flows.conftest import CODE, at
from tests.service_layer.conftest import list_bytes, unit_codes

_FIELDS = set(NominationCreate.model_fields)


def _rows() -> list[NominationCreate]:
    """Two people and a collective the 2018 campaign accepts as they are."""
    return [
        individual("Nguyễn Thị Hương", "CSTDCS", 1),
        individual("Trần Văn Minh", "CSTDCS", 1, gender="Nam"),
        collective("Phòng Quản lý bưu chính, Vụ Bưu chính"),
    ]


def _counts() -> tuple[int, int, int]:
    with session_scope() as session:
        return tuple(  # type: ignore[return-value]
            int(session.exec(select(func.count()).select_from(model)).one())
            for model in (Submission, Nomination, AuditEvent)
        )


def _live(unit_code: str) -> dict[str, NominationCreate]:
    """The unit's dossiers not withdrawn, by nominee key, as the rows they were stored from."""
    with session_scope() as session:
        unit = session.exec(select(Unit).where(Unit.code == unit_code)).one()
        stored = session.exec(
            select(Nomination).where(
                Nomination.unit_id == unit.id, Nomination.status != NominationStatus.WITHDRAWN
            )
        ).all()
        return {
            n.nominee_key: NominationCreate.model_validate(n.model_dump(include=_FIELDS))
            for n in stored
        }


@pytest.mark.slow  # run by `make test`, left out of `make test-fast`
@pytest.mark.filterwarnings("ignore::UserWarning")  # zipfile and openpyxl on broken packages
def test_an_upload_is_stored_whole_or_refused_and_a_refusal_saves_nothing(
    calling: Campaign, tmp_path: Path
) -> None:
    mine, theirs = unit_codes()[:2]
    with session_scope() as session:
        choices = award_choices(load_campaign(session, CODE))
    lists = fuzz.Sources(list=list_bytes(tmp_path, mine, _rows(), "list.xlsx"))
    now = at(calling.dispatch_on, 10)
    limits = ListLimits.from_settings(get_settings())
    outcomes: Counter[IntakeOutcome] = Counter()

    def parse(data: bytes, unit_code: str | None) -> ParsedList:
        """What intake parses: the campaign's awards, as of the upload's day."""
        return read_nomination_list(
            data,
            choices,
            today=to_vn(now).date(),
            expected_unit_code=unit_code,
            expected_campaign_code=CODE,
            limits=limits,
        )

    @fuzz.fuzz_settings(examples=40)
    @given(
        changes=fuzz.edits(choices, (2, 1), units=(mine, theirs)),
        damage=st.one_of(st.just([]), st.just([]), st.just([]), fuzz_damage.damage()),
        unit_code=st.sampled_from((None, None, mine, theirs)),
    )
    # The list as written, and again (the same bytes: unchanged).
    @example(changes=[], damage=[], unit_code=None)
    @example(changes=[], damage=[], unit_code=mine)
    # A name within 255 characters whose case-folded key is longer than its column: the reader
    # let it through, then PostgreSQL refused the insert with an error out of receive_list.
    @example(changes=[fuzz.SetCell(fuzz.PEOPLE, 5, 2, "ß" * 255)], damage=[], unit_code=mine)
    # A filled row far past the capacity (the reader dropped it silently).
    @example(
        changes=[fuzz.CopyRow(fuzz.PEOPLE, 4, fuzz.FAR_ROWS[3], "Lê Thị Mai")],
        damage=[],
        unit_code=None,
    )
    def upload(
        changes: list[fuzz.Edit], damage: list[fuzz_damage.Damage], unit_code: str | None
    ) -> None:
        data = fuzz_damage.damaged(fuzz.edited(lists["list"], changes), damage)
        before = _counts()
        try:
            parsed: ParsedList | None = parse(data, unit_code)
            refusal: SubmissionRejected | None = None
        except SubmissionRejected as rejected:
            parsed, refusal = None, rejected
        with session_scope() as session:
            result: IntakeResult = receive_list(
                session, CODE, data, "danh-sach.xlsx", now=now, actor="fuzz", unit_code=unit_code
            )
        after = _counts()
        outcomes[result.outcome] += 1
        if result.outcome is not IntakeOutcome.ACCEPTED:
            # Nothing of the list is saved. A list the operator's intake refused may leave one
            # audited letter to the unit it names (``list_rejected``), and nothing else.
            assert after[:2] == before[:2], (result.outcome, before, after)
            letters = 1 if unit_code is None and result.outcome is IntakeOutcome.REJECTED else 0
            assert before[2] <= after[2] <= before[2] + letters, (before, after)
        if result.outcome is IntakeOutcome.REJECTED:
            assert result.errors
            for e in result.errors:
                fuzz.check_located(e.sheet, e.row, e.column, e.code, e.reason_vi, e.reason_en)
            if refusal is not None:  # the reader's own reasons, as they are
                assert [(e.sheet, e.row, e.column, e.code) for e in result.errors] == [
                    (e.sheet, e.row, e.column, e.code) for e in refusal.errors
                ]
            return
        assert refusal is None and parsed is not None, result
        if not damage:
            fuzz.check_parsed(parsed, data)
        assert result.unit == parsed.header.unit_code
        if result.outcome is IntakeOutcome.UNCHANGED:
            return
        # Stored whole: one submission, a "submitted" or "resubmitted" event per row and one for
        # the unit, and the unit's live dossiers are exactly the list's rows.
        rows = parsed.nominations
        assert (result.nominations, result.created + result.updated) == (len(rows), len(rows))
        assert after[0] == before[0] + 1
        assert after[1] == before[1] + result.created
        assert after[2] >= before[2] + len(rows) + 1 + result.withdrawn
        expected = {nominee_identity(r.kind, r.full_name, r.birth_date): r for r in rows}
        assert _live(result.unit) == expected

    upload()
    assert outcomes[IntakeOutcome.ACCEPTED] >= 3 and outcomes[IntakeOutcome.REJECTED] >= 3, outcomes
