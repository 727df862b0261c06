"""Scenario 3 — status: the per-unit progress of a national campaign, on SQLite and PostgreSQL.

    python -m tests.bench.bench_status [--units 10000] [--nominations 50000] [--runs 7]

Seeds (in bulk, not measured) last year's campaign with every unit enrolled, then this year's
with ``--units`` units, 60% of them submitted, ``--nominations``
nominations in a realistic mix of statuses, a call per unit and a reminder per unit behind in
the outbox (real rendered bodies). Then times ``services.status.campaign_status`` — the query
behind ``tonvinh status`` and the units table artifact — ``--runs`` times on each backend,
prints the median, and the query plans (EXPLAIN QUERY PLAN / EXPLAIN) of its SQL statements.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.bench import common

STATUS_MIX = [  # (status, weight): mid-review, most eligible, some returned, a few withdrawn
    ("submitted", 30),
    ("eligible", 55),
    ("returned", 8),
    ("ineligible", 3),
    ("withdrawn", 4),
]


def seed(units: int, nominations: int) -> tuple[Any, datetime]:
    from sqlalchemy import insert
    from sqlmodel import select

    from models.campaign import CampaignUnit
    from models.db import session_scope
    from models.nomination import Nomination, NominationStatus, Submission
    from models.outbox import OutboxMessage, OutboxStatus
    from models.rules.ladder import Audience
    from models.settings import get_settings
    from models.unit import Unit
    from notifications.outbox import key_for
    from notifications.render import render_email
    from services.campaigns import calendar_for
    from services.letters import recipients, unit_context

    campaign = common.plan(units)
    previous_year(units)
    submitted = common.mark_called_and_submitted(campaign, 0.6)
    rnd = random.Random(5)
    settings = get_settings()
    received = common.at(campaign.submission_due, 10)
    with session_scope() as session:
        calendar = calendar_for(session, campaign)
        parts = session.exec(
            select(CampaignUnit, Unit).join(Unit).where(CampaignUnit.campaign_id == campaign.id)
        ).all()
        by_unit = {unit.id: (part, unit) for part, unit in parts}
        ids = sorted(submitted)
        session.execute(
            insert(Submission),
            [
                {
                    "campaign_id": campaign.id,
                    "unit_id": unit_id,
                    "file_name": f"{by_unit[unit_id][1].code}.xlsx",
                    "sha256": f"{unit_id:064x}",
                    "received_at": received,
                    "row_count": 0,
                    "submitted_by": "unit",
                }
                for unit_id in ids
            ],
        )
        submission_of = dict(
            session.exec(
                select(Submission.unit_id, Submission.id).where(
                    Submission.campaign_id == campaign.id
                )
            ).all()
        )
        statuses = [NominationStatus(s) for s, _ in STATUS_MIX]
        weights = [w for _, w in STATUS_MIX]
        rows: list[dict[str, Any]] = []
        for number in range(nominations):
            unit_id = ids[number % len(ids)]
            unit = by_unit[unit_id][1]
            nominee = common.nomination_rows(rnd, unit.name, 1 + number % 5)[-1]
            values = nominee.model_dump(exclude={"row_number"})
            values.update(
                campaign_id=campaign.id,
                unit_id=unit_id,
                submission_id=submission_of[unit_id],
                nominee_key=f"{nominee.kind}|{nominee.full_name.casefold()}|{number}",
                row_number=4 + number // len(ids),
                status=rnd.choices(statuses, weights)[0],
                created_at=received,
                updated_at=received,
            )
            rows.append(values)
            if len(rows) == 5000:
                session.execute(insert(Nomination), rows)
                rows = []
        if rows:
            session.execute(insert(Nomination), rows)
        # The outbox: the call to every unit, and this morning's reminder to every unit behind.
        moment = common.at(campaign.dispatch_on, 8)
        outbox: list[dict[str, Any]] = []
        for kind, tier, wanted in (("call", 0, None), ("reminder", 1, False)):
            first = next(iter(by_unit.values()))
            context = unit_context(campaign, first[1], first[0], calendar, moment, settings)
            rendered = render_email(kind, context | {"tier": tier, "max_reminders": 6})
            for unit_id, (_part, unit) in by_unit.items():
                if wanted is not None and (unit_id in submitted) != wanted:
                    continue
                to, cc = recipients(Audience.FOCAL, unit, settings)
                outbox.append(
                    {
                        "idempotency_key": key_for(campaign.id, unit_id, kind, tier),
                        "campaign_id": campaign.id,
                        "unit_id": unit_id,
                        "kind": kind,
                        "tier": tier,
                        "to_addrs": to,
                        "cc_addrs": cc,
                        "subject": rendered.subject,
                        "text_body": rendered.text,
                        "html_body": rendered.html,
                        "message_id": f"<{kind}.{unit_id}@example.gov.vn>",
                        "status": OutboxStatus.SENT,
                        "attempts": 1,
                        "next_attempt_at": moment,
                        "last_error": None,
                        "recipient_results": {},
                        "created_at": moment,
                        "sent_at": moment,
                    }
                )
                if len(outbox) == 2000:
                    session.execute(insert(OutboxMessage), outbox)
                    outbox = []
        if outbox:
            session.execute(insert(OutboxMessage), outbox)
    analyze()
    now = common.at(calendar.add_working_days(campaign.submission_due, -1), 9)
    return campaign, now


def previous_year(units: int) -> None:
    """Last year's campaign with every unit enrolled: the database of a system in its second
    year, so the unit list of one campaign is a part of ``campaignunit``, not all of it."""
    from datetime import date

    from models.campaign import CampaignCreate
    from models.db import session_scope
    from models.rules.deadlines import PlanOffsets
    from services.plan import create_campaign, enrol_units

    spec = CampaignCreate(
        code="tdkt-2017",
        year=2017,
        name="Biểu dương, tôn vinh điển hình tiên tiến năm 2017",
        rule_pack="nd91-2017",
        titles_on_offer=[],
        quotas={},
        conference_date=date(2018, 3, 30),
    )
    now = common.at(date(2018, 1, 22), 9)
    with session_scope() as session:
        campaign_id, _ = create_campaign(session, spec, PlanOffsets(), now, "bench")
        enrol_units(session, campaign_id, now, "bench")


def analyze() -> None:
    """Fresh statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) would leave
    them on a live system; VACUUM also sets PostgreSQL's visibility map for index-only scans."""
    from models.db import get_engine

    engine = get_engine()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        sql = "ANALYZE" if engine.dialect.name == "sqlite" else "VACUUM ANALYZE"
        connection.exec_driver_sql(sql)


def _statements(campaign_id: int) -> list[tuple[str, Any]]:
    """The SQL statements campaign_status runs, to show their plans."""
    from services.status import progress_statements

    return progress_statements(campaign_id)


def explain(campaign_id: int) -> list[dict[str, Any]]:
    from sqlalchemy.dialects import postgresql, sqlite

    from models.db import session_scope

    plans = []
    with session_scope() as session:
        connection = session.connection()
        dialect_name = connection.dialect.name
        dialect = sqlite.dialect() if dialect_name == "sqlite" else postgresql.dialect()
        for name, statement in _statements(campaign_id):
            compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
            sql = str(compiled)
            prefix = "EXPLAIN QUERY PLAN " if dialect_name == "sqlite" else "EXPLAIN "
            rows = connection.exec_driver_sql(prefix + sql).all()
            lines = [str(row[-1]) for row in rows]
            plans.append({"query": name, "plan": lines})
    return plans


def measure(runs: int, campaign_code: str, now: datetime) -> dict[str, Any]:
    from models.db import session_scope
    from services.status import campaign_status

    times = []
    status = None
    for _ in range(runs):
        timer = common.Timer()
        with session_scope() as session:
            status = campaign_status(session, campaign_code, now)
        times.append(timer())
    assert status is not None
    return {
        "median_s": round(statistics.median(times), 4),
        "min_s": min(times),
        "max_s": max(times),
        "runs": times,
        "rows": len(status.rows),
        "nominations": status.nominations,
        "submitted": status.submitted,
        "emails_sent": status.emails_sent,
    }


def run_backend(kind: str, folder: Path, units: int, nominations: int, runs: int) -> dict:
    with common.database(kind, folder / kind):
        timer = common.Timer()
        campaign, now = seed(units, nominations)
        common.note(f"status[{kind}]: seeded in {timer()}s")
        result = measure(runs, campaign.code, now)
        result["plans"] = explain(campaign.id)
        result["plans_use_indexes"] = all(_uses_index(kind, p["plan"]) for p in result["plans"])
    return result


def _uses_index(kind: str, plan: list[str]) -> bool:
    text = " ".join(plan).upper()
    if kind == "sqlite":
        # Every table access is a SEARCH by an index (a SCAN of a whole table is not; a SCAN
        # of a subquery's own rows, SQLAlchemy's ``anon_N``, reads no table).
        scans = [
            line
            for line in plan
            if line.upper().startswith("SCAN")
            and "INDEX" not in line
            and not line.split()[1].startswith("anon_")
        ]
        return "INDEX" in text and not scans
    # The status lists every unit of the campaign, one row each: reading ``unit`` and
    # ``campaignunit`` whole is the plan (the bench has one campaign, so no index can narrow
    # them); the large tables summed per unit (dossiers, emails) must be read by an index.
    whole = set(re.findall(r"SEQ SCAN ON (\w+)", text)) - {"UNIT", "CAMPAIGNUNIT"}
    return "INDEX" in text and not whole


def main() -> None:
    parser = argparse.ArgumentParser()
    quick = common.quick()
    parser.add_argument("--units", type=int, default=1000 if quick else 10_000)
    parser.add_argument("--nominations", type=int, default=5000 if quick else 50_000)
    parser.add_argument("--runs", type=int, default=5 if quick else 7)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    out: dict[str, Any] = {
        "scenario": "status",
        "units": args.units,
        "nominations": args.nominations,
    }
    with common.scratch("status") as folder:
        for kind in args.backends.split(","):
            out[kind] = run_backend(kind, folder, args.units, args.nominations, args.runs)
    out["peak_rss_mb"] = common.peak_rss_mb()
    out["machine"] = common.machine()
    out["targets"] = {
        f"{kind}_le_0.2s": out[kind]["median_s"] <= 0.2 for kind in args.backends.split(",")
    } | {
        f"{kind}_plans_use_indexes": out[kind]["plans_use_indexes"]
        for kind in args.backends.split(",")
    }
    common.emit(out)


if __name__ == "__main__":
    main()
