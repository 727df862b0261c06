"""A portal that cannot reach Prefect (no ``PREFECT_API_URL``: `tonvinh portal` started alone)
tells the leader to approve in the Prefect UI, instead of failing or pretending: it would
otherwise start a throwaway Prefect server of its own that knows no run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from cli.demo_leader import leader_links
from models.db import session_scope
from models.settings import get_settings
from notifications.smtp_server import MailboxServer
from services.campaigns import load_campaign
from services.leadership import invite_leader
from services.mail import deliver_and_report
from services.units import import_units
from tests.flows.conftest import SAMPLE, at
from tests.portal.leader_support import NAMES, UNITS, sample_unit_codes, to_approval
from tests.portal.support import portal_subprocess

CODE = "tdkt-2018"


@pytest.fixture
def lone_portal(database: str, tmp_path: Path) -> Iterator[str]:
    """`tonvinh portal` in its own process, on the test's database, with no Prefect API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "TONVINH_DATABASE_URL": database}
    with portal_subprocess(env) as (url, _process):
        yield url


def test_without_prefect_the_page_says_to_use_the_prefect_ui(
    lone_portal: str,
    mail_server: MailboxServer,
    prefect_server: None,  # this process's events (the flows' sink) go to the test server
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("TONVINH_APPROVAL_BASE_URL", f"{lone_portal}/duyet")
    get_settings.cache_clear()
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[: UNITS + 1]
    with session_scope() as session:
        data = ("\n".join(lines) + "\n").encode()
        import_units(session, data, "u.csv", now=at(date(2019, 1, 18)), actor="test")
    to_approval(tmp_path, CODE, sample_unit_codes(), NAMES)
    with session_scope() as session:
        day = load_campaign(session, CODE).approval_due
        # A run id as the flow would bind it; no Prefect here to ask about it.
        run_id = "8f9f7c52-0b0e-4d59-9f55-2d0f0e6c9a11"
        invite_leader(session, CODE, run_id, at(day), get_settings())
    deliver_and_report(at(day))
    [link] = leader_links(mail_server.mailbox_dir, CODE)

    page = httpx.get(link, follow_redirects=True, timeout=30)
    assert page.status_code == 503
    assert "Xin phê duyệt trong giao diện Prefect" in page.text and "PREFECT_API_URL" in page.text
    assert NAMES[0] not in page.text
    answer = httpx.post(link + "/", data={"decision": "approve_all"}, timeout=30)
    assert answer.status_code == 403  # no form was served: no anti-forgery cookie, nothing done
