"""Receiving a unit's Excel list: checked whole, then stored all-or-nothing with its audit.

The same function serves the operator's batch intake (the unit is whoever the file's hidden
sheet names) and a unit's own upload (``unit_code`` given: a list of another unit is refused).
The file is parsed outside any transaction; one is opened only to store, and it locks the
unit's participation row first, so two uploads of the same unit at once take turns: the second
finds the first's fingerprint and answers "unchanged". What the unit is told (a receipt, or the
errors of a list the operator's batch refused) is ``services.intake_letters``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import (
    Integer,
    String,
    Table,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    null,
)
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from documents.nomination_list import (
    ListLimits,
    ParsedList,
    SubmissionRejected,
    read_nomination_list,
)
from documents.nomination_list.errors import located
from models import audit
from models.audit import AuditEntity
from models.campaign import Campaign, CampaignStage, CampaignUnit, ParticipationStatus
from models.clock import to_vn
from models.db import AwareDateTime
from models.nomination import Nomination, NominationCreate, NominationStatus, Submission
from models.rules.identity import nominee_identity
from models.settings import get_settings
from models.unit import Unit
from services.campaigns import award_choices, find_part, load_campaign
from services.changes import FIELDS, ListChanges, diff_dossiers
from services.errors import OperatorError
from services.intake_letters import enqueue_receipt, tell_unit_list_rejected
from services.nominations import Transition, move_nominations

_NOMINATIONS = cast(Table, inspect(Nomination).local_table)

# A unit may revise its list until the council meets; after that the list is frozen.
OPEN_STAGES = (CampaignStage.CALLING, CampaignStage.REVIEW)
# Statuses a new list may overwrite (anything the council has not yet seen).
REVISABLE = (
    NominationStatus.SUBMITTED,
    NominationStatus.ELIGIBLE,
    NominationStatus.INELIGIBLE,
    NominationStatus.RETURNED,
)


class IntakeOutcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNCHANGED = "unchanged"


class ListError(BaseModel):
    """One reason a list was refused, located as the unit sees it in Excel (row 0 and no
    column: the file as a whole)."""

    sheet: str = ""
    row: int = 0
    column: str = ""
    code: str
    reason_vi: str
    reason_en: str

    def __str__(self) -> str:
        return located(self.sheet, self.row, self.column, self.reason_vi, self.reason_en)


class IntakeResult(BaseModel):
    file: str
    unit: str | None
    outcome: IntakeOutcome
    nominations: int = 0
    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    errors: list[ListError] = []
    # Refusals beyond the ones listed (a file with thousands of faults lists the first ones).
    more_errors: int = 0
    # What an accepted list changed against the unit's previous one (None for a first list).
    changes: ListChanges | None = None


def _refused(file_name: str, unit: str | None, refusal: OperatorError) -> IntakeResult:
    return IntakeResult(
        file=file_name,
        unit=unit,
        outcome=IntakeOutcome.REJECTED,
        errors=[ListError(code=refusal.code, reason_vi=refusal.vi, reason_en=refusal.en)],
    )


def _rejected(file_name: str, unit: str | None, rejected: SubmissionRejected) -> IntakeResult:
    errors = [
        ListError(
            sheet=e.sheet,
            row=e.row,
            column=e.column,
            code=e.code,
            reason_vi=e.reason_vi,
            reason_en=e.reason_en,
        )
        for e in rejected.errors
    ]
    total = rejected.total_errors
    return IntakeResult(
        file=file_name,
        unit=unit,
        outcome=IntakeOutcome.REJECTED,
        errors=errors,
        more_errors=max(0, total - len(errors)),
    )


def receive_list(
    session: Session,
    campaign_code: str,
    data: bytes,
    file_name: str,
    *,
    now: datetime,
    actor: str,
    unit_code: str | None = None,
) -> IntakeResult:
    """Validate one list completely, then store it in one transaction or not at all.

    Commits what it stores (each list is its own transaction), with the unit's receipt, and
    rolls back a refusal. A re-sent identical file (same SHA-256 as the unit's latest) changes
    nothing. A refusal in the operator's batch (no ``unit_code``) of a file that names its unit
    queues the unit a letter with the errors, in a transaction of its own.
    """
    try:
        campaign = load_campaign(session, campaign_code)
        if campaign.stage not in OPEN_STAGES:
            raise OperatorError(
                "campaign_closed",
                f"Đợt thi đua đang ở giai đoạn '{campaign.stage}', không nhận hồ sơ.",
                "The campaign is not accepting lists.",
                stage=str(campaign.stage),
            )
        choices = award_choices(campaign)
    except OperatorError as refused:
        session.rollback()
        return _refused(file_name, unit_code, refused)
    # Parsing takes a while for a long list: no transaction is held open meanwhile.
    session.rollback()
    try:
        parsed = read_nomination_list(
            data,
            choices,
            today=to_vn(now).date(),
            expected_unit_code=unit_code,
            expected_campaign_code=campaign.code,
            limits=ListLimits.from_settings(get_settings()),
        )
    except SubmissionRejected as rejected:
        result = _rejected(file_name, unit_code or rejected.unit_code, rejected)
        if unit_code is None and rejected.unit_code:
            sha256 = hashlib.sha256(data).hexdigest()
            _tell_unit(session, campaign_code, rejected.unit_code, result, sha256, now, actor)
        return result
    try:
        result = _store_if_new(session, campaign, parsed, file_name, now, actor)
    except OperatorError as refused:
        session.rollback()
        result = _refused(file_name, parsed.header.unit_code, refused)
        if unit_code is None:
            unit = parsed.header.unit_code
            _tell_unit(session, campaign_code, unit, result, parsed.sha256, now, actor)
        return result
    session.commit()
    return result


def _tell_unit(
    session: Session,
    campaign_code: str,
    unit_code: str,
    result: IntakeResult,
    sha256: str,
    now: datetime,
    actor: str,
) -> None:
    """The operator's batch refused a list that names its unit: write to the unit, in a
    transaction of its own, with the located errors (its own portal upload shows them)."""
    tell_unit_list_rejected(
        session,
        campaign_code,
        unit_code,
        file_name=result.file,
        sha256=sha256,
        errors=result.errors,
        total_errors=len(result.errors) + result.more_errors,
        now=now,
        actor=actor,
    )


def _store_if_new(
    session: Session,
    campaign: Campaign,
    parsed: ParsedList,
    file_name: str,
    now: datetime,
    actor: str,
) -> IntakeResult:
    # The lock serialises two uploads of one unit (PostgreSQL; SQLite has one writer anyway).
    part, unit = find_part(session, campaign, parsed.header.unit_code, for_update=True)
    latest = session.exec(
        select(Submission.sha256)
        .where(Submission.campaign_id == campaign.id, Submission.unit_id == unit.id)
        .order_by(col(Submission.id).desc())
    ).first()
    if latest == parsed.sha256:
        return IntakeResult(file=file_name, unit=unit.code, outcome=IntakeOutcome.UNCHANGED)
    return _store(session, campaign, unit, part, parsed, file_name, now, actor, latest is not None)


# The row's fields as the nomination table's columns: what ``row.model_dump(exclude=
# {"row_number"})`` gives (the values are already validated), without its cost on every row.
_ROW_FIELDS = tuple(name for name in NominationCreate.model_fields if name != "row_number")


def _fields(row: NominationCreate) -> dict[str, Any]:
    values = row.__dict__
    return {name: values[name] for name in _ROW_FIELDS}


def nominee_key(row: NominationCreate) -> str:
    return nominee_identity(row.kind, row.full_name, row.birth_date)


def _submitted_events(
    session: Session, submission: Submission, file_name: str, now: datetime, actor: str
) -> Any:
    """The "submitted" audit event of every nomination this submission created, as one
    ``INSERT … SELECT``: the same columns and details ``audit.values`` would give each."""
    nominations = _NOMINATIONS.c
    build = (
        func.json_build_object
        if session.get_bind().dialect.name == "postgresql"
        else func.json_object
    )
    details = build(
        literal_column("'submission_id'"),
        literal(submission.id, Integer),
        literal_column("'file'"),
        literal(file_name, String),
        literal_column("'row'"),
        nominations.row_number,
    )
    rows = (
        core_select(
            literal(now, AwareDateTime),
            literal(actor, String),
            nominations.campaign_id,
            literal(AuditEntity.NOMINATION.value, String),
            nominations.id,
            literal("submitted", String),
            null(),
            literal(NominationStatus.SUBMITTED.value, String),
            literal("", String),
            details,
        )
        .where(
            nominations.campaign_id == submission.campaign_id,
            nominations.unit_id == submission.unit_id,
            nominations.submission_id == submission.id,
        )
        .order_by(nominations.id)
    )
    columns = ["at", "actor", "campaign_id", "entity", "entity_id", "action"]
    columns += ["from_state", "to_state", "reason", "details"]
    return insert(audit.TABLE).from_select(columns, rows)


def _store(
    session: Session,
    campaign: Campaign,
    unit: Unit,
    part: CampaignUnit,
    parsed: ParsedList,
    file_name: str,
    now: datetime,
    actor: str,
    resubmission: bool = False,
) -> IntakeResult:
    assert campaign.id is not None and unit.id is not None and part.id is not None
    submission = Submission(
        campaign_id=campaign.id,
        unit_id=unit.id,
        file_name=file_name,
        sha256=parsed.sha256,
        received_at=now,
        row_count=len(parsed.nominations),
        submitted_by=actor,
    )
    session.add(submission)
    session.flush()
    assert submission.id is not None
    existing = {
        n.nominee_key: n
        for n in session.exec(
            select(Nomination).where(
                Nomination.campaign_id == campaign.id,
                Nomination.unit_id == unit.id,
                Nomination.status != NominationStatus.WITHDRAWN,
            )
        ).all()
    }
    result = IntakeResult(
        file=file_name,
        unit=unit.code,
        outcome=IntakeOutcome.ACCEPTED,
        nominations=len(parsed.nominations),
    )
    # The previous dossiers as they stand, before the revised ones are overwritten below.
    before = {
        key: {name: getattr(n, name) for name in FIELDS}
        for key, n in existing.items()
        if n.status in REVISABLE
    }
    after: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    # New nominees go in with one executemany, and their audit events with one INSERT … SELECT
    # that finds their ids in the database. (Was: one ORM flush per row, then one INSERT …
    # RETURNING in parameter order, which SQLAlchemy ran as one statement per row on SQLite
    # and which took 3 s for 10,000 rows on PostgreSQL; BENCHMARKS.md, "intake".)
    fresh: list[dict[str, Any]] = []
    revised: list[tuple[Nomination, NominationCreate, dict[str, Any]]] = []
    for row in parsed.nominations:
        key = nominee_key(row)
        seen.add(key)
        current = existing.get(key)
        fields = _fields(row)
        if resubmission:
            after[key] = fields
        if current is None:
            fields["row_number"] = row.row_number
            fields["nominee_key"] = key
            fresh.append(fields)
            continue
        if current.status not in REVISABLE:
            raise OperatorError(
                "dossier_decided",
                f"Hồ sơ '{current.full_name}' đã qua Hội đồng, không thể sửa.",
                f"'{current.full_name}' was already decided by the council.",
                nomination_id=current.id,
            )
        revised.append((current, row, fields))
    if fresh:
        connection = session.connection()
        shared = {
            "campaign_id": campaign.id,
            "unit_id": unit.id,
            "submission_id": submission.id,
            "status": NominationStatus.SUBMITTED,
            "return_reason": None,
            "created_at": now,
            "updated_at": now,
        }
        connection.execute(insert(_NOMINATIONS), [shared | row for row in fresh])
        # Before any revised nomination is flushed, the new rows are the only ones that name
        # this submission, which was created in this very transaction.
        connection.execute(_submitted_events(session, submission, file_name, now, actor))
        result.created += len(fresh)
    events: list[dict[str, Any]] = []
    for current, row, fields in revised:
        from_state = current.status
        current.sqlmodel_update(
            fields
            | {
                "submission_id": submission.id,
                "row_number": row.row_number,
                "status": NominationStatus.SUBMITTED,
                "return_reason": None,
                "updated_at": now,
            }
        )
        session.add(current)
        result.updated += 1
        assert current.id is not None
        events.append(
            audit.values(
                at=now,
                actor=actor,
                entity=AuditEntity.NOMINATION,
                entity_id=current.id,
                campaign_id=campaign.id,
                action="resubmitted",
                from_state=from_state,
                to_state=NominationStatus.SUBMITTED,
                details={"submission_id": submission.id, "file": file_name, "row": row.row_number},
            )
        )
    if events:
        session.connection().execute(insert(audit.TABLE), events)
    withdrawn = [
        Transition(
            dropped,
            NominationStatus.WITHDRAWN,
            "Không có trong danh sách nộp lại (absent from the new list)",
        )
        for key, dropped in existing.items()
        if key not in seen and dropped.status in REVISABLE
    ]
    move_nominations(
        session, withdrawn, now=now, actor=actor, action="withdrawn", campaign_id=campaign.id
    )
    result.withdrawn += len(withdrawn)
    if resubmission:
        result.changes = diff_dossiers(before, after)
    # The receipt commits with the list it acknowledges; its tier, the submission, keeps a
    # re-run from sending it twice.
    enqueue_receipt(
        session,
        campaign,
        unit,
        part,
        submission_id=submission.id,
        file_name=file_name,
        sha256=parsed.sha256,
        rows=parsed.nominations,
        new_keys={row["nominee_key"] for row in fresh},
        counts=(result.created, result.updated, result.withdrawn),
        now=now,
    )
    new_status = (
        ParticipationStatus.RESUBMITTED
        if part.status == ParticipationStatus.RETURNED
        else ParticipationStatus.SUBMITTED
    )
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN_UNIT,
        entity_id=part.id,
        campaign_id=campaign.id,
        action="list_received",
        from_state=part.status,
        to_state=new_status,
        details={
            "submission_id": submission.id,
            "rows": len(parsed.nominations),
            # Read back by services.changes.submission_changes (the unit's page, the reviewer).
            "changes": result.changes.model_dump(mode="json") if result.changes else None,
        },
    )
    part.status = new_status
    # A list after a nil return is the unit's answer now.
    part.nil_return_at = None
    part.nil_return_by = None
    part.first_submitted_at = part.first_submitted_at or now
    part.last_submitted_at = now
    session.add(part)
    session.flush()
    return result
