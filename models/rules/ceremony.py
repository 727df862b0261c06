"""The commendation conference's rules: who is invited (each person once), who gets a seat and
who waits, until when answers are taken, when non-responders are reminded, where each sits.

Everything here is pure: the rule data is a TOML file (``packs/ceremony/*.toml``: effective
date, citation, a C/U status per value), the guest list a CSV text parsed into rows with located
errors (row, field, reason; Vietnamese first), and the decisions functions of plain values.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time
from enum import StrEnum
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any

from models.rules.calendar import WorkCalendar
from models.rules.ladder import LadderConfig

_PACKAGE = "models.rules.packs.ceremony"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEXT_MAX = 255


class Category(StrEnum):
    """Why someone is invited; the pack's ``priority.order`` ranks them for seats."""

    HONOUREE = "honouree"  # a person the signed decision honours
    REPRESENTATIVE = "representative"  # an honoured collective's representative (its unit's head)
    LEADERSHIP = "leadership"  # the ministry's leaders
    UNIT_HEAD = "unit_head"  # heads of the ministry's units
    PRESS = "press"
    GUEST = "guest"


CATEGORY_VI = {
    Category.HONOUREE: "Cá nhân được khen thưởng",
    Category.REPRESENTATIVE: "Đại diện tập thể được khen thưởng",
    Category.LEADERSHIP: "Lãnh đạo Bộ",
    Category.UNIT_HEAD: "Thủ trưởng đơn vị",
    Category.PRESS: "Báo chí",
    Category.GUEST: "Khách mời",
}
CATEGORY_EN = {
    Category.HONOUREE: "Honouree",
    Category.REPRESENTATIVE: "Representative of an honoured collective",
    Category.LEADERSHIP: "Ministry leadership",
    Category.UNIT_HEAD: "Head of unit",
    Category.PRESS: "Press",
    Category.GUEST: "Guest",
}
# What the guest list's ``category`` column may say (Vietnamese without marks, or English).
GUEST_CATEGORIES = {
    "lanh_dao": Category.LEADERSHIP,
    "leadership": Category.LEADERSHIP,
    "thu_truong": Category.UNIT_HEAD,
    "unit_head": Category.UNIT_HEAD,
    "bao_chi": Category.PRESS,
    "press": Category.PRESS,
    "khach": Category.GUEST,
    "guest": Category.GUEST,
}
GUEST_COLUMNS = ("category", "full_name", "position", "organisation", "email", "unit")


# ---------------------------------------------------------------------------------------------
# The rule data


@dataclass(frozen=True)
class ProgrammeItem:
    at: time
    vi: str


@dataclass(frozen=True)
class CeremonyRules:
    """One ceremony pack, read from TOML; ``unconfirmed`` names the values marked [U]."""

    code: str
    effective_from: date
    citation: str
    capacity: int
    rsvp_cutoff_working_days: int
    reminder_offsets: tuple[int, ...]
    reminder_hour: int
    priority: tuple[Category, ...]
    place: str
    place_en: str
    starts: time
    seat_areas: Mapping[str, str]
    seat_areas_en: Mapping[str, str]
    bring_vi: str
    bring_en: str
    programme: tuple[ProgrammeItem, ...]
    unconfirmed: tuple[str, ...] = ()

    def rank(self, category: str) -> int:
        """A category's place in the priority order (0 first)."""
        return self.priority.index(Category(category))

    def ladder(self) -> LadderConfig:
        """The reminder ladder around the cut-off day: one step per offset, nothing after."""
        return LadderConfig(
            offsets=self.reminder_offsets,
            escalate_every=1,
            max_reminders=len(self.reminder_offsets),
            send_hour=self.reminder_hour,
        )

    def is_escalation(self, tier: int) -> bool:
        """The last step tells the unit's focal person too."""
        return tier == len(self.reminder_offsets)


def _parse_pack(raw: Mapping[str, Any]) -> CeremonyRules:
    unconfirmed = tuple(
        name
        for name in ("capacity", "rsvp_cutoff", "reminders", "priority", "venue")
        if raw[name].get("status") == "U"
    )
    priority = tuple(Category(c) for c in raw["priority"]["order"])
    if sorted(priority) != sorted(Category):
        raise ValueError("priority.order must name every category once")
    offsets = tuple(int(o) for o in raw["reminders"]["offsets"])
    if not offsets or any(b <= a for a, b in pairwise(offsets)):
        raise ValueError("reminders.offsets must be increasing")
    capacity = int(raw["capacity"]["value"])
    cutoff = int(raw["rsvp_cutoff"]["working_days_before"])
    if capacity < 1 or cutoff < 0:
        raise ValueError("capacity must be >= 1 and rsvp_cutoff >= 0")
    return CeremonyRules(
        code=str(raw["code"]),
        effective_from=raw["effective_from"],
        citation=str(raw["citation"]),
        capacity=capacity,
        rsvp_cutoff_working_days=cutoff,
        reminder_offsets=offsets,
        reminder_hour=int(raw["reminders"].get("send_hour", 8)),
        priority=priority,
        place=str(raw["venue"]["place"]),
        place_en=str(raw["venue"].get("place_en", raw["venue"]["place"])),
        starts=time.fromisoformat(str(raw["venue"]["starts"])),
        seat_areas=dict(raw["seat_areas"]),
        seat_areas_en=dict(raw.get("seat_areas_en", raw["seat_areas"])),
        bring_vi=str(raw["bring"]["vi"]),
        bring_en=str(raw["bring"].get("en", raw["bring"]["vi"])),
        programme=tuple(
            ProgrammeItem(time.fromisoformat(str(item["at"])), str(item["vi"]))
            for item in raw.get("programme", [])
        ),
        unconfirmed=unconfirmed,
    )


@cache
def _packs() -> tuple[CeremonyRules, ...]:
    folder = resources.files(_PACKAGE)
    packs = []
    for entry in folder.iterdir():
        if entry.is_file() and entry.name.endswith(".toml"):
            try:
                packs.append(_parse_pack(tomllib.loads(entry.read_text("utf-8"))))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(
                    f"Tệp quy định hội nghị {entry.name} không hợp lệ / invalid ceremony pack: "
                    f"{exc}"
                ) from exc
    return tuple(sorted(packs, key=lambda p: p.effective_from))


def ceremony_rules(conference: date) -> CeremonyRules:
    """The pack in force for a conference on ``conference`` (the latest that took effect)."""
    packs = [p for p in _packs() if p.effective_from <= conference]
    if not packs:
        raise ValueError(
            f"Không có quy định hội nghị hiệu lực ngày {conference:%d/%m/%Y}. / "
            f"No ceremony rules in force on {conference.isoformat()}."
        )
    return packs[-1]


# ---------------------------------------------------------------------------------------------
# Who is invited: each person once


@dataclass(frozen=True)
class Candidate:
    """Someone to invite, before the capacity rule: an honouree from the decision, an honoured
    collective's representative, or a row of a guest list."""

    key: str  # identity: the same key is the same person (see ``person_key``)
    category: Category
    full_name: str
    position: str
    organisation: str  # where they come from (the delegation they sit with)
    email: str  # their own address, or their unit focal person's for an honouree
    unit_code: str = ""  # the unit they belong to, if any (reminders escalate to its focal person)
    honours: tuple[str, ...] = ()  # the decision's lines that honour them (award — for whom)
    row: int = 0  # 1-based order in its source (the decision, the guest list's line)


def fold(text: str) -> str:
    """Text compared as people read it: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def person_key(email: str = "", nominee_key: str = "", unit_code: str = "") -> str:
    """A person's identity among invitees: their own email when they have one (a collective's
    representative listed again as a unit head is one guest), else the nominee's identity
    within its unit (a person honoured twice is one guest)."""
    if nominee_key:
        return f"nominee:{unit_code}:{nominee_key}"
    return f"email:{fold(email)}"


def merge_candidates(
    candidates: Iterable[Candidate], priority: Sequence[Category]
) -> list[Candidate]:
    """Each person once: candidates sharing a key merge into the one of the best category (the
    first seen among equals), keeping every honour; in priority order, then source order."""
    rank = {category: number for number, category in enumerate(priority)}
    merged: dict[str, Candidate] = {}
    for candidate in candidates:
        kept = merged.get(candidate.key)
        if kept is None:
            merged[candidate.key] = candidate
            continue
        best = candidate if rank[candidate.category] < rank[kept.category] else kept
        honours = tuple(dict.fromkeys((*kept.honours, *candidate.honours)))
        merged[candidate.key] = replace(best, honours=honours)
    return sorted(merged.values(), key=lambda c: (rank[c.category], c.row))


# ---------------------------------------------------------------------------------------------
# Seats and the waiting list


class SeatState(StrEnum):
    """Where an invitee stands; the first three hold a seat."""

    INVITED = "invited"  # emailed, no answer yet
    ATTENDING = "attending"
    DEPUTY = "deputy"  # sends a named deputy, who takes the seat
    WAITLISTED = "waitlisted"  # not yet emailed: no seat free
    DECLINED = "declined"
    PENDING = "pending"  # listed, not yet placed by the capacity rule


HOLDS_SEAT = frozenset({SeatState.INVITED, SeatState.ATTENDING, SeatState.DEPUTY})


@dataclass(frozen=True)
class Seat:
    """An invitee as the capacity rule sees them."""

    invitee_id: int
    state: SeatState
    rank: int  # priority (0 first)
    row: int  # order within the category


def seats_held(seats: Iterable[Seat]) -> int:
    return sum(1 for s in seats if s.state in HOLDS_SEAT)


def allocate(seats: Iterable[Seat], capacity: int) -> dict[int, SeatState]:
    """Place everyone pending or waiting: by priority then order, the first as many as seats
    are free are invited, the others wait. Returns only the invitees whose state changes."""
    listed = list(seats)
    free = max(capacity - seats_held(listed), 0)
    waiting = sorted(
        (s for s in listed if s.state in (SeatState.PENDING, SeatState.WAITLISTED)),
        key=lambda s: (s.rank, s.row, s.invitee_id),
    )
    changes: dict[int, SeatState] = {}
    for number, seat in enumerate(waiting):
        state = SeatState.INVITED if number < free else SeatState.WAITLISTED
        if state != seat.state:
            changes[seat.invitee_id] = state
    return changes


def seat_for_return(seats: Iterable[Seat], capacity: int) -> bool:
    """Whether one who declined may take a seat again: only if one is free (else they wait)."""
    return seats_held(seats) < capacity


# ---------------------------------------------------------------------------------------------
# Answers and their cut-off


def rsvp_cutoff(conference: date, calendar: WorkCalendar, working_days_before: int) -> date:
    """The last day answers are taken: N working days before the conference."""
    return calendar.add_working_days(conference, -working_days_before)


def rsvp_open(today: date, cutoff: date) -> bool:
    """Answers are taken through the end of the cut-off day."""
    return today <= cutoff


# ---------------------------------------------------------------------------------------------
# The guest list (CSV)


@dataclass(frozen=True)
class GuestError:
    """One problem in a guest list: where (line, field) and why, in both languages."""

    row: int
    field: str
    vi: str
    en: str

    def __str__(self) -> str:
        return (
            f"Dòng {self.row}, cột {self.field}: {self.vi} / "
            f"line {self.row}, column {self.field}: {self.en}"
        )


@dataclass
class GuestList:
    guests: list[Candidate] = field(default_factory=list)
    errors: list[GuestError] = field(default_factory=list)


def parse_guests(text: str, known_units: Iterable[str] | None = None) -> GuestList:
    """A guest list's rows (header = ``GUEST_COLUMNS``; ``unit`` optional), each checked:
    category known, name present, email well-formed and once in the file, unit known."""
    result = GuestList()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in GUEST_COLUMNS[:5] if c not in (reader.fieldnames or [])]
    if missing:
        result.errors.append(
            GuestError(1, ",".join(missing), "thiếu cột trong dòng tiêu đề", "missing column")
        )
        return result
    units = set(known_units) if known_units is not None else None
    seen: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        row = {k: " ".join((v or "").split()) for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        errors_before = len(result.errors)

        def error(name: str, vi: str, en: str, *, line: int = line) -> None:
            result.errors.append(GuestError(line, name, vi, en))

        category = GUEST_CATEGORIES.get(row.get("category", "").casefold())
        if category is None:
            error(
                "category",
                f"diện mời '{row.get('category', '')}' không hợp lệ (lanh_dao, thu_truong, "
                "bao_chi, khach)",
                f"unknown category '{row.get('category', '')}' (leadership, unit_head, press, "
                "guest)",
            )
        name = row.get("full_name", "")
        if not name:
            error("full_name", "thiếu họ tên", "the name is missing")
        for column in ("full_name", "position", "organisation"):
            if len(row.get(column, "")) > TEXT_MAX:
                error(column, f"dài quá {TEXT_MAX} ký tự", f"over {TEXT_MAX} characters")
        email = row.get("email", "")
        if not EMAIL_PATTERN.match(email):
            error("email", f"địa chỉ email không hợp lệ: {email!r}", f"not an email: {email!r}")
        elif fold(email) in seen:
            error(
                "email",
                f"trùng email với dòng {seen[fold(email)]}",
                f"same email as line {seen[fold(email)]}",
            )
        else:
            seen[fold(email)] = line
        unit = row.get("unit", "")
        if unit and units is not None and unit not in units:
            error("unit", f"không có đơn vị mã '{unit}'", f"no unit with code '{unit}'")
        if category is not None and len(result.errors) == errors_before:
            result.guests.append(
                Candidate(
                    key=person_key(email=email),
                    category=category,
                    full_name=name,
                    position=row.get("position", ""),
                    organisation=row.get("organisation", ""),
                    email=email,
                    unit_code=unit,
                    row=line,
                )
            )
    if not result.guests and not result.errors:
        result.errors.append(GuestError(1, "-", "danh sách không có khách mời nào", "no guests"))
    return result


# ---------------------------------------------------------------------------------------------
# Seating order


def seating_order(entries: Sequence[tuple[str, int, int]]) -> list[int]:
    """The positions of ``(delegation, rank, row)`` entries in seating order: delegations by
    their best member (so those with honourees come first, in the decision's order), then by
    name; within a delegation by priority, then order. The awards are handed over delegation
    by delegation from the front rows."""
    best: dict[str, tuple[int, int]] = {}
    for delegation, rank, row in entries:
        best[delegation] = min(best.get(delegation, (rank, row)), (rank, row))
    return sorted(
        range(len(entries)),
        key=lambda i: (best[entries[i][0]], entries[i][0], entries[i][1], entries[i][2]),
    )
