"""Stage 4 - intake: a unit's Excel list, checked whole, saved all-or-nothing with its audit."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
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
    read_upload_file,
)
from flows.awards import award_choices
from flows.collector import collector_paused
from flows.common import (
    OperatorError,
    Transition,
    artifact_key,
    emit_unit_events,
    load_campaign,
    move_nominations,
)
from flows.monitor import publish_campaign_artifacts
from models import audit
from models.campaign import Campaign, CampaignStage, CampaignUnit, ParticipationStatus
from models.clock import resolve, to_vn
from models.db import AwareDateTime, session_scope
from models.nomination import Nomination, NominationCreate, NominationStatus, Submission
from models.settings import get_settings
from models.unit import Unit

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


class IntakeResult(BaseModel):
    file: str
    unit: str | None
    outcome: str  # accepted | rejected | unchanged
    nominations: int = 0
    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    errors: list[str] = []


def nominee_key(row: NominationCreate) -> str:
    """Who the nominee is, independent of spelling form and case: a resubmitted row matches."""
    name = " ".join(unicodedata.normalize("NFC", row.full_name).casefold().split())
    born = row.birth_date.isoformat() if row.birth_date else ""
    return f"{row.kind}|{name}|{born}"


# The row's fields as the nomination table's columns: what ``row.model_dump(exclude=
# {"row_number"})`` gives (the values are already validated), without its cost on every row.
_ROW_FIELDS = tuple(name for name in NominationCreate.model_fields if name != "row_number")


def _fields(row: NominationCreate) -> dict[str, Any]:
    values = row.__dict__
    return {name: values[name] for name in _ROW_FIELDS}


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
            literal("nomination", String),
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
        file=file_name, unit=unit.code, outcome="accepted", nominations=len(parsed.nominations)
    )
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
        if current is None:
            fields["row_number"] = row.row_number
            fields["nominee_key"] = key
            fresh.append(fields)
            continue
        if current.status not in REVISABLE:
            raise OperatorError(
                f"Hồ sơ '{current.full_name}' đã qua Hội đồng, không thể sửa. "
                f"(Nomination already decided by the council.)"
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
                entity="nomination",
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
    new_status = (
        ParticipationStatus.RESUBMITTED
        if part.status == ParticipationStatus.RETURNED
        else ParticipationStatus.SUBMITTED
    )
    audit.record(
        session,
        at=now,
        actor=actor,
        entity="campaign_unit",
        entity_id=part.id,
        campaign_id=campaign.id,
        action="list_received",
        from_state=part.status,
        to_state=new_status,
        details={"submission_id": submission.id, "rows": len(parsed.nominations)},
    )
    part.status = new_status
    part.first_submitted_at = part.first_submitted_at or now
    part.last_submitted_at = now
    session.add(part)
    return result


def intake_file(campaign_code: str, path: str, now: datetime, actor: str) -> IntakeResult:
    """Validate one unit's list completely, then save it in one transaction or not at all."""
    file = Path(path)
    with session_scope() as session:
        campaign = load_campaign(session, campaign_code)
        if campaign.stage not in OPEN_STAGES:
            return IntakeResult(
                file=file.name,
                unit=None,
                outcome="rejected",
                errors=[
                    f"Đợt thi đua đang ở giai đoạn '{campaign.stage}', không nhận hồ sơ. "
                    f"(The campaign is not accepting lists.)"
                ],
            )
        limits = ListLimits.from_settings(get_settings())
        try:
            # Reading a 10,000-row list builds ~1M short-lived objects: the collector is held
            # here, at the edge, not inside the reader.
            with collector_paused():
                parsed = read_nomination_list(
                    read_upload_file(file, limits.max_file_bytes),
                    award_choices(campaign),
                    today=to_vn(now).date(),  # the day in Vietnam, whatever zone now is in
                    expected_campaign_code=campaign.code,
                    limits=limits,
                )
        except SubmissionRejected as rejected:
            return IntakeResult(
                file=file.name, unit=None, outcome="rejected", errors=rejected.lines()
            )
        row = session.exec(
            select(CampaignUnit, Unit)
            .join(Unit, col(Unit.id) == CampaignUnit.unit_id)
            .where(CampaignUnit.campaign_id == campaign.id, Unit.code == parsed.header.unit_code)
        ).first()
        if row is None:
            return IntakeResult(
                file=file.name,
                unit=parsed.header.unit_code,
                outcome="rejected",
                errors=[
                    f"Đơn vị '{parsed.header.unit_code}' không tham gia đợt thi đua này. "
                    f"(Unit not in this campaign.)"
                ],
            )
        part, unit = row
        latest = session.exec(
            select(Submission.sha256)
            .where(Submission.campaign_id == campaign.id, Submission.unit_id == unit.id)
            .order_by(col(Submission.id).desc())
        ).first()
        if latest == parsed.sha256:
            return IntakeResult(file=file.name, unit=unit.code, outcome="unchanged")
        try:
            with session.begin_nested(), collector_paused():
                result = _store(session, campaign, unit, part, parsed, file.name, now, actor)
        except OperatorError as refused:
            return IntakeResult(
                file=file.name, unit=unit.code, outcome="rejected", errors=[str(refused)]
            )
    return result


@task(name="intake-batch", cache_policy=NO_CACHE)
def intake_batch(
    campaign_code: str, paths: list[str], now: datetime, actor: str
) -> list[IntakeResult]:
    """A batch of files in one task (never a task per unit); each file is its own transaction."""
    results = [intake_file(campaign_code, path, now, actor) for path in paths]
    # One event per accepted list, capped per batch (see flows.common.emit_unit_events).
    emit_unit_events(
        "submitted",
        campaign_code,
        [
            (r.unit, {"nominations": r.nominations, "file": r.file})
            for r in results
            if r.outcome == "accepted" and r.unit is not None
        ],
    )
    return results


def _intake_report(campaign_code: str, results: list[IntakeResult]) -> str:
    lines = ["# Tiếp nhận danh sách", "", "| Tệp | Đơn vị | Kết quả | Hồ sơ |", "|---|---|---|---|"]
    labels = {"accepted": "Đã tiếp nhận", "rejected": "Bị từ chối", "unchanged": "Không đổi"}
    for r in results:
        lines.append(f"| {r.file} | {r.unit or '?'} | {labels[r.outcome]} | {r.nominations} |")
    for r in results:
        if r.errors:
            lines += ["", f"## Lỗi trong {r.file}", "", *[f"- {e}" for e in r.errors]]
    return "\n".join(lines)


@flow(name="intake-submissions", log_prints=True)
def intake_submissions(
    campaign_code: str,
    paths: list[str],
    now: datetime | None = None,
    actor: str = "unit",
) -> list[IntakeResult]:
    """Receive a batch of units' lists; each file stands or falls on its own."""
    moment = resolve(now)
    results = intake_batch(campaign_code, paths, moment, actor)
    create_markdown_artifact(
        key=artifact_key(campaign_code, "intake"), markdown=_intake_report(campaign_code, results)
    )
    publish_campaign_artifacts(campaign_code, moment)
    return results
