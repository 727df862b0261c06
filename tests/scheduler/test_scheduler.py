"""The one reminder scheduler: real processes, the real database (SQLite and PostgreSQL), a real
SMTP server, a real Prefect server. Nothing is mocked."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import text
from sqlmodel import col, select

from flows.scheduler import (
    FIRE_REMINDERS_REF,
    REMINDER_STORE,
    SchedulerLocked,
    SchedulerRefused,
    acquire_scheduler_lock,
    job_id_for,
    lock_file_for,
    run_scheduler,
    sync_jobs,
)
from models.campaign import CampaignUnit
from models.clock import VN_TZ
from models.db import get_engine, session_scope
from models.outbox import OutboxMessage, OutboxStatus
from models.rules.calendar import vietnam_calendar
from models.rules.ladder import LadderConfig, plan_ladder
from models.scheduler import SCHEDULER_JOBS_TABLE, SchedulerJob
from models.settings import get_settings
from notifications.smtp_server import read_mailbox
from tests.scheduler.conftest import Children, make_campaign, shifted_vietnam, wait_until

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

# ------------------------------------------------------------------------- one scheduler only


@pytest.mark.slow
def test_one_scheduler_only_and_the_lock_lives_and_dies_with_its_holder(
    children: Children, database: str, prefect_server: None
) -> None:
    from prefect.settings import PREFECT_API_URL

    # A scheduler needs a Prefect server (it refuses to start without one, tests/scheduler/
    # test_hygiene.py): the session's test server.
    children.env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    first = children.start()
    first.wait_ready()

    second = children.start()
    assert second.wait_exit() == 3
    message = " ".join(second.output.split())
    assert "Không khởi động: một bộ lập lịch khác đang chạy" in message
    assert "Refusing to start: another scheduler is running on the same database" in message
    assert f"pid={first.process.pid}" in message  # who holds it, for the operator

    first.kill()  # SIGKILL: no clean-up code runs, the lock must go with the process
    third = children.start(TONVINH_SCHEDULER_LOCK_CHECK_SECONDS="1")
    third.wait_ready()

    # The lock is lost under the running scheduler: it notices and stops (exit 4).
    if database.startswith("sqlite"):
        lock_file_for(get_settings()).unlink()  # a new file would let a second scheduler in
    else:
        with get_engine().begin() as connection:  # the lock's connection drops
            killed = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name LIKE :tag"
                ),
                {"tag": f"tonvinh-scheduler pid={third.process.pid} %"},
            ).all()
        assert killed == [(True,)]
    assert third.wait_exit(timeout=20) == 4
    assert "Lost the scheduler lock" in " ".join(third.output.split())


def test_the_lock_refuses_a_second_holder_in_the_same_process(database: str) -> None:
    settings = get_settings()
    with acquire_scheduler_lock(settings) as lock:
        assert lock.still_held()
        with (
            pytest.raises(SchedulerLocked, match="Refusing to start"),
            acquire_scheduler_lock(settings),
        ):
            pass
    with acquire_scheduler_lock(settings) as again:
        assert again.still_held()


def test_a_frozen_clock_is_refused(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TONVINH_NOW", "2019-03-01T08:00")
    with pytest.raises(SchedulerRefused, match="TONVINH_NOW"):
        run_scheduler(get_settings(), stop_after=0)


# ---------------------------------------------------------------- killed across a due time

LEAD = timedelta(seconds=20)  # time from "now" to the reminder's due time: a start under load


def _stored_jobs(code: str) -> list[SchedulerJob]:
    with session_scope() as session:
        return list(
            session.exec(
                select(SchedulerJob).where(col(SchedulerJob.id).startswith(f"remind:{code}:"))
            ).all()
        )


def _outbox() -> list[OutboxMessage]:
    with session_scope() as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder")))


def _flow_runs(code: str) -> list[FlowRun]:
    """This campaign's send-reminders runs on the Prefect server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    # Newest first: the session's test server holds hundreds of send-reminders runs from other
    # tests (more on PostgreSQL runs), and an unsorted page of 200 may miss this one.
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["send-reminders"])),
            sort=FlowRunSort.EXPECTED_START_TIME_DESC,
            limit=200,
        )
    return [run for run in runs if run.parameters.get("campaign_code") == code]


def _finished(runs: list[FlowRun]) -> bool:
    return bool(runs) and all(run.state is not None and run.state.is_final() for run in runs)


@pytest.mark.slow
def test_killed_across_a_due_time_the_reminder_fires_once(
    children: Children, prefect_server: None, mail_server, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    code = f"kill-{uuid.uuid4().hex[:6]}"
    due = datetime.now(UTC).replace(microsecond=0) + LEAD
    zone_env, day = shifted_vietnam(tmp_path / "zoneinfo", due)
    make_campaign(code, [day, day])  # two units, one deadline: one run, two emails
    env = {
        **zone_env,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        # One step per unit, on the deadline at 08:00 (shifted Vietnam time) = ``due``.
        "TONVINH_REMINDER_OFFSETS": "[0]",
        "TONVINH_MAX_REMINDERS_PER_UNIT": "1",
    }
    mailbox = Path(mail_server.mailbox_dir)

    # 1. The scheduler plans the run and persists it; it is killed before the due time.
    first = children.start(**env)
    first.wait_ready()
    stored = _stored_jobs(code)
    assert len(stored) == 1
    assert stored[0].next_run_time == due.timestamp()
    first.kill()
    if datetime.now(UTC) >= due - timedelta(seconds=1):
        pytest.fail(f"the first scheduler took too long to start; raise LEAD ({LEAD})")
    assert _stored_jobs(code), "the job must survive the kill"

    # 2. Down across the due time; restarted after it: the missed run fires once, in grace.
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 1)
    assert read_mailbox(mailbox) == []
    second = children.start(**env)
    second.wait_ready()
    wait_until(lambda: len(read_mailbox(mailbox)) >= 2, 40, "the two reminders", second)
    wait_until(lambda: not _stored_jobs(code), 10, "the job to leave the store", second)
    wait_until(
        lambda: all(m.status == OutboxStatus.SENT for m in _outbox()), 10, "outbox sent", second
    )
    # APScheduler itself ran the persisted job, late, within its grace.
    assert f'Running job "nhắc việc / reminders {code}' in second.output
    # The run ends with artifacts and its final state on the Prefect server, which a suite's
    # worth of runs can make slow: stop the scheduler once the run is over, so that what is
    # timed below is the scheduler's own stop.
    wait_until(lambda: _finished(_flow_runs(code)), 60, "the flow run to finish", second)
    second.process.terminate()
    assert second.wait_exit() == 0  # waits for the flow run to finish, then stops

    # 3. Restarted again: nothing is planned and nothing more is sent.
    third = children.start(**env)
    third.wait_ready()
    assert "0 lần nhắc đã lên lịch" in third.output
    time.sleep(1)
    third.kill()

    messages = read_mailbox(mailbox)
    assert len(messages) == 2
    assert {m["To"].addresses[0].addr_spec for m in messages} == {
        f"daumoi1@{code}.example.gov.vn",
        f"daumoi2@{code}.example.gov.vn",
    }
    rows = _outbox()
    assert [(r.tier, r.status) for r in rows] == [(1, OutboxStatus.SENT)] * 2
    assert len(_flow_runs(code)) == 1  # one run, visible on the Prefect server


# ------------------------------------------------------------ sync follows the operator


class StoreOnly(BaseScheduler):
    """A scheduler with no loop: it reads and edits the job store and never runs a job.

    (A paused BackgroundScheduler is not enough: on shutdown its loop wakes up in the STOPPED
    state, which is not PAUSED, and processes the due jobs once.)
    """

    def wakeup(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)


@pytest.fixture
def store(database: str) -> Iterator[StoreOnly]:
    """The real reminder store in a scheduler that never fires, under the one-scheduler lock."""
    with acquire_scheduler_lock(get_settings()):
        scheduler = StoreOnly(
            jobstores={
                "default": MemoryJobStore(),
                REMINDER_STORE: SQLAlchemyJobStore(
                    engine=get_engine(), tablename=SCHEDULER_JOBS_TABLE
                ),
            },
            timezone=VN_TZ,
        )
        scheduler.start(paused=True)
        try:
            yield scheduler
        finally:
            scheduler.shutdown()


def _jobs(scheduler: StoreOnly) -> dict[str, datetime]:
    return {j.id: j.trigger.run_date for j in scheduler.get_jobs(jobstore=REMINDER_STORE)}


def _steps(code: str, deadline: date) -> dict[str, datetime]:
    calendar = vietnam_calendar(range(deadline.year - 1, deadline.year + 3))
    return {job_id_for(code, s.at): s.at for s in plan_ladder(deadline, calendar, LadderConfig())}


def _update(part_id: int, **values: object) -> None:
    with session_scope() as session:
        part = session.get(CampaignUnit, part_id)
        assert part is not None
        for name, value in values.items():
            setattr(part, name, value)
        session.add(part)


def test_sync_follows_submissions_pauses_and_extensions(
    store: StoreOnly,
) -> None:
    code = "sync-2018"
    first, later, extended = date(2019, 3, 8), date(2019, 3, 15), date(2019, 3, 22)
    parts = make_campaign(code, [first, first, later], year=2018)
    u1, u2, u3 = (parts[f"{code}-u{n}"] for n in (1, 2, 3))
    now = datetime(2019, 2, 1, 9, tzinfo=VN_TZ)
    grace = timedelta(hours=6)

    report = sync_jobs(store, now, grace=grace)
    expected = _steps(code, first) | _steps(code, later)
    assert _jobs(store) == expected
    assert report.added == len(expected) and report.removed == 0
    job = store.get_job(next(iter(expected)), jobstore=REMINDER_STORE)
    assert job.func_ref == FIRE_REMINDERS_REF
    assert tuple(job.args) == (code,)
    assert job.misfire_grace_time == 6 * 3600 and job.coalesce

    # Re-syncing with nothing changed rewrites nothing.
    again = sync_jobs(store, now, grace=grace)
    assert (again.added, again.replaced, again.removed) == (0, 0, 0)

    # One unit of the first deadline submits: the other still owes every step.
    _update(u1, first_submitted_at=now)
    sync_jobs(store, now, grace=grace)
    assert _jobs(store) == expected
    # The other pauses: the first deadline's steps go, the later ones stay.
    _update(u2, reminders_paused=True)
    sync_jobs(store, now, grace=grace)
    assert _jobs(store) == _steps(code, later)
    # The later deadline is extended: its steps move to the new deadline's.
    _update(u3, deadline=extended)
    report = sync_jobs(store, now, grace=grace)
    assert _jobs(store) == _steps(code, extended)
    assert report.removed + report.replaced >= 1
    # Resumed reminders come back.
    _update(u2, reminders_paused=False)
    sync_jobs(store, now, grace=grace)
    assert _jobs(store) == _steps(code, first) | _steps(code, extended)
    # A campaign that leaves the reminding stages has no job left.
    from models.campaign import Campaign, CampaignStage

    with session_scope() as session:
        campaign = session.exec(select(Campaign).where(Campaign.code == code)).one()
        campaign.stage = CampaignStage.COUNCIL
        session.add(campaign)
    sync_jobs(store, now, grace=grace)
    assert _jobs(store) == {}


def test_jobs_fall_at_the_configured_send_hour(
    store: StoreOnly, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = "hour-2018"
    make_campaign(code, [date(2019, 3, 8)], year=2018)
    monkeypatch.setenv("TONVINH_REMINDER_SEND_HOUR", "14")
    get_settings.cache_clear()
    sync_jobs(store, datetime(2019, 2, 1, 9, tzinfo=VN_TZ), grace=timedelta(hours=6))
    times = [at.astimezone(VN_TZ).time() for at in _jobs(store).values()]
    assert times and {(t.hour, t.minute) for t in times} == {(14, 0)}


def test_a_passed_step_is_replanned_only_within_grace_and_while_owed(
    store: StoreOnly,
) -> None:
    code = "grace-2018"
    deadline = date(2019, 3, 8)
    parts = make_campaign(code, [deadline], year=2018)
    steps = list(_steps(code, deadline).items())
    (first_id, first_at), (second_id, second_at) = steps[0], steps[1]
    grace = timedelta(hours=6)

    # Two hours after the first step, nothing sent: a run was missed (or killed) - plan it.
    two_hours = first_at + timedelta(hours=2)
    sync_jobs(store, two_hours, grace=grace)
    assert first_id in _jobs(store)
    # Seven hours after it, it is past the grace: not sent late; the next step is still planned.
    seven_hours = first_at + timedelta(hours=7)
    sync_jobs(store, seven_hours, grace=grace)
    assert first_id not in _jobs(store)
    assert second_id in _jobs(store)

    # Once the step is in the outbox, it is not planned again, even within the grace.
    with session_scope() as session:
        part = session.get(CampaignUnit, parts[f"{code}-u1"])
        assert part is not None
        session.add(
            OutboxMessage(
                idempotency_key=f"{part.campaign_id}:{part.unit_id}:reminder:1",
                campaign_id=part.campaign_id,
                unit_id=part.unit_id,
                kind="reminder",
                tier=1,
                to_addrs=["a@example.gov.vn"],
                subject="s",
                text_body="t",
                html_body="h",
                message_id="<m@example.gov.vn>",
                next_attempt_at=first_at,
                created_at=first_at,
            )
        )
    sync_jobs(store, two_hours, grace=grace)
    jobs = _jobs(store)
    assert first_id not in jobs
    assert second_id in jobs and jobs[second_id] == second_at
