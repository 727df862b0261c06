"""The ballot page through a real uvicorn and the links the members' convocations carried:
one ballot per member (a double click, two requests at once), the receipt, recusal shown, CSRF,
the closed ballot, and who may open what (another member's link, a unit's link, none)."""

from __future__ import annotations

import threading

import httpx
from sqlmodel import func, select

from cli.demo_council import ballot_form, receipt_in
from models.ballot import BallotSheet, CouncilParticipation
from models.db import session_scope
from services.council_vote import close_voting
from tests.flows.conftest import CODE, at
from tests.portal.ballot_support import Voting, vote
from tests.portal.support import Portal, text_of


def _counts() -> tuple[int, int]:
    with session_scope() as session:
        roll = session.exec(select(func.count()).select_from(CouncilParticipation)).one()
        sheets = session.exec(select(func.count()).select_from(BallotSheet)).one()
    return int(roll), int(sheets)


def test_a_member_votes_once_and_gets_a_receipt(voting: Voting) -> None:
    with httpx.Client(timeout=30) as client:
        page = client.get(voting.links["ba"])
        assert "Phiếu bầu kín" in page.text and "Trần Ba" in page.text
        csrf, seed, fields = ballot_form(page.text)
        assert len(fields) == 4
        data = {"csrf": csrf, "seed": seed} | dict.fromkeys(fields, "1")
        first = client.post(voting.links["ba"], data=data)
        assert first.status_code == 200 and "Đã nhận phiếu bầu" in first.text
        receipt = receipt_in(first.text)
        assert receipt
        again = client.post(voting.links["ba"], data=data)  # the double click
        assert "đã được ghi nhận trước đó" in again.text and receipt_in(again.text) == receipt
        later = client.get(voting.links["ba"])
        assert "Đồng chí đã bỏ phiếu lúc" in later.text and 'name="d-' not in later.text
        checked = client.get(voting.links["ba"], params={"ma": receipt})
        assert "có trong các phiếu đã nhận" in text_of(checked)
    assert _counts() == (1, 1)


def test_two_posts_at_once_store_one_ballot(voting: Voting) -> None:
    with httpx.Client(timeout=30) as client:
        page = client.get(voting.links["bon"])
        csrf, seed, fields = ballot_form(page.text)
        data = {"csrf": csrf, "seed": seed} | dict.fromkeys(fields, "0")
        statuses: list[int] = []

        def send() -> None:
            statuses.append(client.post(voting.links["bon"], data=data).status_code)

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [200, 200]
    assert _counts() == (1, 1)


def test_an_incomplete_ballot_is_shown_again_and_nothing_is_stored(voting: Voting) -> None:
    with httpx.Client(timeout=30) as client:
        page = client.get(voting.links["nam"])
        csrf, seed, fields = ballot_form(page.text)
        answered = client.post(
            voting.links["nam"], data={"csrf": csrf, "seed": seed, fields[0]: "1"}
        )
    assert answered.status_code == 422 and "Chưa chọn Đồng ý" in answered.text
    assert _counts() == (0, 0)


def test_the_chair_is_recused_on_their_units_dossiers(voting: Voting) -> None:
    with httpx.Client(timeout=30) as client:
        page = client.get(voting.links["chair"])
        _csrf, _seed, fields = ballot_form(page.text)
        assert "không tham gia biểu quyết (cùng đơn vị)" in page.text
        assert len(fields) == 2  # the other unit's two dossiers only
        english = client.get(voting.links["chair"], params={"lang": "en"})
        assert "not voting (same unit)" in english.text
        assert vote(client, voting.links["chair"]).status_code == 200
    assert _counts() == (1, 1)


def test_a_post_without_the_forms_token_is_refused(voting: Voting) -> None:
    with httpx.Client(timeout=30) as client:
        page = client.get(voting.links["ba"])
        _csrf, seed, fields = ballot_form(page.text)
        forged = client.post(
            voting.links["ba"], data={"csrf": "0" * 64, "seed": seed} | dict.fromkeys(fields, "1")
        )
    with httpx.Client(timeout=30) as stranger:  # no cookie at all
        bare = stranger.post(voting.links["ba"], data=dict.fromkeys(fields, "1"))
    assert forged.status_code == 403 and bare.status_code == 403
    assert _counts() == (0, 0)


def test_who_may_open_what(voting: Voting, portal: Portal) -> None:
    """Each member's link opens their own ballot only; made-up tokens and the units' links are
    404 on /phieu/, and a ballot link is 404 on the units' and the leader's pages and opens
    nothing of the operator area."""
    with httpx.Client(timeout=30) as client:
        pages = {name: client.get(link).text for name, link in voting.links.items()}
        assert "Trần Ba" in pages["ba"] and "Nguyễn Bốn" not in pages["ba"]
        assert "Nguyễn Bốn" in pages["bon"] and "Trần Ba" not in pages["bon"]
        # One member's form token does not submit another member's ballot.
        csrf, seed, fields = ballot_form(pages["ba"])
        cross = client.post(
            voting.links["bon"], data={"csrf": csrf, "seed": seed} | dict.fromkeys(fields, "1")
        )
        assert cross.status_code == 403
        token = voting.links["ba"].rsplit("/", 1)[1]
        assert client.get(f"{portal.url}/phieu/{'A' * 43}").status_code == 404
        assert client.get(f"{portal.url}/nop/{token}/").status_code == 404
        # Nor is it the approving leader's: 404 on the leader's page, read or posted.
        assert client.get(f"{portal.url}/duyet/{token}/").status_code == 404
        assert client.post(f"{portal.url}/duyet/{token}/", data={}).status_code == 404
        # Nor a conference invitation's (/moi/).
        assert client.get(f"{portal.url}/moi/{token}/").status_code == 404
        assert client.get(f"{portal.url}/dieu-hanh/").status_code in (200, 401)
        assert "Trần Ba" not in client.get(f"{portal.url}/dieu-hanh/").text
    portal.reset_throttle()
    with session_scope() as session:
        from models.access import AccessToken

        assert session.exec(select(func.count()).select_from(AccessToken)).one() > 0
    assert _counts() == (0, 0)


def test_a_unit_link_does_not_open_a_ballot(voting: Voting, portal: Portal) -> None:
    from notifications.smtp_server import read_mailbox
    from tests.portal.support import LINK

    unit_links = [
        m.group(2)
        for message in read_mailbox(voting.mailbox)
        for m in LINK.finditer(str(message.get_body(preferencelist=("plain",)).get_content()))  # type: ignore[union-attr]
    ]
    assert unit_links
    with httpx.Client(timeout=30) as client:
        assert client.get(f"{portal.url}/phieu/{unit_links[0]}").status_code == 404
    portal.reset_throttle()


def test_a_closed_ballot_refuses(voting: Voting) -> None:
    with httpx.Client(timeout=30) as client:
        page = client.get(voting.links["nam"])
        csrf, seed, fields = ballot_form(page.text)
        for name in ("ba", "bon", "secretary", "chair"):
            assert vote(client, voting.links[name]).status_code == 200
        with session_scope() as session:
            close_voting(session, CODE, at(voting.council.voting_day, 10), "secretary")
        late = client.post(
            voting.links["nam"], data={"csrf": csrf, "seed": seed} | dict.fromkeys(fields, "1")
        )
        closed = client.get(voting.links["nam"])
    assert late.status_code == 409 and "không mở" in late.text
    assert "không mở" in closed.text and 'name="d-' not in closed.text
    assert _counts() == (4, 4)


def test_the_page_says_when_candidates_exceed_a_quota(voting: Voting) -> None:
    from services.campaigns import load_campaign

    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        campaign.quotas = {"CSTDCS": 2}
        session.add(campaign)
    with httpx.Client(timeout=30) as client:
        page = text_of(client.get(voting.links["ba"]))
    assert "4 hồ sơ cho 2 chỉ tiêu" in page


def test_the_ballot_token_never_reaches_the_logs() -> None:
    from portal.logs import redact

    line = '127.0.0.1:5000 - "POST /phieu/Abc-123_xyz HTTP/1.1" 200'
    assert redact(line) == '127.0.0.1:5000 - "POST /phieu/… HTTP/1.1" 200'
