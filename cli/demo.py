"""`tonvinh demo`: one whole campaign for a sample ministry on a compressed clock.

Simulated units behave as real ones do, through the unit portal running on loopback: each takes
its link from its latest email, downloads its list, fills it and uploads it. Most submit on time;
some late (the list is closed, they ask, the operator extends their deadline); some are returned
and resubmit; one sends a malformed list first and reads the error table; one has nobody to
propose and says so; one never answers and is escalated. Every email goes through a real local
SMTP server into a Maildir; every operator stage is a real Prefect flow run.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.progress import Progress
from sqlmodel import col, func, select

from cli.demo_ceremony import guests_registered, run_ceremony_demo
from cli.demo_committee import plan_owners_registered, run_committee_demo
from cli.demo_council import council_fields, council_through_portal
from cli.demo_leader import approve_through_portal
from cli.demo_units import PortalTally, latest_links, say_no_nominations, send_list
from flows.admin import extend_deadline_flow
from flows.council_ballot import CloseRun
from flows.dispatch import dispatch_call
from flows.honour import honour_campaign, sign_decision_flow
from flows.plan import plan_campaign
from flows.remind import send_reminders
from flows.review import review_nominations
from models import clock
from models.audit import AuditEntity, AuditEvent
from models.campaign import Campaign, CampaignUnit
from models.clock import VN_TZ
from models.db import clear_engines, session_scope
from models.migrate import upgrade
from models.nomination import (
    InitiativeLevel,
    Nomination,
    NominationCreate,
    NominationStatus,
    NomineeKind,
)
from models.outbox import REMINDER_KINDS, EmailKind, OutboxMessage, OutboxStatus
from models.rules.ladder import plan_ladder
from models.settings import get_settings
from notifications.smtp_server import MailboxServer, read_mailbox
from portal.embedded import running_portal
from services.campaigns import award_choices, calendar_for, ladder_config, load_campaign
from services.units import parse_units_csv, upsert_units

SAMPLE_UNITS = Path(__file__).parent / "sample" / "units.csv"
CAMPAIGN_CODE = "tdkt-2018"
CONFERENCE = date(2019, 3, 29)
DECISION_NUMBER = "125/QĐ-BTTTT"
REVIEWER = "Chuyên viên Vụ Thi đua - Khen thưởng"

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = {"Nam": ["Văn", "Đức", "Minh", "Quang", "Hữu"], "Nữ": ["Thị", "Thu", "Ngọc", "Hồng"]}
GIVEN = {
    "Nam": ["Hùng", "Dũng", "Tuấn", "Long", "Sơn", "Thắng", "Cường", "Hải", "Phong", "Tiến"],
    "Nữ": ["Lan", "Hương", "Mai", "Hà", "Linh", "Trang", "Thảo", "Nga", "Yến", "Phương"],
}
POSITIONS = ["Chuyên viên", "Chuyên viên chính", "Phó Trưởng phòng", "Trưởng phòng", "Kỹ sư"]
ACHIEVEMENTS = [
    "Hoàn thành xuất sắc nhiệm vụ năm 2018; chủ trì xây dựng đề án chuyển đổi số của đơn vị.",
    "Có sáng kiến cải tiến quy trình tiếp nhận hồ sơ trực tuyến, rút ngắn 30% thời gian xử lý.",
    "Tham gia soạn thảo văn bản quy phạm pháp luật về bưu chính, viễn thông ban hành đúng hạn.",
]


@dataclass
class Behaviour:
    kind: str  # on_time | late | returned | malformed | nil | never
    submit_on: date | None
    rows: list[NominationCreate] = field(default_factory=list)


def _person(rnd: random.Random, gender: str) -> str:
    return f"{rnd.choice(FAMILY)} {rnd.choice(MIDDLE[gender])} {rnd.choice(GIVEN[gender])}"


def _rows(rnd: random.Random, unit_name: str, defective: bool) -> list[NominationCreate]:
    """A unit's nominations: a few individuals (mostly CSTĐCS, some cấp Bộ) and a collective."""
    rows: list[NominationCreate] = []
    for index in range(rnd.randint(1, 3)):
        gender = rnd.choice(["Nam", "Nữ"])
        ministry_level = index == 0 and rnd.random() < 0.35
        rows.append(
            NominationCreate(
                row_number=4 + index,
                kind=NomineeKind.INDIVIDUAL,
                full_name=_person(rnd, gender),
                gender=gender,
                birth_date=date(rnd.randint(1965, 1992), rnd.randint(1, 12), rnd.randint(1, 28)),
                position=rnd.choice(POSITIONS),
                department="Phòng Tổng hợp",
                workplace=unit_name,
                category="Công chức",
                proposed_title="CSTD_BO" if ministry_level else "CSTDCS",
                achievement_summary=rnd.choice(ACHIEVEMENTS),
                # A returned unit's first list claims cấp Bộ with too few years as CSTĐCS.
                consecutive_base_years=(2 if defective and index == 0 else 3)
                if ministry_level or (defective and index == 0)
                else 1,
                initiative_level=InitiativeLevel.MINISTRY
                if ministry_level
                else InitiativeLevel.BASE,
                excellent_completion=True,
            )
        )
        if defective and index == 0:
            rows[-1] = rows[-1].model_copy(update={"proposed_title": "CSTD_BO"})
    if rnd.random() < 0.5:
        rows.append(
            NominationCreate(
                row_number=4,
                kind=NomineeKind.COLLECTIVE,
                full_name=f"Phòng Tổng hợp, {unit_name}",
                category="Phòng",
                proposed_title="TTLDXS",
                achievement_summary="Tập thể hoàn thành xuất sắc nhiệm vụ năm 2018.",
                women_share=rnd.choice([0.45, 0.72]),
            )
        )
    return rows


def fix_returned_claims(rows: list[NominationCreate]) -> list[NominationCreate]:
    """What a returned unit does: corrects the claim the reviewer returned."""
    return [
        r.model_copy(
            update={"consecutive_base_years": 3, "initiative_level": InitiativeLevel.MINISTRY}
        )
        if r.proposed_title == "CSTD_BO"
        else r
        for r in rows
    ]


def _configure(var_dir: Path, smtp_port: int) -> None:
    """The demo owns var/demo: SQLite there, mail to the embedded server; nothing else touched."""
    os.environ.update(
        {
            "TONVINH_VAR_DIR": str(var_dir),
            "TONVINH_DATABASE_URL": "",
            "TONVINH_SMTP_HOST": "127.0.0.1",
            "TONVINH_SMTP_PORT": str(smtp_port),
            "TONVINH_SMTP_TLS": "none",
            "TONVINH_SMTP_USER": "",
        }
    )
    get_settings.cache_clear()
    clear_engines()


class DemoOutputs(BaseModel):
    """Where the demo left what a user opens."""

    mailbox: str
    decision_docx: str | None
    honourees_xlsx: str | None
    database: str
    inbox: str
    # The conference: the attendee list (with the programme) and the certificates' folder.
    attendees_xlsx: str | None = None
    certificates_dir: str | None = None


class DemoSummary(BaseModel):
    """What the sample campaign did, as `tonvinh demo --json` prints it."""

    campaign: str
    stage: str
    units: int
    nominations: int
    emails_sent: int
    reminders_sent: int
    escalations: int
    # What intake and review told the units: a receipt per stored list, and the letters on a
    # refused list or ineligible dossiers.
    receipts_sent: int
    refusals_sent: int
    # What the units did on the portal: lists accepted, lists refused with an error table, a
    # "no nominations" answer, and the deadlines the operator extended for late units.
    portal_uploads: int
    portal_rejections: int
    nil_returns: int
    deadline_extensions: int
    returned: int
    approved: int
    honourees: int
    budget_vnd: int
    outputs: DemoOutputs
    # The council's secret e-ballot: ballots received (by link and on paper), recusals, and the
    # vote-count minutes.
    ballots_cast: int = 0
    recusals: int = 0
    minutes_docx: str | None = None
    # The organising committee's plan for the conference: tasks done, tasks late.
    tasks_done: int = 0
    tasks_overdue: int = 0
    # The conference: invitees invited, and coming (in person or by a deputy) as it opens.
    invitations: int = 0
    rsvp_attending: int = 0
    mailbox_messages: int = 0
    seconds: float = 0.0


def run_demo(units: int = 40, show_progress: bool = True, seed: int = 2019) -> DemoSummary:
    started = time.perf_counter()
    logging.getLogger("prefect").setLevel(logging.WARNING)
    var_dir = (Path(get_settings().var_dir) / "demo").resolve()
    shutil.rmtree(var_dir, ignore_errors=True)
    (var_dir / "inbox").mkdir(parents=True)
    with MailboxServer(var_dir / "mailbox") as server:
        _configure(var_dir, server.port)
        upgrade()
        with running_portal() as portal_url:
            # The links in the emails (units', members', the leader's) open this portal.
            os.environ["TONVINH_SUBMISSION_BASE_URL"] = f"{portal_url}/nop"
            os.environ["TONVINH_APPROVAL_BASE_URL"] = f"{portal_url}/duyet"
            os.environ["TONVINH_BALLOT_BASE_URL"] = f"{portal_url}/phieu"
            get_settings.cache_clear()
            summary = _simulate(var_dir, units, seed, show_progress)
        summary.mailbox_messages = len(read_mailbox(var_dir / "mailbox"))
    summary.seconds = round(time.perf_counter() - started, 1)
    return summary


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock_time(hour, minute), tzinfo=VN_TZ)


def _simulate(var_dir: Path, unit_count: int, seed: int, show_progress: bool) -> DemoSummary:
    rnd = random.Random(seed)
    all_units = parse_units_csv(SAMPLE_UNITS.read_bytes(), SAMPLE_UNITS.name)[:unit_count]
    with session_scope() as session:
        upsert_units(session, all_units)
    plan_campaign(
        code=CAMPAIGN_CODE,
        year=2018,
        name="Biểu dương, tôn vinh điển hình tiên tiến ngành TT&TT năm 2018",
        conference_date=CONFERENCE,
        rule_pack="nd91-2017",
        now=_at(date(2019, 1, 21), 9),
    )
    with session_scope() as session:
        campaign = load_campaign(session, CAMPAIGN_CODE)
        calendar = calendar_for(session, campaign)
        choices = award_choices(campaign)
        plan: Campaign = campaign
    deadline = plan.submission_due
    wd = calendar.add_working_days

    # Who does what, decided up front so the run is reproducible.
    codes = [u.code for u in all_units]
    order = codes[:]
    rnd.shuffle(order)
    never, malformed, nil = order[0], order[1], order[2]
    returned = set(order[3:7])
    late = set(order[7:13])
    behaviours: dict[str, Behaviour] = {}
    names = {u.code: u.name for u in all_units}
    focal = {u.code: (u.focal_name, u.focal_email.lower()) for u in all_units}
    for code in codes:
        if code == never:
            behaviours[code] = Behaviour("never", None)
        elif code == nil:
            behaviours[code] = Behaviour("nil", wd(deadline, -4))
        elif code in late:
            behaviours[code] = Behaviour("late", wd(deadline, rnd.randint(1, 4)))
        elif code == malformed:
            behaviours[code] = Behaviour("malformed", wd(deadline, -3))
        else:
            kind = "returned" if code in returned else "on_time"
            behaviours[code] = Behaviour(kind, wd(deadline, -rnd.choice([0, 1, 3, 6])))
        if code != nil:
            behaviours[code].rows = _rows(rnd, names[code], defective=code in returned)

    review_rounds = [wd(deadline, 1), wd(deadline, 5), plan.review_due]
    reminder_days = [s.day for s in plan_ladder(deadline, calendar, ladder_config(get_settings()))]
    arrivals: dict[date, list[str]] = defaultdict(list)
    for code, behaviour in behaviours.items():
        if behaviour.submit_on is None:
            continue
        arrivals[behaviour.submit_on].append(code)
        if behaviour.kind == "malformed":
            arrivals[wd(behaviour.submit_on, 1)].append(code)
        if behaviour.kind == "returned":
            arrivals[wd(review_rounds[0], 2)].append(code)

    days = sorted({plan.dispatch_on, *reminder_days, *arrivals, *review_rounds, plan.council_on})
    steps: list[tuple[str, Callable[[], object]]] = []
    council_run: list[CloseRun] = []
    attempts: dict[str, int] = defaultdict(int)
    tally = PortalTally()

    def answer(day: date, code: str, link: str) -> None:
        """One unit's focal person at the portal, at 16:00 on ``day``."""
        behaviour = behaviours[code]
        attempts[code] += 1
        if behaviour.kind == "nil":
            say_no_nominations(link, focal[code][0], tally)
            return
        rows = behaviour.rows
        if behaviour.kind == "returned" and attempts[code] > 1:
            rows = fix_returned_claims(rows)
        spoil = behaviour.kind == "malformed" and attempts[code] == 1
        kept = var_dir / "inbox" / f"{code}_lan{attempts[code]}.xlsx"
        if send_list(link, choices, rows, kept, tally, spoil=spoil) == "closed":
            # Late: the list is closed; the unit calls the department, which extends its
            # deadline to today, and the unit uploads again.
            extend_deadline_flow(
                CAMPAIGN_CODE,
                code,
                day,
                reason="Đơn vị xin gia hạn qua điện thoại",
                actor=REVIEWER,
                now=_at(day, 15),
            )
            send_list(link, choices, rows, kept, tally)

    def arrive(day: date) -> None:
        links = latest_links(var_dir / "mailbox")
        clock.set_now(_at(day, 16))  # the portal's clock: the day the units answer
        try:
            for code in arrivals[day]:
                answer(day, code, links[focal[code][1]])
        finally:
            clock.set_now(None)

    for day in days:
        if day == plan.dispatch_on:
            steps.append(("Gửi công văn", partial(dispatch_call, CAMPAIGN_CODE, now=_at(day, 8))))
        if day in reminder_days:
            steps.append(("Nhắc hạn", partial(send_reminders, CAMPAIGN_CODE, now=_at(day, 8))))
        if day in arrivals:
            steps.append(("Tiếp nhận", partial(arrive, day)))
        if day in review_rounds:
            review = partial(review_nominations, CAMPAIGN_CODE, now=_at(day, 17), reviewer=REVIEWER)
            steps.append(("Thẩm định", review))
        if day == plan.council_on:
            steps.append(("Hội đồng", partial(_council, day, rnd, var_dir, council_run)))
    # The leader approves from the emailed link, on the portal (cli/demo_leader.py).
    approve = partial(
        approve_through_portal,
        CAMPAIGN_CODE,
        var_dir / "mailbox",
        "Đồng ý trình khen thưởng.",
        now=_at(plan.approval_due, 10),
    )
    steps.append(("Phê duyệt", approve))
    honour_result: dict[str, Any] = {}

    def honour() -> None:
        honoured = honour_campaign(CAMPAIGN_CODE, now=_at(wd(plan.approval_due, 1), 9))
        honour_result.update(honoured.model_dump(mode="json"))

    def sign() -> None:
        # The registry numbers the signed decision on the next working day; the invitations,
        # which quote the number, go then.
        signed_on = wd(plan.approval_due, 2)
        signed = sign_decision_flow(
            CAMPAIGN_CODE, DECISION_NUMBER, signed_on, now=_at(signed_on, 15)
        )
        honour_result.update(
            invitations=signed.invitations,
            decision_number=signed.decision_number,
            decision_date=signed.decision_date.isoformat(),
            signed=True,
        )

    steps.append(("Tôn vinh", honour))
    steps.append(("Ký quyết định", sign))
    ceremony: dict[str, Any] = {}

    def invite_to_conference() -> None:
        """Invitees answer from their links on the portal (cli/demo_ceremony)."""
        signed_on = wd(plan.approval_due, 2)
        held = run_ceremony_demo(var_dir / "mailbox", CAMPAIGN_CODE, signed_on, rnd)
        ceremony.update(invitations=held.invitations, rsvp_attending=held.rsvp_attending)
        ceremony["outputs"] = (
            held.attendees_xlsx,
            str(Path(held.attendees_xlsx).parent / "giay-khen"),
        )

    if guests_registered():
        steps.append(("Hội nghị", invite_to_conference))
    committee: dict[str, Any] = {}

    def prepare_conference() -> None:
        """The organising committee's plan: owners answer from their links (cli/demo_committee)."""
        plan_run = run_committee_demo(var_dir / "mailbox", CAMPAIGN_CODE)
        committee.update(tasks_done=plan_run.tasks_done, tasks_overdue=plan_run.tasks_overdue)

    if plan_owners_registered():
        steps.append(("Ban tổ chức", prepare_conference))
    with Progress(disable=not show_progress, transient=False) as progress:
        bar = progress.add_task("Đợt thi đua mẫu", total=len(steps))
        for label, step in steps:
            progress.update(bar, description=label)
            step()
            progress.advance(bar)
    summary = _summary(var_dir, honour_result, tally)
    council = council_fields(council_run[0] if council_run else None)
    attendees, certificates = ceremony.pop("outputs", (None, None))
    outputs = summary.outputs.model_copy(
        update={"attendees_xlsx": attendees, "certificates_dir": certificates}
    )
    return summary.model_copy(update=council | committee | ceremony | {"outputs": outputs})


def _council(day: date, rnd: random.Random, var_dir: Path, runs: list[CloseRun]) -> None:
    """Fifteen members vote by secret e-ballot through the portal (cli/demo_council.py)."""
    runs.append(council_through_portal(CAMPAIGN_CODE, day, var_dir / "mailbox", rnd, "Thư ký"))


REFUSAL_KINDS = (EmailKind.LIST_REJECTED, EmailKind.NOT_ELIGIBLE)


def _summary(var_dir: Path, honour_result: dict[str, Any], tally: PortalTally) -> DemoSummary:
    with session_scope() as session:
        campaign = load_campaign(session, CAMPAIGN_CODE)

        def count(statement: Any) -> int:
            return int(session.exec(statement).one())

        sent = select(func.count()).where(
            OutboxMessage.campaign_id == campaign.id, OutboxMessage.status == OutboxStatus.SENT
        )
        return DemoSummary(
            campaign=campaign.code,
            stage=str(campaign.stage),
            units=count(select(func.count()).where(CampaignUnit.campaign_id == campaign.id)),
            nominations=count(
                select(func.count()).where(
                    Nomination.campaign_id == campaign.id,
                    Nomination.status != NominationStatus.WITHDRAWN,
                )
            ),
            emails_sent=count(sent),
            reminders_sent=count(sent.where(col(OutboxMessage.kind).in_(REMINDER_KINDS[:2]))),
            escalations=count(sent.where(col(OutboxMessage.kind).in_(REMINDER_KINDS[2:]))),
            receipts_sent=count(sent.where(OutboxMessage.kind == EmailKind.RECEIPT)),
            refusals_sent=count(sent.where(col(OutboxMessage.kind).in_(REFUSAL_KINDS))),
            portal_uploads=tally.uploads,
            portal_rejections=tally.rejections,
            nil_returns=tally.nil_returns,
            deadline_extensions=tally.closed,
            returned=count(
                select(func.count(func.distinct(AuditEvent.entity_id))).where(
                    AuditEvent.campaign_id == campaign.id,
                    AuditEvent.entity == AuditEntity.NOMINATION,
                    AuditEvent.to_state == NominationStatus.RETURNED,
                )
            ),
            approved=count(
                select(func.count()).where(
                    AuditEvent.campaign_id == campaign.id,
                    AuditEvent.entity == AuditEntity.NOMINATION,
                    AuditEvent.action == "approval",
                    AuditEvent.to_state == NominationStatus.APPROVED,
                )
            ),
            honourees=honour_result.get("honourees", 0),
            budget_vnd=honour_result.get("budget_total", 0),
            outputs=DemoOutputs(
                mailbox=str(var_dir / "mailbox"),
                decision_docx=honour_result.get("decision_docx"),
                honourees_xlsx=honour_result.get("honourees_xlsx"),
                database=str(var_dir / "tonvinh.sqlite"),
                inbox=str(var_dir / "inbox"),
            ),
        )
