"""Stage 4 - intake: a batch of units' Excel lists, each checked whole and stored on its own."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.states import Completed

from documents.nomination_list import SubmissionRejected, read_upload_file
from flows.collector import collector_paused
from flows.common import artifact_key, deliver_outbox, stage_task
from flows.monitor import publish_campaign_artifacts
from models.clock import resolve
from models.db import session_scope
from models.settings import get_settings
from services import events
from services.intake import IntakeOutcome, IntakeResult, ListError, receive_list


def _receive_path(campaign_code: str, path: str, now: datetime, actor: str) -> IntakeResult:
    file = Path(path)
    try:
        data = read_upload_file(file, get_settings().list_max_bytes)
    except SubmissionRejected as rejected:
        return IntakeResult(
            file=file.name,
            unit=None,
            outcome=IntakeOutcome.REJECTED,
            errors=[
                ListError(code=e.code, reason_vi=e.reason_vi, reason_en=e.reason_en)
                for e in rejected.errors
            ],
        )
    with session_scope() as session:
        return receive_list(session, campaign_code, data, file.name, now=now, actor=actor)


@stage_task(name="intake-batch")
def intake_batch(
    campaign_code: str, paths: list[str], now: datetime, actor: str
) -> list[IntakeResult]:
    """A batch of files in one task (never a task per unit); each file is its own transaction."""
    # Reading and storing a long list builds many short-lived objects: the collector waits
    # (this process only runs the batch; see flows.collector).
    with collector_paused():
        results = [_receive_path(campaign_code, path, now, actor) for path in paths]
    # One event per accepted list, capped per batch (see services.events.publish_unit_events).
    events.publish_unit_events(
        "submitted",
        campaign_code,
        [
            (r.unit, {"nominations": r.nominations, "file": r.file})
            for r in results
            if r.outcome is IntakeOutcome.ACCEPTED and r.unit is not None
        ],
    )
    return results


def _intake_report(results: list[IntakeResult]) -> str:
    lines = ["# Tiếp nhận danh sách", "", "| Tệp | Đơn vị | Kết quả | Hồ sơ |", "|---|---|---|---|"]
    labels = {
        IntakeOutcome.ACCEPTED: "Đã tiếp nhận",
        IntakeOutcome.REJECTED: "Bị từ chối",
        IntakeOutcome.UNCHANGED: "Không đổi",
    }
    for r in results:
        lines.append(f"| {r.file} | {r.unit or '?'} | {labels[r.outcome]} | {r.nominations} |")
    for r in results:
        if r.errors:
            lines += ["", f"## Lỗi trong {r.file}", "", *[f"- {e}" for e in r.errors]]
            if r.more_errors:
                lines.append(f"- … và {r.more_errors} lỗi khác (and {r.more_errors} more)")
    return "\n".join(lines)


@flow(name="intake-submissions", log_prints=True)
def intake_submissions(
    campaign_code: str,
    paths: list[str],
    now: datetime | None = None,
    actor: str = "unit",
) -> list[IntakeResult]:
    """Receive a batch of units' lists; each file stands or falls on its own, and its unit is
    told (a receipt, or the errors of a refused list that names it). A run that refused a file
    ends Completed under the name "Có tệp bị từ chối", so the runs list says so."""
    moment = resolve(now)
    results = intake_batch(campaign_code, paths, moment, actor)
    deliver_outbox(moment)
    create_markdown_artifact(
        key=artifact_key(campaign_code, "intake"), markdown=_intake_report(results)
    )
    publish_campaign_artifacts(campaign_code, moment)
    refused = sum(r.outcome is IntakeOutcome.REJECTED for r in results)
    if refused:
        # A returned state becomes the run's final state; a caller still gets ``results``.
        return Completed(  # type: ignore[return-value]
            data=results,
            name="Có tệp bị từ chối",
            message=f"{refused}/{len(results)} tệp bị từ chối (files refused)",
        )
    return results
