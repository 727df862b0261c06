"""A personal link (a unit's, a council member's ballot, the approving leader's, a committee
task owner's, a conference invitee's), put into an email at the moment it is sent.

The stored email holds ``models.access.LINK_PLACEHOLDER`` and says whose link it carries: a
campaign unit's (``link_part_id``) or, for the approving leader's email, the leader's invite
(``EmailKind.LEADER_APPROVAL``, the invite id as its tier, ``models.leader_access``). Here a fresh
token is minted for it, its hash committed *before* the message leaves (a link in someone's inbox
must open), and the token written into the outgoing copy only. The stored row keeps the
placeholder, so a sent message's copy in the database shows the link redacted, and a retry mints
another token (an unsent one opens nothing anyone has).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from models.access import mint_ballot_token, mint_unit_token, with_link
from models.ceremony import mint_invite_token
from models.committee import mint_task_token
from models.leader_access import mint_leader_token
from models.outbox import EmailKind, OutboxMessage
from notifications.mailer import OutgoingEmail


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
        return mint_unit_token(connection, row.link_part_id, now)
    if row.link_member_id is not None:  # a council member's ballot link
        return mint_ballot_token(connection, row.link_member_id, now)
    if row.link_task_id is not None:  # an organising committee task's owner (models.committee)
        return mint_task_token(connection, row.link_task_id, now)
    if row.link_invitee_id is not None:  # a conference invitee's RSVP link (models.ceremony)
        return mint_invite_token(connection, row.link_invitee_id, now)
    return mint_leader_token(connection, row.tier, now)


def personalise(
    connection: Connection, row: OutboxMessage, outgoing: OutgoingEmail, now: datetime
) -> OutgoingEmail:
    """``outgoing`` with the fresh link in place of the placeholder (unchanged if the row
    carries no link). Commits the token's hash on ``connection``, which must hold nothing else
    uncommitted."""
    if not carries_link(row):
        return outgoing
    if connection.dialect.name == "postgresql":
        # Delivery's connection commits without waiting for the disk (delivery._outcome_connection):
        # this one commit must be durable, or a database crash could forget a link just emailed.
        connection.exec_driver_sql("SET LOCAL synchronous_commit = on")
    token = _mint(connection, row, now)
    connection.commit()
    return replace(
        outgoing, text=with_link(outgoing.text, token), html=with_link(outgoing.html, token)
    )
