"""What a resubmitted list changed: dossiers added, removed, and each field changed.

Computed by intake from the unit's previous dossiers and the new rows, while both are at hand
(a revised dossier is updated in place, so its old values exist only until then); kept in the
``list_received`` audit event of the submission, so the unit and the reviewer can read it back
at any time (``submission_changes``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from documents.nomination_list import COLLECTIVES, INDIVIDUALS
from models.audit import AuditEntity, AuditEvent
from models.campaign import CampaignUnit
from models.nomination import NominationCreate
from models.unit import Unit

# The fields a row carries (row_number is where it sits in the sheet, not what it says).
FIELDS = tuple(name for name in NominationCreate.model_fields if name != "row_number")
# Each field as the unit's Excel list names it (the column header).
FIELD_LABELS_VI: dict[str, str] = {
    column.key: column.label for sheet in (COLLECTIVES, INDIVIDUALS) for column in sheet.columns
} | {"kind": "Cá nhân / tập thể"}
# How many added, removed or changed dossiers a result (and its audit event) lists; the counts
# are always whole. A list of thousands of rows is not read back as thousands of lines.
SHOWN = 100


class FieldChange(BaseModel):
    field: str
    before: str
    after: str


class DossierChange(BaseModel):
    full_name: str
    fields: list[FieldChange]


class ListChanges(BaseModel):
    """The difference between the previous list and this one, as the unit would describe it."""

    added: list[str] = []
    removed: list[str] = []
    changed: list[DossierChange] = []
    added_count: int = 0
    removed_count: int = 0
    changed_count: int = 0
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added_count or self.removed_count or self.changed_count)


def shown(value: Any) -> str:
    """A field's value as the list shows it: dates dd/mm/yyyy, Có/Không, "—" for nothing."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float):
        return f"{value:.0%}" if 0 <= value <= 1 else f"{value:g}"
    if isinstance(value, list):
        return ", ".join(str(item.get("file_name", item)) for item in value)
    return str(value)


def diff_dossiers(
    before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]]
) -> ListChanges:
    """Compare two lists of dossiers keyed by nominee identity (``nominee_key``), each dossier
    as its fields (``FIELDS``): added and changed in the new list's order, removed by name."""
    changes = ListChanges()
    for key, fields in after.items():
        old = before.get(key)
        if old is None:
            changes.added_count += 1
            if len(changes.added) < SHOWN:
                changes.added.append(str(fields["full_name"]))
            continue
        moved = [
            FieldChange(field=name, before=shown(old.get(name)), after=shown(fields.get(name)))
            for name in FIELDS
            if old.get(name) != fields.get(name)
        ]
        if not moved:
            changes.unchanged += 1
            continue
        changes.changed_count += 1
        if len(changes.changed) < SHOWN:
            changes.changed.append(DossierChange(full_name=str(fields["full_name"]), fields=moved))
    removed = sorted(str(fields["full_name"]) for key, fields in before.items() if key not in after)
    changes.removed_count = len(removed)
    changes.removed = removed[:SHOWN]
    return changes


def submission_changes(
    session: Session, part_id: int, submission_ids: list[int]
) -> dict[int, ListChanges]:
    """The changes recorded with each of these submissions of a unit (a first list has none)."""
    found: dict[int, ListChanges] = {}
    events = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.entity == AuditEntity.CAMPAIGN_UNIT,
            AuditEvent.entity_id == part_id,
            AuditEvent.action == "list_received",
        )
        .order_by(col(AuditEvent.id))
    ).all()
    wanted = set(submission_ids)
    for event in events:
        submission_id = event.details.get("submission_id")
        if submission_id in wanted and event.details.get("changes") is not None:
            found[submission_id] = ListChanges.model_validate(event.details["changes"])
    return found


class UnitChanges(BaseModel):
    """A unit's latest list changed its earlier one: what the reviewer reads first."""

    unit_code: str
    received_at: datetime
    changes: ListChanges

    def lines_vi(self) -> list[str]:
        """The changes as the officer's table lists them, one line per dossier."""
        lines = [f"Thêm: {name}" for name in self.changes.added]
        lines += [f"Bỏ ra: {name}" for name in self.changes.removed]
        lines += [
            f"Sửa {dossier.full_name}: "
            + "; ".join(
                f"{FIELD_LABELS_VI.get(c.field, c.field)}: {c.before} → {c.after}"
                for c in dossier.fields
            )
            for dossier in self.changes.changed
        ]
        return lines


def resubmitted_changes(
    session: Session, campaign_id: int, unit_ids: set[int]
) -> list[UnitChanges]:
    """For each of these units whose latest list replaced an earlier one and changed it, what
    changed (the reviewer checks a resubmission against the return, not from scratch)."""
    parts = dict(
        session.exec(
            select(CampaignUnit.id, Unit.code)
            .join(Unit, Unit.id == CampaignUnit.unit_id)  # type: ignore[arg-type]
            .where(CampaignUnit.campaign_id == campaign_id, col(CampaignUnit.unit_id).in_(unit_ids))
        ).all()
    )
    latest: dict[int, AuditEvent] = {}
    for event in session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.entity == AuditEntity.CAMPAIGN_UNIT,
            col(AuditEvent.entity_id).in_(list(parts)),
            AuditEvent.action == "list_received",
        )
        .order_by(col(AuditEvent.id))
    ).all():
        latest[event.entity_id] = event
    found = []
    for part_id, event in sorted(latest.items(), key=lambda item: parts[item[0]]):
        recorded = event.details.get("changes")
        if recorded is None:
            continue  # the unit's first list
        changes = ListChanges.model_validate(recorded)
        if not changes.empty:
            found.append(
                UnitChanges(unit_code=parts[part_id], received_at=event.at, changes=changes)
            )
    return found
