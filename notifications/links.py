"""A personal link (a unit's, a council member's ballot, the approving leader's, a committee
task owner's, a conference invitee's), put into an email at the moment it is sent.

The stored email holds ``models.access.LINK_PLACEHOLDER`` and says whose link it carries: a
campaign unit's (``link_part_id``) or, for the approving leader's email, the leader's invite
(``EmailKind.LEADER_APPROVAL``, the invite id as its tier, ``models.leader_access``). Here a fresh
token is minted for it (for every message of a claimed batch at once), its hash committed
*before* the message leaves (a link in someone's inbox must open), and the token written into
the outgoing copy only. The stored row keeps the placeholder, so a sent message's copy in the
database shows the link redacted, and a retry mints another token (an unsent one opens nothing
anyone has).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import cast

from sqlalchemy import Connection

from models.access import mint_ballot_token, mint_unit_tokens, with_link
from models.ceremony import mint_invite_token
from models.committee import mint_task_token
from models.leader_access import mint_leader_token
from models.outbox import EmailKind, OutboxMessage
from notifications.mailer import OutgoingEmail

log = logging.getLogger(__name__)


class LinkNotMinted(RuntimeError):
    """The row's link could not be minted (``mint_for`` logged why)."""


def carries_link(row: OutboxMessage) -> bool:
    return (
        row.link_part_id is not None
        or row.link_member_id is not None
        or row.link_task_id is not None
        or row.link_invitee_id is not None
        or row.kind == EmailKind.LEADER_APPROVAL
    )


def _mint(connection: Connection, row: OutboxMessage, now: datetime) -> str:
    """A fresh token for the link ``row`` carries."""
    if row.link_part_id is not None:
        return mint_unit_tokens(connection, [row.link_part_id], now)[0]
    if row.link_member_id is not None:  # a council member's ballot link
        return mint_ballot_token(connection, row.link_member_id, now)
    if row.link_task_id is not None:  # an organising committee task's owner (models.committee)
        return mint_task_token(connection, row.link_task_id, now)
    if row.link_invitee_id is not None:  # a conference invitee's RSVP link (models.ceremony)
        return mint_invite_token(connection, row.link_invitee_id, now)
    return mint_leader_token(connection, row.tier, now)


def _durable(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Delivery's connection commits without waiting for the disk (delivery._outcome_connection):
        # these commits must be durable, or a database crash could forget a link just emailed.
        connection.exec_driver_sql("SET LOCAL synchronous_commit = on")


def mint_for(connection: Connection, rows: list[OutboxMessage], now: datetime) -> dict[int, str]:
    """A fresh token for each of ``rows`` that carries a link, by row id, their hashes committed
    on ``connection`` (which must hold nothing else uncommitted) before any of them leaves.

    Once per claimed batch, not per message: a commit per message cost as much as recording
    its outcome (BENCHMARKS.md). A token minted for a message that then does not go (a crash,
    a deferral) opens nothing anyone holds, like the token of a retried message. When the
    batch's statement fails (a row pointing at nothing), each row is minted on its own, and a
    row that still fails gets no token: delivery fails that row alone (``personalise``)."""
    carrying = [row for row in rows if carries_link(row) and row.id is not None]
    if not carrying:
        return {}
    units = [row for row in carrying if row.link_part_id is not None]
    try:
        _durable(connection)
        minted = mint_unit_tokens(connection, [cast(int, r.link_part_id) for r in units], now)
        tokens = {cast(int, row.id): token for row, token in zip(units, minted, strict=True)}
        for row in carrying:
            if row.link_part_id is None:
                tokens[cast(int, row.id)] = _mint(connection, row, now)
        connection.commit()
        return tokens
    except Exception:
        connection.rollback()
    tokens = {}
    for row in carrying:
        try:
            _durable(connection)
            token = _mint(connection, row, now)
            connection.commit()
        except Exception:  # that row's own problem: it fails when sent, the others go
            log.exception("Outbox message %s: its link could not be minted", row.id)
            connection.rollback()
        else:
            tokens[cast(int, row.id)] = token
    return tokens


def personalise(
    row: OutboxMessage, outgoing: OutgoingEmail, tokens: dict[int, str]
) -> OutgoingEmail:
    """``outgoing`` with the fresh link (``mint_for``) in place of the placeholder; unchanged if
    the row carries no link. ``LinkNotMinted`` if it carries one that could not be minted."""
    if not carries_link(row):
        return outgoing
    token = tokens.get(cast(int, row.id))
    if token is None:
        raise LinkNotMinted(f"outbox {row.id}: no link token could be minted")
    return replace(
        outgoing, text=with_link(outgoing.text, token), html=with_link(outgoing.html, token)
    )
