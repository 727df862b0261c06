"""Scenario 4 — campaign: the whole pipeline at national scale against a real Prefect server.

    python -m tests.bench.bench_campaign [--units 10000] [--per-unit 5] [--clients 8]

``prefect server start`` on PostgreSQL (a database of its own, its own free port), the
product's database on PostgreSQL (a schema of its own), every email to an aiosmtpd server in
another process. Then, as ``cli/demo.py`` does for 40 units, a whole campaign: plan, the call
to every unit (with its own Excel template), the reminder ladder, simulated units uploading
their Excel lists through the portal as deployed (``tonvinh portal``, its own process; most
on time, some late after the department extended their deadline, some returned and
resubmitting, one malformed first and refused, some never), three review rounds, a 15-member
council (two vote in writing), leadership's approval answered through the flow's pause form,
and the honours.

Reported: wall time (the simulated units write their .xlsx files before the timer, in
parallel processes: that is the units' work, not the system's), peak RSS of this process
(which runs every flow) and of the portal, the portal's answers by status,
flow runs and task runs on the server, and "dropping message" lines in the server's log.

Ballots: 15 members x ~50,000 dossiers is ~750,000 votes. They cannot be a flow parameter (the
server stores parameters), so the simulated council secretary records them through the
product's own ``record_ballots`` service, in chunks, before the ``council-tally`` flow.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tests.bench import common, portal_client

MEMBERS = 15


@dataclass
class Behaviour:
    kind: str  # on_time | late | returned | malformed | never
    submit_on: date | None
    rows: list[Any] = field(default_factory=list)


def unit_rows(rnd: random.Random, unit_name: str, count: int, defective: bool) -> list[Any]:
    from models.nomination import InitiativeLevel

    rows = common.nomination_rows(rnd, unit_name, count)
    if defective:
        # Claims Chiến sĩ thi đua cấp Bộ with two years as CSTĐCS and a unit-level initiative:
        # the review returns it.
        rows[0] = rows[0].model_copy(
            update={
                "proposed_title": "CSTD_BO",
                "consecutive_base_years": 2,
                "initiative_level": InitiativeLevel.BASE,
            }
        )
    return rows


@dataclass
class ListJob:
    path: Path
    header: Any
    choices: Any
    rows: list[Any]
    typo: bool  # a hurried unit types a date as text: the portal refuses the file


def write_list(job: ListJob) -> None:
    """One unit's filled list, written in a worker process before the timer runs."""
    from openpyxl import load_workbook

    from documents.nomination_list import write_filled_list

    write_filled_list(job.path, job.header, job.choices, job.rows)
    if job.typo:
        book = load_workbook(job.path)
        book["Cá nhân"].cell(row=4, column=4).value = "12/05/1980"
        book.save(job.path)


def count_runs(api_url: str) -> dict[str, int]:
    import httpx

    counts = {}
    with httpx.Client(base_url=api_url, timeout=60) as client:
        for kind in ("flow_runs", "task_runs"):
            answer = client.post(f"/{kind}/count", json={})
            answer.raise_for_status()
            counts[kind] = int(answer.json())
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    quick = common.quick()
    parser.add_argument("--units", type=int, default=50 if quick else 10_000)
    parser.add_argument("--per-unit", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8, help="units uploading at once")
    parser.add_argument("--backend", default="postgresql", choices=["sqlite", "postgresql"])
    # As deploy/systemd/tonvinh.env.example sets them for a 2-core host.
    parser.add_argument("--portal-processes", type=int, default=2)
    parser.add_argument("--smtp-connections", type=int, default=4)
    args = parser.parse_args()
    common.prefect_quiet()
    os.environ["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] = os.environ.get(
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "30"
    )
    out: dict[str, Any] = {
        "scenario": "campaign",
        "units": args.units,
        "backend": args.backend,
        "portal_processes": args.portal_processes,
        "smtp_connections": args.smtp_connections,
    }
    with (
        common.scratch("campaign") as folder,
        common.SmtpSink() as sink,
        common.prefect_server(folder, args.backend) as server,
    ):
        os.environ["TONVINH_SMTP_PORT"] = str(sink.port)
        os.environ["TONVINH_SMTP_CONNECTIONS"] = str(args.smtp_connections)
        with common.database(args.backend, folder / "var"):
            result = run_campaign(folder, args, sink)
        out.update(result)
        out["prefect"] = count_runs(server.api_url)
        out["dropped_messages"] = server.dropped_messages()
        out["server_log_lines"] = sum(1 for _ in server.log_path.open(errors="replace"))
    out["machine"] = common.machine()
    out["targets"] = {
        "le_10min": out["seconds"] <= 600,
        "rss_le_1.5gb": out["peak_rss_mb"] <= 1536,
        "task_runs_le_500": out["prefect"]["task_runs"] <= 500,
        "no_dropped_events": out["dropped_messages"] == 0,
    }
    common.emit(out)


def simulated_ballots(nomination_id: int, members: list[Any], rnd: random.Random) -> list[Any]:
    """One dossier's votes: mostly unanimous, sometimes up to three against; the last two
    members are away and vote in writing."""
    from services.council import BallotInput

    against = rnd.choice([0, 0, 0, 1, 2, 3])
    return [
        BallotInput(
            nomination_id=nomination_id,
            member_name=member.name,
            in_favour=index >= against,
            in_writing=index in (13, 14),
        )
        for index, member in enumerate(members)
    ]


def run_campaign(folder: Path, args: argparse.Namespace, sink: common.SmtpSink) -> dict:
    from sqlmodel import col, func, select

    from cli.demo import fix_returned_claims
    from documents.nomination_list import ListHeader
    from flows.approve import ApprovalForm, approve_with
    from flows.council import council_tally
    from flows.dispatch import dispatch_call
    from flows.honour import honour_campaign, sign_decision_flow
    from flows.plan import plan_campaign
    from flows.remind import send_reminders
    from flows.review import review_nominations
    from models.campaign import Campaign
    from models.council import CouncilMemberCreate, CouncilRole
    from models.db import session_scope
    from models.nomination import Nomination, NominationStatus
    from models.outbox import OutboxMessage, OutboxStatus
    from models.rules.ladder import plan_ladder
    from models.settings import get_settings
    from models.unit import UnitCreate
    from services.campaigns import award_choices, calendar_for, ladder_config, load_campaign
    from services.council import BallotInput, record_ballots, register_council
    from services.units import extend_deadline, upsert_units

    rnd = random.Random(2019)
    inbox = folder / "inbox"
    inbox.mkdir()
    (folder / "portal").mkdir()
    stages: dict[str, float] = defaultdict(float)
    total = common.Timer()

    running = [total]  # the clocks to stop during the simulation's own work

    def timed(name: str, step: Callable[[], Any]) -> Any:
        timer = common.Timer()
        running.append(timer)
        value = step()
        running.remove(timer)
        stages[name] = round(stages[name] + timer(), 3)
        common.note(f"campaign: {name} {timer()}s (total {total()}s, rss {common.peak_rss_mb()})")
        return value

    @contextlib.contextmanager
    def untimed() -> Iterator[None]:
        for clock in running:
            clock.pause()
        try:
            yield
        finally:
            for clock in running:
                clock.resume()

    units = [UnitCreate.model_validate(row) for row in common.unit_rows(args.units)]

    def register() -> None:
        with session_scope() as session:
            upsert_units(session, units)

    timed("units", register)
    timed(
        "plan",
        lambda: plan_campaign(
            code=common.CAMPAIGN_CODE,
            year=2018,
            name=common.CAMPAIGN_NAME,
            conference_date=common.CONFERENCE,
            rule_pack="nd91-2017",
            now=common.at(common.PLANNED_ON, 9),
        ),
    )
    with session_scope() as session:
        plan: Campaign = load_campaign(session, common.CAMPAIGN_CODE)
        calendar = calendar_for(session, plan)
        choices = award_choices(plan)
    deadline = plan.submission_due
    wd = calendar.add_working_days

    codes = [u.code for u in units]
    names = {u.code: u.name for u in units}
    order = codes[:]
    rnd.shuffle(order)
    n = len(order)
    never = set(order[: max(1, n // 100)])  # 1% never answer
    malformed = {order[len(never)]}
    start = len(never) + 1
    returned = set(order[start : start + max(1, n * 3 // 100)])  # 3% returned once
    start += len(returned)
    late = set(order[start : start + max(1, n * 5 // 100)])  # 5% late
    behaviours: dict[str, Behaviour] = {}
    for code in codes:
        if code in never:
            behaviours[code] = Behaviour("never", None)
        elif code in late:
            behaviours[code] = Behaviour("late", wd(deadline, rnd.randint(1, 4)))
        elif code in malformed:
            behaviours[code] = Behaviour("malformed", wd(deadline, -3))
        else:
            kind = "returned" if code in returned else "on_time"
            behaviours[code] = Behaviour(kind, wd(deadline, -rnd.choice([0, 1, 3, 6])))
        behaviours[code].rows = unit_rows(
            rnd, names[code], args.per_unit, defective=code in returned
        )

    review_rounds = [wd(deadline, 1), wd(deadline, 5), plan.review_due]
    config = ladder_config(get_settings())
    reminder_days = [s.day for s in plan_ladder(deadline, calendar, config)]
    arrivals: dict[date, list[str]] = defaultdict(list)
    for code, behaviour in behaviours.items():
        if behaviour.submit_on is None:
            continue
        arrivals[behaviour.submit_on].append(code)
        if behaviour.kind == "malformed":
            arrivals[wd(behaviour.submit_on, 1)].append(code)
        if behaviour.kind == "returned":
            arrivals[wd(review_rounds[0], 2)].append(code)
    # The simulated units fill in their lists BEFORE the clock runs, in parallel processes:
    # that is the units' work, not the system's (timed apart, "units_write_xlsx_s"). On the
    # day each unit uploads its file through the portal, from the link its call carried.
    attempts: dict[str, int] = defaultdict(int)
    jobs: list[ListJob] = []
    sent_on: dict[date, list[tuple[str, Path]]] = defaultdict(list)
    for day in sorted(arrivals):
        for code in arrivals[day]:
            behaviour = behaviours[code]
            attempts[code] += 1
            rows = behaviour.rows
            if behaviour.kind == "returned" and attempts[code] > 1:
                rows = fix_returned_claims(rows)
            path = inbox / f"{code}_lan{attempts[code]}.xlsx"
            header = ListHeader(common.CAMPAIGN_CODE, plan.name, code, names[code], deadline)
            typo = behaviour.kind == "malformed" and attempts[code] == 1
            jobs.append(ListJob(path, header, choices, rows, typo))
            sent_on[day].append((code, path))
    with untimed():
        writing = common.Timer()
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(write_list, jobs, chunksize=32))
        units_write_s = writing()
        common.note(f"campaign: units wrote {len(jobs)} lists in {units_write_s}s")
    campaign_id = plan.id
    assert campaign_id is not None
    links: dict[str, str] = {}
    answers: Counter[int] = Counter()
    portal_rss: list[float] = []

    def arrive(day: date) -> None:
        """The day's units upload through the portal (running with the day as its clock); a
        late unit first has its deadline extended by the department, as it asked."""
        now = common.at(day, 10)
        if not links:
            links.update(portal_client.mint_links(campaign_id, common.at(plan.dispatch_on, 8)))
        late_today = [code for code, _path in sent_on[day] if behaviours[code].kind == "late"]
        if late_today:
            with session_scope() as session:
                for code in late_today:
                    extend_deadline(
                        session, common.CAMPAIGN_CODE, code, day,
                        reason="Đơn vị xin gia hạn", now=now, actor="Vụ TĐKT",
                    )  # fmt: skip
        # Starting the portal with the day's clock is the simulation's time travel: not timed.
        portal = contextlib.ExitStack()
        with untimed():
            base, pid = portal.enter_context(
                portal_client.portal_process(
                    {"TONVINH_NOW": now.isoformat()}, folder / "portal", args.portal_processes
                )
            )
        try:
            uploads = [(links[code], path, path.name) for code, path in sent_on[day]]
            for status, _latency in portal_client.upload_all(base, uploads, args.clients):
                answers[status] += 1
            portal_rss.append(portal_client.peak_rss_mb(pid))
        finally:
            with untimed():
                portal.close()

    members = [CouncilMemberCreate(name="Phan Tâm", role=CouncilRole.CHAIR)] + [
        CouncilMemberCreate(name=f"Thành viên {i:02d}") for i in range(2, MEMBERS + 1)
    ]

    def _record(ballots: list[BallotInput], now: datetime) -> None:
        with session_scope() as session:
            record_ballots(session, load_campaign(session, common.CAMPAIGN_CODE), ballots, now)

    def council(day: date) -> None:
        now = common.at(day, 14)
        with session_scope() as session:
            register_council(
                session, load_campaign(session, common.CAMPAIGN_CODE), members, now, "thư ký"
            )
        with session_scope() as session:
            eligible = session.exec(
                select(Nomination.id).where(
                    Nomination.campaign_id == plan.id,
                    Nomination.status == NominationStatus.ELIGIBLE,
                )
            ).all()
        chunk: list[BallotInput] = []
        for nomination_id in eligible:
            assert nomination_id is not None
            chunk += simulated_ballots(nomination_id, members, rnd)
            if len(chunk) >= 60_000:
                _record(chunk, now)
                chunk = []
        if chunk:
            _record(chunk, now)
        council_tally(common.CAMPAIGN_CODE, members, [], now=now)

    days = sorted({plan.dispatch_on, *reminder_days, *arrivals, *review_rounds, plan.council_on})
    for day in days:
        if day == plan.dispatch_on:
            timed(
                "dispatch", lambda d=day: dispatch_call(common.CAMPAIGN_CODE, now=common.at(d, 8))
            )
        if day in reminder_days:
            timed(
                "reminders",
                lambda d=day: send_reminders(common.CAMPAIGN_CODE, now=common.at(d, 8)),
            )
        if day in arrivals:
            timed("intake", lambda d=day: arrive(d))
        if day in review_rounds:
            timed(
                "review",
                lambda d=day: review_nominations(
                    common.CAMPAIGN_CODE, now=common.at(d, 17), reviewer="Chuyên viên Vụ TĐKT"
                ),
            )
        if day == plan.council_on:
            timed("council", lambda d=day: council(d))
    approval = ApprovalForm(
        approver="Phan Tâm (Thứ trưởng, Trưởng Ban tổ chức)", comment="Đồng ý trình khen thưởng."
    )
    timed(
        "approval",
        lambda: approve_with(common.CAMPAIGN_CODE, approval, now=common.at(plan.approval_due, 10)),
    )
    honour = timed(
        "honour",
        lambda: honour_campaign(common.CAMPAIGN_CODE, now=common.at(wd(plan.approval_due, 1), 9)),
    )
    # The decision is a draft until signed; signing sends the invitations and closes.
    signed_on = wd(plan.approval_due, 2)
    timed(
        "sign",
        lambda: sign_decision_flow(
            common.CAMPAIGN_CODE, "125/QĐ-BTTTT", signed_on, now=common.at(signed_on, 15)
        ),
    )
    seconds = total()
    with session_scope() as session:
        by_status = dict(
            session.exec(
                select(Nomination.status, func.count())
                .where(Nomination.campaign_id == plan.id)
                .group_by(Nomination.status)  # type: ignore[arg-type]
            ).all()
        )
        emails = dict(
            session.exec(
                select(OutboxMessage.status, func.count()).group_by(  # type: ignore[arg-type]
                    OutboxMessage.status
                )
            ).all()
        )
        kinds = dict(
            session.exec(
                select(OutboxMessage.kind, func.count())
                .where(col(OutboxMessage.status) == OutboxStatus.SENT)
                .group_by(OutboxMessage.kind)  # type: ignore[arg-type]
            ).all()
        )
    return {
        "seconds": seconds,
        "portal_answers": {str(k): v for k, v in sorted(answers.items())},
        "portal_peak_rss_mb": max(portal_rss, default=0.0),
        "units_write_xlsx_s": units_write_s,
        "seconds_with_units_xlsx": round(seconds + units_write_s, 3),
        "peak_rss_mb": common.peak_rss_mb(),
        "stages_s": dict(stages),
        "lists_submitted": len(jobs),
        "nominations_by_status": {str(k): v for k, v in by_status.items()},
        "emails_by_status": {str(k): v for k, v in emails.items()},
        "emails_sent_by_kind": kinds,
        "smtp_received": sink.stats()["received"],
        "honourees": honour.honourees,
        "budget_vnd": honour.budget_total,
    }


if __name__ == "__main__":
    main()
