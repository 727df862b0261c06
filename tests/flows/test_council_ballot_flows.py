"""The scheduler's council job over real flow runs: a working day before the close it reminds
only the member who has not voted (through the real SMTP server); after the end of the meeting
day it closes the ballot (the council-close flow: tally, minutes, result emails); once closed,
there is nothing left for it to do."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flows.council_ballot import council_ballot_job
from models import clock
from models.db import session_scope
from notifications.smtp_server import MailboxServer, read_mailbox
from services.ballot import ballot_nominations, cast_ballot
from services.campaigns import calendar_for, load_campaign
from tests.flows.conftest import CODE, at
from tests.service_layer.council_setup import ballot_links, ready_council


def test_the_deadline_closes_and_the_day_before_reminds(
    database: str, mail_server: MailboxServer, prefect_server: None, tmp_path: Path
) -> None:
    council = ready_council(tmp_path)
    links = ballot_links()
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        dossiers = [n.id or 0 for n, _ in ballot_nominations(session, campaign.id or 0)]
        day_before = calendar_for(session, campaign).add_working_days(council.council_on, -1)
    for name in ("Trần Ba", "Nguyễn Bốn", "Lê Thư Ký", "Phan Tâm"):
        _token, link = links[name]
        mine = {d: True for d in dossiers}
        if name == "Phan Tâm":  # recused on their own unit's two dossiers
            mine = dict(list(mine.items())[2:])
        with session_scope() as session:
            cast_ballot(session, link, mine, set(), name, at(council.voting_day, 9))
    try:
        clock.set_now(at(day_before, 9))
        assert council_ballot_job() == {"closed": [], "reminded": [CODE]}
        reminders = [
            m for m in read_mailbox(mail_server.mailbox_dir) if "Nhắc bỏ phiếu" in str(m["Subject"])
        ]
        assert [str(m["To"]).rsplit("<", 1)[-1].rstrip(">") for m in reminders] == [
            "do.nam@example.gov.vn"
        ]
        clock.set_now(at(council.council_on, 23) + timedelta(hours=1, minutes=30))
        assert council_ballot_job() == {"closed": [CODE], "reminded": []}
        assert council_ballot_job() == {"closed": [], "reminded": []}
    finally:
        clock.set_now(None)
    with session_scope() as session:
        assert str(load_campaign(session, CODE).stage) == "approval"
    results = [
        m
        for m in read_mailbox(mail_server.mailbox_dir)
        if "Kết quả kiểm phiếu" in str(m["Subject"])
    ]
    assert len(results) == 5
