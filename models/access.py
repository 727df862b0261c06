"""Link tokens: the secret in a unit's personal link, stored only as its SHA-256.

A unit's link is ``<TONVINH_SUBMISSION_BASE_URL>/<token>``. Whoever holds the link acts for the
unit, so the token is a bearer secret: 256 random bits (``secrets.token_urlsafe(32)``), and the
database keeps only ``sha256(token)`` — a copy of the database, a backup or an operator's query
reveals no working link. A request is matched by hashing what it presents and looking that up.

No plain token is ever stored, in this table or anywhere else: an email that carries the link is
queued with ``LINK_PLACEHOLDER`` in its bodies and the campaign unit it is for
(``outboxmessage.link_part_id``); delivery mints a fresh token for that unit at the moment it
sends (``mint_unit_token``), puts it into the outgoing text only, and the stored row keeps the
placeholder. A unit therefore holds one valid link per email it was sent; rotating revokes them
all (``revoke_unit_tokens``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, insert, inspect, update
from sqlmodel import Field, SQLModel

from models.ballot import BallotToken
from models.db import AwareDateTime

# What a token opens. One purpose today; an operator's or a council member's link would be another.
PURPOSE_UNIT = "unit"
# 32 bytes = 256 bits of randomness, 43 URL-safe characters. (Links sent before hashing carried
# 16 bytes, 22 characters; they keep working after migration 0007: 128 bits is still enough.)
TOKEN_BYTES = 32
# What a queued email carries where the unit's token will go; chosen so that HTML escaping and
# URL quoting leave it untouched, and so that nobody mistakes it for a working link.
LINK_PLACEHOLDER = "LIEN-KET-RIENG-DUOC-TAO-KHI-GUI"


class AccessToken(SQLModel, table=True):
    """One link token, by its hash: which campaign unit it opens, since when, until when."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)  # sha256 hex of the token
    purpose: str = Field(default=PURPOSE_UNIT, max_length=16)
    campaign_unit_id: int = Field(foreign_key="campaignunit.id", index=True)
    created_at: datetime = Field(sa_type=AwareDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


TABLE = cast(Table, inspect(AccessToken).local_table)


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex (the token itself has 256 random bits, so
    a fast hash is enough: there is nothing to brute-force)."""
    return hashlib.sha256(token.encode("ascii", errors="replace")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def mint_unit_token(connection: Connection, campaign_unit_id: int, now: datetime) -> str:
    """A fresh token for a unit's link, its hash inserted on ``connection`` (the caller commits
    before the token leaves the process); returns the plain token, which nothing stores."""
    return mint_unit_tokens(connection, [campaign_unit_id], now)[0]


def mint_unit_tokens(
    connection: Connection, campaign_unit_ids: list[int], now: datetime
) -> list[str]:
    """``mint_unit_token`` for many links at once (one statement): a token per id, in order."""
    tokens = [new_token() for _ in campaign_unit_ids]
    if tokens:
        connection.execute(
            insert(TABLE),
            [
                {
                    "token_hash": hash_token(token),
                    "purpose": PURPOSE_UNIT,
                    "campaign_unit_id": part_id,
                    "created_at": now,
                }
                for token, part_id in zip(tokens, campaign_unit_ids, strict=True)
            ],
        )
    return tokens


def mint_token(connection: Connection, model: type[SQLModel], now: datetime, **owner: int) -> str:
    """A fresh token for a link of the token table ``model``, its hash inserted with ``owner``
    (the row the link opens) on ``connection``; the caller commits before the token leaves the
    process. Returns the plain token, which nothing stores."""
    token = new_token()
    table = cast(Table, inspect(model).local_table)
    connection.execute(insert(table).values(token_hash=hash_token(token), created_at=now, **owner))
    return token


def mint_ballot_token(connection: Connection, member_id: int, now: datetime) -> str:
    """A fresh token for a council member's ballot link (``models.ballot.BallotToken``)."""
    return mint_token(connection, BallotToken, now, member_id=member_id)


def revoke_unit_tokens(connection: Connection, campaign_unit_id: int, now: datetime) -> int:
    """Revoke every live link of a campaign unit; returns how many were live."""
    result = connection.execute(
        update(TABLE)
        .where(TABLE.c.campaign_unit_id == campaign_unit_id)
        .where(TABLE.c.purpose == PURPOSE_UNIT)
        .where(TABLE.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)


def with_link(text: str, token: str) -> str:
    """``text`` with the placeholder replaced by the unit's token."""
    return text.replace(LINK_PLACEHOLDER, token)
