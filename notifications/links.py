"""A unit's (or a committee task owner's) personal link, put into an email at the moment it is sent.

The stored email holds ``models.access.LINK_PLACEHOLDER`` and the campaign unit it is for
(``link_part_id``); here a fresh token is minted for that unit, its hash committed *before* the
message leaves (a link in someone's inbox must open), and the token written into the outgoing
copy only. The stored row keeps the placeholder, so a sent message's copy in the database shows
the link redacted, and a retry mints another token (an unsent one opens nothing anyone has).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from models.access import mint_unit_token, with_link
from models.committee import mint_task_token
from models.outbox import OutboxMessage
from notifications.mailer import OutgoingEmail


def personalise(
    connection: Connection, row: OutboxMessage, outgoing: OutgoingEmail, now: datetime
) -> OutgoingEmail:
    """``outgoing`` with the unit's fresh link in place of the placeholder (unchanged if the row
    carries no link). Commits the token's hash on ``connection``, which must hold nothing else
    uncommitted."""
    if row.link_part_id is None and row.link_task_id is None:
        return outgoing
    if connection.dialect.name == "postgresql":
        # Delivery's connection commits without waiting for the disk (delivery._outcome_connection):
        # this one commit must be durable, or a database crash could forget a link just emailed.
        connection.exec_driver_sql("SET LOCAL synchronous_commit = on")
    if row.link_part_id is not None:
        token = mint_unit_token(connection, row.link_part_id, now)
    else:  # an organising committee task's owner (models.committee)
        assert row.link_task_id is not None
        token = mint_task_token(connection, row.link_task_id, now)
    connection.commit()
    return replace(
        outgoing, text=with_link(outgoing.text, token), html=with_link(outgoing.html, token)
    )
