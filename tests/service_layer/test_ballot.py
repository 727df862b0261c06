"""The council's secret e-ballot through the services: convocation, one ballot per member, the
secrecy of what is stored, recusals, paper ballots, the close (idempotent) and its minutes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import text
from sqlmodel import func, select

from documents.nomination_list import SubmissionRejected
from models.ballot import BallotSheet, CouncilParticipation, CouncilRecusal, RecusalReason
from models.council import CouncilMember, CouncilMemberCreate, CouncilRole
from models.db import session_scope
from models.outbox import EmailKind, OutboxMessage
from services.ballot import (
    AlreadyVoted,
    BallotLink,
    VotingClosed,
    ballot_nominations,
    cast_ballot,
    one_ballot_at_a_time,
    receipt_recorded,
)
from services.campaigns import load_campaign
from services.council import hold_council
from services.council_members import parse_members_csv
from services.council_vote import close_voting, enter_paper_ballots
from services.documents import list_documents
from services.errors import OperatorError
from tests.flows.conftest import CODE, at
from tests.service_layer.council_setup import ballot_links, ready_council, table_columns


def _dossiers() -> list[int]:
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        return [n.id or 0 for n, _ in ballot_nominations(session, campaign.id or 0)]


def _vote(link: BallotLink, when: object, agree: bool = True, seed: str = "s") -> str:
    with session_scope() as session:
        return cast_ballot(
            session,
            link,
            dict.fromkeys(_dossiers(), agree),
            set(),
            seed,
            when,  # type: ignore[arg-type]
        )


def test_convocation_queues_each_member_the_pack_and_a_link(database: str, tmp_path: Path) -> None:
    ready_council(tmp_path)
    with session_scope() as session:
        rows = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == EmailKind.COUNCIL_CONVOCATION)
        ).all()
        recusals = session.exec(select(CouncilRecusal)).all()
    assert len(rows) == 5
    assert all(r.link_member_id and r.attachments for r in rows)
    assert all("LIEN-KET-RIENG-DUOC-TAO-KHI-GUI" in r.text_body for r in rows)  # no token
    assert {r.reason for r in recusals} == {RecusalReason.SAME_UNIT} and len(recusals) == 2


def test_what_is_stored_cannot_be_joined_to_the_member(database: str, tmp_path: Path) -> None:
    council = ready_council(tmp_path)
    links = ballot_links()
    for name in ("Trần Ba", "Nguyễn Bốn", "Đỗ Năm"):
        _vote(links[name][1], at(council.voting_day, 9), seed=name)
    sheet_columns = set(table_columns("ballotsheet"))
    choice_columns = set(table_columns("ballotchoice"))
    assert sheet_columns == {"id", "campaign_id", "receipt", "in_writing"}
    assert choice_columns == {"id", "sheet_id", "nomination_id", "in_favour"}
    with session_scope() as session:
        keys = session.exec(select(BallotSheet.id)).all()
        if database.startswith("sqlite"):
            # No hidden ascending rowid that would keep the order of arrival.
            with pytest.raises(Exception, match="rowid"):
                session.exec(text("SELECT rowid FROM ballotsheet")).all()  # type: ignore[call-overload]
    assert all(len(k) == 32 and int(k, 16) >= 0 for k in keys)
    assert len(set(keys)) == 3


def test_ballot_order_does_not_follow_arrival(database: str, tmp_path: Path) -> None:
    """The only order the sheets have is their random key's (UUID4): on SQLite the table is
    stored in key order (no rowid), and the close stores every sheet again under a new key
    (so on PostgreSQL the physical place and inserting transaction are the close's)."""
    import uuid

    from services.council_vote import close_voting

    council = ready_council(tmp_path)
    links = ballot_links()
    for name in ["Trần Ba", "Nguyễn Bốn", "Đỗ Năm", "Lê Thư Ký"]:
        _vote(links[name][1], at(council.voting_day, 9), seed=name)
    with session_scope() as session:
        scanned = list(session.exec(select(BallotSheet.id)).all())
    assert all(uuid.UUID(key).version == 4 for key in scanned)
    if database.startswith("sqlite"):
        assert scanned == sorted(scanned)  # stored by the random key, not by arrival
    with session_scope() as session:
        close_voting(session, CODE, at(council.voting_day, 12), "secretary")
    with session_scope() as session:
        after = set(session.exec(select(BallotSheet.id)).all())
        receipts = set(session.exec(select(BallotSheet.receipt)).all())
    assert len(after) == 4 and not after & set(scanned)
    assert len(receipts) == 4  # the receipts the members hold survive the re-store


def test_one_ballot_per_member_even_at_once(database: str, tmp_path: Path) -> None:
    council = ready_council(tmp_path)
    links = ballot_links()
    link = links["Trần Ba"][1]
    results: list[str] = []

    def click() -> None:
        try:
            with one_ballot_at_a_time(link.member_id):
                results.append(_vote(link, at(council.voting_day, 9), seed="same-form"))
        except AlreadyVoted:
            results.append("already")

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("already") == 1 and len(results) == 2
    with pytest.raises(AlreadyVoted):
        _vote(link, at(council.voting_day, 10))
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(CouncilParticipation)).one() == 1
        assert session.exec(select(func.count()).select_from(BallotSheet)).one() == 1


def test_an_incomplete_ballot_is_refused_and_recused_dossiers_are_skipped(
    database: str, tmp_path: Path
) -> None:
    council = ready_council(tmp_path)
    links = ballot_links()
    chair = links["Phan Tâm"][1]
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        mine = [n.id for n, u in ballot_nominations(session, campaign.id or 0)
                if u.code != council.first_unit]  # fmt: skip
    with pytest.raises(OperatorError) as refused, session_scope() as session:
        cast_ballot(session, chair, {mine[0]: True}, set(), "x", at(council.voting_day, 9))
    assert refused.value.code == "ballot_incomplete" and "Chưa chọn" in refused.value.vi
    with session_scope() as session:
        receipt = cast_ballot(
            session, chair, dict.fromkeys(mine, True), set(), "x", at(council.voting_day, 9)
        )
    with session_scope() as session:
        assert receipt_recorded(session, load_campaign(session, CODE).id or 0, receipt)


def test_close_tallies_writes_minutes_that_match_and_is_idempotent(
    database: str, tmp_path: Path
) -> None:
    council = ready_council(tmp_path)
    links = ballot_links()
    dossiers = _dossiers()
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        chair_unit = [n.id for n, u in ballot_nominations(session, campaign.id or 0)
                      if u.code == council.first_unit]  # fmt: skip
    for name in ("Trần Ba", "Nguyễn Bốn", "Lê Thư Ký"):
        _vote(links[name][1], at(council.voting_day, 9), seed=name)
    with session_scope() as session:
        cast_ballot(
            session,
            links["Phan Tâm"][1],
            {d: True for d in dossiers if d not in chair_unit},
            set(),
            "chair",
            at(council.voting_day, 9),
        )
    paper = "member,nomination_id,choice\n" + "".join(
        f"Đỗ Năm,{d},{'không đồng ý' if i == 0 else 'đồng ý'}\n" for i, d in enumerate(dossiers)
    )
    with session_scope() as session:
        assert (
            enter_paper_ballots(
                session, CODE, paper.encode(), "giay.csv", at(council.voting_day, 10), "secretary"
            )
            == 1
        )
    with session_scope() as session:
        result = close_voting(session, CODE, at(council.voting_day, 11), "secretary")
    assert result.closed_now and result.ballots_cast == 5 and result.recusals == 2
    summary = result.summary
    assert summary is not None and summary.quorum_met and summary.members_voting == 5
    document = Document(result.minutes_docx)
    counts = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert counts["Tổng số thành viên Hội đồng"] == "5"
    assert counts["Số thành viên tham gia bỏ phiếu"] == "5"
    assert counts["Trong đó bỏ phiếu bằng văn bản"] == "1"
    assert counts["Số phiếu thu về"] == "5" and counts["Số phiếu hợp lệ"] == "5"
    table = [[c.text for c in row.cells] for row in document.tables[1].rows[1:]]
    assert len(table) == len(summary.rows)
    for row, tallied in zip(table, summary.rows, strict=True):
        assert row[1] == tallied.full_name
        assert row[4] == f"{tallied.votes_in_favour}/{tallied.members_total}"
        assert row[8] == ("Đạt" if tallied.selected else "Không đạt")
    # The chair's unit's dossiers: 4 in favour of 4 voting (the chair is out of the denominator).
    assert {r.members_total for r in summary.rows if r.nomination_id in chair_unit} == {4}
    # Both minutes are kept for the operator's documents area, whichever host wrote them.
    with session_scope() as session:
        kept = {d.file_name: d.kind for d in list_documents(session, CODE)}
    assert kept["bien-ban-kiem-phieu.docx"] == kept["bien-ban-hop-hoi-dong.docx"] == "minutes"
    with session_scope() as session:
        again = close_voting(session, CODE, at(council.voting_day, 12), "secretary")
    assert not again.closed_now
    with pytest.raises(VotingClosed), session_scope() as session:
        cast_ballot(session, links["Đỗ Năm"][1], {}, set(), "late", at(council.voting_day, 13))


def test_a_tally_without_quorum_saves_no_member(database: str, tmp_path: Path) -> None:
    """Today's typed path: members and no ballots, so no quorum: neither is kept."""
    ready_council(tmp_path, convene_it=False, members=False)
    before = 0
    members = [
        CouncilMemberCreate(name="Người Mới", role=CouncilRole.CHAIR),
        CouncilMemberCreate(name="Người Thứ Hai"),
    ]
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        summary = hold_council(session, CODE, members, [], at(campaign.council_on, 14), "op")
    assert not summary.quorum_met
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(CouncilMember)).one() == before


def test_member_csv_errors_name_row_and_column() -> None:
    data = (
        "name,position,unit_code,email,role\n"
        "Phan Tâm,Thứ trưởng,,chu.tich@example.gov.vn,chair\n"
        "Lê Hai,,XYZ,khong-phai-email,member\n"
        "Trần Ba,,,ba@example.gov.vn,giám đốc\n"
    ).encode()
    with pytest.raises(SubmissionRejected) as refused:
        parse_members_csv(data, "hoi-dong.csv", {"CVT"})
    text_ = "\n".join(refused.value.lines())
    assert "unit_code" in text_ and "XYZ" in text_
    assert "Địa chỉ email không hợp lệ" in text_
    assert "Vai trò phải là" in text_


def test_the_reminder_goes_to_non_voters_only_and_names_nobody_else(
    database: str, tmp_path: Path
) -> None:
    from services.council_vote import remind_non_voters

    council = ready_council(tmp_path)
    links = ballot_links()
    for name in ("Trần Ba", "Nguyễn Bốn"):
        _vote(links[name][1], at(council.voting_day, 9), seed=name)
    with session_scope() as session:
        early = remind_non_voters(session, CODE, at(council.voting_day, 10))
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        from services.campaigns import calendar_for

        day_before = calendar_for(session, campaign).add_working_days(council.council_on, -1)
    with session_scope() as session:
        queued = remind_non_voters(session, CODE, at(day_before, 8))
    with session_scope() as session:
        again = remind_non_voters(session, CODE, at(day_before, 9))  # once per member
        rows = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == EmailKind.COUNCIL_REMINDER)
        ).all()
    assert (early, queued, again) == (0 if day_before > council.voting_day else 3, 3, 0)
    names = {"Phan Tâm", "Lê Thư Ký", "Đỗ Năm"}
    assert {r.to_addrs[0].split("<")[1].rstrip(">") for r in rows} == {
        "chu.tich@example.gov.vn",
        "thu.ky@example.gov.vn",
        "do.nam@example.gov.vn",
    }
    for row in rows:
        others = names | {"Trần Ba", "Nguyễn Bốn"}
        mentioned = {n for n in others if n in row.text_body}
        assert len(mentioned) == 1 and row.link_member_id is not None


@pytest.mark.slow  # the real `tonvinh` in a child process: run by `make test`, not test-fast
def test_the_secretary_imports_members_from_the_command_line(database: str, tmp_path: Path) -> None:
    """`tonvinh council members import`: a bad file is refused whole, row and column named in
    Vietnamese (exit 2); a good one is saved; `tonvinh council CODE …` is still the typed tally."""
    from tests import launcher
    from tests.service_layer.conftest import plan_and_call, unit_codes
    from tests.service_layer.council_setup import members_csv

    plan_and_call()
    bad = tmp_path / "bad.csv"
    bad.write_text("name,position,unit_code,email,role\nAn,,,an@example.gov.vn,sếp\n")
    refused = launcher.run("council", "members", "import", CODE, str(bad))
    assert refused.returncode == 2
    assert "Vai trò phải là" in refused.stderr and "role" in refused.stderr
    good = tmp_path / "hoi-dong.csv"
    good.write_bytes(members_csv(unit_codes()[0]))
    saved = launcher.run("council", "members", "import", CODE, str(good), "--json")
    assert saved.returncode == 0, saved.stderr
    assert '"added": 5' in saved.stdout
    typed = launcher.run("council", CODE, "--help")
    assert "tonvinh council tally" in typed.stdout
