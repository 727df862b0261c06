"""The one reminder scheduler: APScheduler 3.x, its jobs persisted in our database, one process.

What it does
    ``tonvinh scheduler`` holds a lock (below), plans one *date* job per distinct ladder step time
    of every campaign still taking submissions, and fires the ``send-reminders`` flow at each of
    those times. Every ``sync_every`` minutes it plans again, so an operator's change (a unit
    submitted, a deadline extended, reminders paused or resumed, a campaign moved on) adds, moves
    or removes jobs. Every ``deliver_every`` minutes it delivers the outbox, so a message deferred
    by a transient SMTP failure goes out without waiting for the next reminder; one that fails
    for good there is reported as in a flow (event, refreshed summary artifact). Every minute
    (``scheduler_artifacts_every_minutes``) it refreshes the artifacts of the campaigns whose
    units answered through the portal meanwhile (``AnsweredCampaigns``).

Why each reminder fires once
    * The job store (table ``apscheduler_jobs``, created by migration 0003) keeps the planned
      times across a crash: a time that passed while the process was down fires once after a
      restart, because every job carries its own ``misfire_grace_time`` and ``coalesce=True``.
    * APScheduler deletes a date job when it hands it to a worker thread, before the flow ends; a
      kill during the flow would lose that run. The planner therefore re-plans the latest passed
      step of a deadline while it is within the grace *and still owed to some unit* (its tier is
      not in the outbox for every unit), so a run that did not finish (killed, or failed on a
      database error) is run again at the next sync or start, and one that did is not.
    * The flow itself sends a step at most once whatever happens: ``due_reminders`` picks the
      single latest step not yet sent, and the outbox key ``campaign:unit:kind:tier`` inserts once.
    * Only one scheduler may use the store (two APScheduler processes on one job store each run
      every job, so jobs run twice): ``acquire_scheduler_lock`` refuses a second one.

The lock dies with the process
    PostgreSQL: a session advisory lock (``pg_try_advisory_lock(key, schema hash)``) held on a
    dedicated autocommit connection; the server releases it when that connection closes, which a
    SIGKILL does. Keyed by schema as well, so two deployments in two schemas of one database do not
    block each other. A watchdog job checks every ``lock_check_seconds`` that the lock is still
    ours (a dropped connection loses it) and stops the scheduler if not.
    SQLite: an exclusive ``fcntl.flock`` on ``<database file>.scheduler.lock``, where the database
    file is its real path (``os.path.realpath``: symlinks, ``..`` and relative paths resolved), so
    every URL that reaches the same file meets the same lock (a symlinked path used to admit a
    second scheduler). The lock records the file's identity (``st_dev``/``st_ino``) and the
    watchdog checks it: a database file replaced under a running scheduler (a restore) stops it,
    rather than let it write on into the old, unlinked file. The kernel drops the lock when the
    process dies. Do not delete that file while a scheduler runs (the watchdog notices and stops
    the scheduler, since a new file would admit a second one). Local disks only: ``flock`` over
    NFS is not reliable (neither is SQLite). A hard link is a second path that SQLite itself
    treats as another database (its -wal file is named by path): never hard-link the database.

Time
    APScheduler fires on the wall clock; everything it plans comes from ``models.clock.now()`` and
    the rules. A frozen clock (``TONVINH_NOW``, ``set_now``) would make the two disagree, so the
    scheduler refuses to start with one.

Prefect
    Each firing calls the ``send-reminders`` flow directly, so every reminder run is a flow run on
    the server ``PREFECT_API_URL`` names. The scheduler refuses to start without it: Prefect's
    ephemeral mode would start a throwaway server inside this long-lived process (~190 MB, seen
    still listening 30 minutes after a ``kill -9`` of the scheduler, since nothing outlives the
    process to stop it) and keep no visible history anyway. ``make up`` sets it.
    No Prefect *schedule* exists for reminders, on purpose: two mechanisms scheduling the same
    step could only fire it twice. (The ``send-reminders`` deployment exists, unscheduled, for an
    operator's "remind now"; the ladder rule and the outbox key make such a run send only what
    is due and not yet sent.)

Layering
    It lives in ``flows`` because what it does is fire flow runs. It plans from the service the
    flow itself applies (``services.reminders.reminder_times``), so the planner cannot disagree
    with the flow, and delivers through ``services.mail``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_PAUSED, BaseScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlmodel import Session

from flows.ceremony import AnsweredInvitations, remind_ceremony_invitees
from flows.committee import nudge_committee_tasks
from flows.common import RefreshAfterAnswers
from flows.council_ballot import council_ballot_job
from flows.monitor import refresh_campaign_artifacts
from flows.remind import send_reminders
from models import clock
from models.clock import VN_TZ, to_vn
from models.db import get_engine, normalise_url, session_scope
from models.scheduler import SCHEDULER_JOBS_TABLE
from models.settings import Settings, get_settings
from services.activity import campaigns_answered_since
from services.ceremony import campaigns_to_remind
from services.committee import TASK_LADDER, campaigns_to_nudge
from services.mail import deliver_and_report
from services.reminders import reminder_times

log = logging.getLogger(__name__)

REMINDER_STORE = "reminders"  # the persistent store; the housekeeping jobs live in memory
JOB_PREFIX = "remind:"
FIRE_REMINDERS_REF = "flows.scheduler:fire_reminders"
SYNC_JOB_ID = "sync"
DELIVER_JOB_ID = "deliver"
ARTIFACTS_JOB_ID = "portal-artifacts"
COUNCIL_JOB_ID = "council-ballot"
LOCK_JOB_ID = "lock-watch"
COMMITTEE_JOB_ID = "committee-nudges"
CEREMONY_JOB_ID = "ceremony-reminders"
RSVP_JOB_ID = "ceremony-answers"
# First key of the PostgreSQL advisory lock: "tonv" in ASCII; the second is the schema's hash.
ADVISORY_LOCK_KEY = 0x746F6E76
# The wall clock and models.clock.now() may differ by this much before we call the clock frozen.
CLOCK_TOLERANCE = timedelta(seconds=5)

# fire_reminders and sync_jobs never overlap: a sync reads the outbox only once a run that was
# already under way has written it, so it never re-plans a step that is being sent.
_RUN_LOCK = threading.Lock()


class SchedulerRefused(RuntimeError):
    """The scheduler cannot start; the message is Vietnamese, then English."""


class SchedulerLocked(SchedulerRefused):
    """Another scheduler holds the job store."""


class SchedulerLockLost(RuntimeError):
    """The lock went away while running (dropped database connection, deleted lock file)."""


# --------------------------------------------------------------------------------------- lock


@dataclass
class SchedulerLock:
    """A held lock: ``description`` says what it is, ``still_held()`` checks it is still ours."""

    description: str
    _check: Callable[[], bool] = field(repr=False)

    def still_held(self) -> bool:
        try:
            return self._check()
        except Exception:
            log.exception("Could not check the scheduler lock")
            return False


def _holder_tag() -> str:
    return f"tonvinh-scheduler pid={os.getpid()} host={socket.gethostname()}"[:63]


def _locked_message(what: str, holder: str) -> str:
    held_by = f" — {holder}" if holder else ""
    return (
        "Không khởi động: một bộ lập lịch khác đang chạy trên cùng cơ sở dữ liệu "
        f"({what}{held_by}). Chỉ được chạy một bộ lập lịch; hãy dừng bộ kia trước. / "
        "Refusing to start: another scheduler is running on the same database "
        f"({what}{held_by}). Only one may run; stop the other one first."
    )


def database_file(settings: Settings) -> Path | None:
    """The SQLite database's real file (symlinks and relative parts resolved); None for a
    memory database."""
    database = make_url(normalise_url(settings.effective_database_url)).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(os.path.realpath(database))


def lock_file_for(settings: Settings) -> Path:
    """Where the SQLite lock lives: beside the database's real file, so every path to that file
    (a symlink, a relative path) finds the same lock; in var_dir for a memory database."""
    database = database_file(settings)
    if database is None:
        return settings.var_dir / "scheduler.lock"
    return database.with_name(database.name + ".scheduler.lock")


def _file_identity(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


@contextmanager
def _file_lock(path: Path, database: Path | None = None) -> Iterator[SchedulerLock]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
            raise SchedulerLocked(_locked_message(f"khóa/lock {path}", holder)) from None
        identity = _file_identity(database)
        held = f"{_holder_tag()} since={datetime.now(VN_TZ).isoformat()}"
        if database is not None and identity is not None:
            held += f" db={database} dev:ino={identity[0]}:{identity[1]}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{held}\n".encode(), 0)
        inode = os.fstat(fd).st_ino

        def check() -> bool:
            # The same lock file still sits at that path (a deleted one would let a second
            # scheduler in), and the database is still the file we locked (not replaced).
            try:
                same_lock = os.stat(path).st_ino == inode
            except FileNotFoundError:
                return False
            return same_lock and (identity is None or _file_identity(database) == identity)

        yield SchedulerLock(f"flock {path}", check)
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _pg_holder(connection: Connection, key2: int) -> str:
    row = connection.execute(
        text(
            "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
            "AND l.classid::bigint = :k1 AND l.objid::bigint = :k2 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"k1": ADVISORY_LOCK_KEY, "k2": key2},
    ).first()
    if row is None:
        return ""
    name, address, since = row
    return f"{name or '?'} from {address or 'local socket'} since {since:%Y-%m-%d %H:%M:%S%z}"


@contextmanager
def _advisory_lock() -> Iterator[SchedulerLock]:
    # Autocommit: the connection holds a session-level lock for days and must not sit idle in a
    # transaction. invalidate() closes the DBAPI connection instead of returning it to the pool,
    # where a session lock would otherwise outlive us.
    connection = get_engine().connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        key2 = zlib.crc32(str(schema).encode()) & 0x7FFFFFFF
        connection.execute(
            text("SELECT set_config('application_name', :n, false)"), {"n": _holder_tag()}
        )
        got = connection.execute(
            text("SELECT pg_try_advisory_lock(:k1, :k2)"), {"k1": ADVISORY_LOCK_KEY, "k2": key2}
        ).scalar_one()
        what = f"pg_advisory_lock({ADVISORY_LOCK_KEY}, {key2}) schema {schema}"
        if not got:
            raise SchedulerLocked(_locked_message(what, _pg_holder(connection, key2)))

        def check() -> bool:
            held = connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND objsubid = 2 "
                    "AND classid::bigint = :k1 AND objid::bigint = :k2"
                ),
                {"k1": ADVISORY_LOCK_KEY, "k2": key2},
            ).scalar_one()
            return bool(held)

        yield SchedulerLock(what, check)
    finally:
        connection.invalidate()
        connection.close()


@contextmanager
def acquire_scheduler_lock(settings: Settings) -> Iterator[SchedulerLock]:
    """Hold the one-scheduler lock for the ``with`` block; ``SchedulerLocked`` if it is taken.

    The lock belongs to the process (a connection or an open file), never to a row with a
    heartbeat, so a SIGKILL can never leave it behind.
    """
    dialect = make_url(normalise_url(settings.effective_database_url)).get_backend_name()
    if dialect == "sqlite":
        manager = _file_lock(lock_file_for(settings), database_file(settings))
    elif dialect == "postgresql":
        manager = _advisory_lock()
    else:
        raise SchedulerRefused(
            f"Bộ lập lịch chưa hỗ trợ cơ sở dữ liệu {dialect}. / "
            f"The scheduler does not support the {dialect} database."
        )
    with manager as lock:
        yield lock


# ------------------------------------------------------------------------------------ planning


def job_id_for(campaign_code: str, at: datetime) -> str:
    return f"{JOB_PREFIX}{campaign_code}:{to_vn(at).isoformat()}"


def planned_reminder_times(
    session: Session, now: datetime, *, grace: timedelta | None = None
) -> dict[str, tuple[str, datetime]]:
    """Every reminder run still to make: ``{job id: (campaign code, time)}``, from the very
    rule the ``send-reminders`` flow applies (``services.reminders.reminder_times``), so the
    planner cannot disagree with the flow. Reads the database, writes nothing."""
    window = get_settings().scheduler_misfire_grace if grace is None else grace
    return {
        job_id_for(code, at): (code, at)
        for code, at in sorted(reminder_times(session, now, window))
    }


@dataclass(frozen=True)
class SyncReport:
    planned: int
    added: int
    replaced: int
    removed: int


def sync_jobs(
    scheduler: BaseScheduler,
    now: datetime,
    *,
    grace: timedelta | None = None,
    planned: dict[str, tuple[str, datetime]] | None = None,
) -> SyncReport:
    """Make the persistent store hold exactly the planned reminder jobs (``planned`` if given).

    The scheduler must be started (paused is fine) so the store is readable. A job's id is
    ``remind:<campaign>:<time>``, so a moved step is a new id and the old one goes; unchanged jobs
    are left alone, a job whose grace changed is replaced under its id, jobs no longer planned are
    removed. Each job stores its own ``misfire_grace_time`` and ``coalesce=True``.
    """
    window = get_settings().scheduler_misfire_grace if grace is None else grace
    grace_seconds = int(window.total_seconds())
    with _RUN_LOCK:
        if planned is None:
            with session_scope() as session:
                planned = planned_reminder_times(session, now, grace=window)
        existing = {
            job.id: job
            for job in scheduler.get_jobs(jobstore=REMINDER_STORE)
            if job.id.startswith(JOB_PREFIX)
        }
        removed = 0
        for job_id in sorted(existing.keys() - planned.keys()):
            scheduler.remove_job(job_id, jobstore=REMINDER_STORE)
            removed += 1
        added = replaced = 0
        for job_id, (campaign_code, at) in sorted(planned.items()):
            job = existing.get(job_id)
            if (
                job is not None
                and isinstance(job.trigger, DateTrigger)
                and job.trigger.run_date == at
                and job.misfire_grace_time == grace_seconds
                and tuple(job.args) == (campaign_code,)
            ):
                continue
            scheduler.add_job(
                FIRE_REMINDERS_REF,
                trigger=DateTrigger(run_date=at, timezone=VN_TZ),
                args=[campaign_code],
                id=job_id,
                name=f"nhắc việc / reminders {campaign_code} {to_vn(at):%d/%m/%Y %H:%M}",
                jobstore=REMINDER_STORE,
                misfire_grace_time=grace_seconds,
                coalesce=True,
                max_instances=1,
                replace_existing=True,
            )
            if job is None:
                added += 1
            else:
                replaced += 1
    report = SyncReport(planned=len(planned), added=added, replaced=replaced, removed=removed)
    log.info("Reminder jobs synchronised at %s: %s", to_vn(now).isoformat(), report)
    return report


# ------------------------------------------------------------------------------------- the jobs


def fire_reminders(campaign_code: str) -> dict[str, Any]:
    """A reminder job: run the ``send-reminders`` flow for one campaign, now."""
    with _RUN_LOCK:
        moment = clock.now()
        log.info("Reminder run for %s at %s", campaign_code, moment.isoformat())
        result = send_reminders(campaign_code, now=moment).model_dump(mode="json")
    log.info("Reminder run for %s done: %s", campaign_code, result)
    return result


def nudge_committee_job() -> list[str]:
    """Daily at the ladder's hour: the organising committee's nudge flow for every campaign
    with tasks handed over and not done, on its working days (``services.committee``)."""
    with _RUN_LOCK:
        moment = clock.now()
        with session_scope() as session:
            codes = campaigns_to_nudge(session, moment)
        for code in codes:
            nudge_committee_tasks(code, now=moment)
    return codes


def remind_invitees_job() -> list[str]:
    """Hourly: the conference's reminder flow for every campaign with invitees who have not
    answered before its cut-off, on its working days (the ladder, whose hour is rule data,
    decides who is due; a step is sent once)."""
    with _RUN_LOCK:
        moment = clock.now()
        with session_scope() as session:
            codes = campaigns_to_remind(session, moment)
        for code in codes:
            remind_ceremony_invitees(code, now=moment)
    return codes


def deliver_outbox_job() -> None:
    """Housekeeping: deliver whatever is due (retries after transient SMTP failures).

    Through the flows' own delivery path, so an email that fails for good here raises the same
    ``tonvinh.email.failed`` event as in a flow run. The campaign's summary artifact lists the
    failed emails; a flow refreshes it after every delivery, this job only after a run that
    failed something (every few minutes, a refresh for nothing would only add versions).
    """
    moment = clock.now()
    delivery = deliver_and_report(moment)
    # And after meeting a configuration fault, or finding it fixed: the summary says so.
    changed = sorted({*delivery.failed_campaigns, *delivery.blocked_campaigns})
    if changed:
        refresh_campaign_artifacts(changed, moment)


class AnsweredCampaigns(RefreshAfterAnswers):
    """The campaigns' artifacts follow the units' answers through the portal (a list, a nil
    return) within a minute: one ``refresh-campaign-artifacts`` run for all of them."""

    def __init__(self) -> None:
        super().__init__(campaigns_answered_since, refresh_campaign_artifacts)


# ------------------------------------------------------------------------------------ the process


@dataclass
class SchedulerStatus:
    """What a starting scheduler reports once it runs (``on_ready``) and when it stops."""

    lock: str
    reminder_jobs: int
    next_run: datetime | None
    sync: SyncReport
    prefect_api_url: str


def _check_clock() -> None:
    wall = datetime.now(VN_TZ)
    if abs(clock.now() - wall) > CLOCK_TOLERANCE:
        raise SchedulerRefused(
            f"Đồng hồ đang bị cố định ({clock.now().isoformat()}, TONVINH_NOW): bộ lập lịch chạy "
            "theo giờ thực, hãy bỏ TONVINH_NOW. / The clock is frozen "
            f"({clock.now().isoformat()}, TONVINH_NOW): the scheduler runs on the wall clock; "
            "unset TONVINH_NOW."
        )


def _prefect_api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    value = PREFECT_API_URL.value()
    return str(value) if value else None


NO_PREFECT_SERVER = (
    "Không khởi động: chưa đặt PREFECT_API_URL. Bộ lập lịch chạy lâu dài và cần một máy chủ "
    "Prefect riêng; nếu không, mỗi tiến trình tự mở một máy chủ Prefect tạm (~190 MB) không ai "
    "thấy lịch sử, và nó còn chạy mãi nếu bộ lập lịch bị kill -9. Cách làm: `make up` (tự đặt "
    "PREFECT_API_URL), hoặc chạy `prefect server start` rồi "
    "`export PREFECT_API_URL=http://127.0.0.1:4200/api` (thêm PREFECT_API_AUTH_STRING nếu máy "
    "chủ có đăng nhập). / Refusing to start: PREFECT_API_URL is not set. The scheduler is "
    "long-lived and needs a Prefect server of its own; otherwise each process starts a "
    "throwaway Prefect server (~190 MB) with no visible history, left running if the scheduler "
    "is killed with kill -9. Do: `make up` (it sets PREFECT_API_URL), or run "
    "`prefect server start` and `export PREFECT_API_URL=http://127.0.0.1:4200/api` (plus "
    "PREFECT_API_AUTH_STRING if the server has a login)."
)


def run_scheduler(
    settings: Settings,
    *,
    sync_every_minutes: int | None = None,
    deliver_every_minutes: int | None = None,
    stop_after: float | None = None,
    on_ready: Callable[[SchedulerStatus], None] | None = None,
) -> SchedulerStatus:
    """Run the one scheduler until SIGTERM/SIGINT (or ``stop_after`` seconds); see the module doc.

    Raises ``SchedulerLocked`` when another scheduler holds the store, ``SchedulerRefused`` for a
    frozen clock or no ``PREFECT_API_URL``, ``SchedulerLockLost`` when the lock went away while
    running. The store is
    opened on ``models.db.get_engine()`` (never a bare URL: the engine carries PostgreSQL options
    such as ``search_path``). Starts paused, synchronises, then resumes, so a job planned before
    a change made while the scheduler was down is dropped before it can fire.
    """
    sync_every = sync_every_minutes or settings.scheduler_sync_every_minutes
    deliver_every = deliver_every_minutes or settings.scheduler_deliver_every_minutes
    _check_clock()
    prefect_url = _prefect_api_url()
    if prefect_url is None:
        raise SchedulerRefused(NO_PREFECT_SERVER)
    stop = threading.Event()
    lost = threading.Event()
    with acquire_scheduler_lock(settings) as lock:
        log.info("Scheduler lock held: %s", lock.description)
        scheduler = BackgroundScheduler(
            jobstores={
                "default": MemoryJobStore(),
                REMINDER_STORE: SQLAlchemyJobStore(
                    engine=get_engine(), tablename=SCHEDULER_JOBS_TABLE
                ),
            },
            executors={"default": ThreadPoolExecutor(settings.scheduler_workers)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=VN_TZ,
        )

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("Signal %s: stopping the scheduler", signal.Signals(signum).name)
            stop.set()

        def watch_lock() -> None:
            if not lock.still_held():
                log.critical("The scheduler lock was lost (%s): stopping", lock.description)
                lost.set()
                stop.set()

        def sync() -> None:
            sync_jobs(scheduler, clock.now(), grace=settings.scheduler_misfire_grace)

        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, on_signal)
        scheduler.start(paused=True)
        try:
            report = sync_jobs(scheduler, clock.now(), grace=settings.scheduler_misfire_grace)
            # In memory, not persisted: rebuilt from the options at every start. Run however late.
            housekeeping: dict[str, Any] = {
                "jobstore": "default",
                "replace_existing": True,
                "misfire_grace_time": None,
            }
            scheduler.add_job(sync, "interval", minutes=sync_every, id=SYNC_JOB_ID, **housekeeping)
            scheduler.add_job(
                deliver_outbox_job,
                "interval",
                minutes=deliver_every,
                id=DELIVER_JOB_ID,
                name="gửi thư đang chờ / deliver the outbox",
                next_run_time=datetime.now(VN_TZ),  # pending mail from before goes out at once
                **housekeeping,
            )
            scheduler.add_job(
                AnsweredCampaigns(),
                "interval",
                minutes=settings.scheduler_artifacts_every_minutes,
                id=ARTIFACTS_JOB_ID,
                name="làm mới bảng theo dõi khi đơn vị nộp / refresh artifacts after answers",
                **housekeeping,
            )
            scheduler.add_job(
                AnsweredInvitations(),
                "interval",
                minutes=settings.scheduler_artifacts_every_minutes,
                id=RSVP_JOB_ID,
                name="danh sách đại biểu sau khi trả lời / attendee lists after answers",
                **housekeeping,
            )
            scheduler.add_job(
                council_ballot_job,
                "interval",
                minutes=sync_every,
                id=COUNCIL_JOB_ID,
                name="Hội đồng: kết thúc khi hết hạn, nhắc bỏ phiếu / council ballot close, remind",
                **housekeeping,
            )
            scheduler.add_job(
                nudge_committee_job,
                "cron",
                hour=TASK_LADDER.send_hour,
                timezone=VN_TZ,
                id=COMMITTEE_JOB_ID,
                name="nhắc việc Ban tổ chức hội nghị / committee task nudges",
                **housekeeping,
            )
            scheduler.add_job(
                remind_invitees_job,
                "cron",
                minute=0,
                timezone=VN_TZ,
                id=CEREMONY_JOB_ID,
                name="nhắc trả lời giấy mời hội nghị / conference invitation reminders",
                **housekeeping,
            )
            scheduler.add_job(
                watch_lock,
                "interval",
                seconds=settings.scheduler_lock_check_seconds,
                id=LOCK_JOB_ID,
                name="kiểm tra khóa / check the lock",
                **housekeeping,
            )
            scheduler.resume()
            jobs = scheduler.get_jobs(jobstore=REMINDER_STORE)
            status = SchedulerStatus(
                lock=lock.description,
                reminder_jobs=len(jobs),
                next_run=min((j.next_run_time for j in jobs if j.next_run_time), default=None),
                sync=report,
                prefect_api_url=prefect_url,
            )
            if on_ready is not None:
                on_ready(status)
            stop.wait(stop_after)
        finally:
            if scheduler.state == STATE_PAUSED:
                # Failed before resume(): APScheduler's loop wakes up once on shutdown (STOPPED is
                # not PAUSED) and would process due jobs against stopped executors, deleting them
                # from the store. Detach the store first; its jobs stay in the table.
                scheduler.remove_jobstore(REMINDER_STORE)
            # Waits for a reminder run under way; the lock is released only after that.
            log.info("Stopping: waiting for the jobs under way to finish")
            scheduler.shutdown(wait=True)
            log.info("Scheduler stopped; releasing the lock")
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    if lost.is_set():
        raise SchedulerLockLost(
            f"Mất khóa bộ lập lịch ({lock.description}); đã dừng. / "
            f"Lost the scheduler lock ({lock.description}); stopped."
        )
    return status
