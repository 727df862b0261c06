"""The organising committee's plan for the ceremony, as data: tasks, owners, dues, dependencies.

The department keeps the plan in a TOML (or CSV) file it edits; each task says what is to be
done, which unit owns it and who there answers for it, when it is due — a number of working
days before the conference, or a date — and which other tasks must be done first.

Everything here is pure: parsing a file into rows, checking them (every error names the task's
row, its key and the field, Vietnamese first), resolving dues on the campaign's working-day
calendar, and the critical path. [U] The ministry publishes no rule for this plan: the shape
follows the seed's news item (a conference of about 200 delegates, tasks spread over the
Office, the press department, finance and printing).
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from models.rules.calendar import WorkCalendar

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TITLE_MAX = 255
# The columns of the CSV form, in order (the TOML form uses the same names per [[task]]).
COLUMNS = (
    "key",
    "title",
    "owner",
    "contact_name",
    "contact_email",
    "due_working_days_before",
    "due_on",
    "depends_on",
)


@dataclass(frozen=True)
class PlanError:
    """One problem in the plan: where (row, task key, field) and why, in both languages."""

    row: int  # 1-based: the n-th [[task]] of a TOML file, the line of a CSV file
    key: str
    field: str
    vi: str
    en: str

    def __str__(self) -> str:
        where_vi = f"Việc dòng {self.row}" + (f" ({self.key})" if self.key else "")
        where_en = f"task row {self.row}" + (f" ({self.key})" if self.key else "")
        vi = f"{where_vi}, trường {self.field}: {self.vi}"
        return f"{vi} / {where_en}, field {self.field}: {self.en}"


class PlanInvalid(ValueError):
    """The plan has errors; nothing of it may be stored."""

    def __init__(self, errors: list[PlanError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class PlanTask:
    """One task as the department wrote it (its due not yet resolved to a day)."""

    row: int
    key: str
    title: str
    owner: str  # the owner unit's code
    contact_name: str  # "" means: the owner unit's focal contact
    contact_email: str
    due_working_days_before: int | None
    due_on: date | None
    depends_on: tuple[str, ...]

    def due(self, conference: date, calendar: WorkCalendar) -> date:
        """The day the task is due: the date given, or N working days before the conference."""
        if self.due_on is not None:
            return self.due_on
        assert self.due_working_days_before is not None
        return calendar.add_working_days(conference, -self.due_working_days_before)


def read_toml(text: str) -> list[dict[str, Any]]:
    """The ``[[task]]`` tables of a TOML plan, in order; a syntax error is one PlanError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanInvalid(
            [PlanError(0, "", "toml", f"tệp TOML sai cú pháp: {exc}", f"bad TOML: {exc}")]
        ) from exc
    tasks = data.get("task", [])
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise PlanInvalid(
            [PlanError(0, "", "task", "cần các bảng [[task]]", "expected [[task]] tables")]
        )
    return [dict(t, _row=i) for i, t in enumerate(tasks, start=1)]


def read_csv(text: str) -> list[dict[str, Any]]:
    """The rows of a CSV plan (header = ``COLUMNS``; ``depends_on`` separated by spaces, commas
    or semicolons); ``_row`` is the line number, so the department finds the row in its sheet."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("key", "title", "owner") if c not in (reader.fieldnames or [])]
    if missing:
        raise PlanInvalid(
            [PlanError(1, "", ",".join(missing), "thiếu cột trong dòng tiêu đề", "missing column")]
        )
    rows: list[dict[str, Any]] = []
    for index, raw in enumerate(reader, start=2):
        row: dict[str, Any] = {k: (v or "").strip() for k, v in raw.items() if k}
        row["depends_on"] = [d for d in re.split(r"[\s,;]+", row.get("depends_on", "")) if d]
        row["_row"] = index
        rows.append(row)
    return rows


def _int_field(value: Any) -> int | str | None:
    """An int, None for empty, or the text of a value that is not a whole number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def _date_field(value: Any) -> date | str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return str(value)


def parse_rows(rows: Iterable[Mapping[str, Any]]) -> tuple[list[PlanTask], list[PlanError]]:
    """Each row checked on its own (fields present and well-formed, keys unique)."""
    tasks: list[PlanTask] = []
    errors: list[PlanError] = []
    seen: set[str] = set()
    for raw in rows:
        row = int(raw.get("_row", 0))
        key = str(raw.get("key", "") or "").strip()

        def error(field: str, vi: str, en: str, *, row: int = row, key: str = key) -> None:
            errors.append(PlanError(row, key, field, vi, en))

        if not KEY_PATTERN.match(key):
            error(
                "key",
                "mã việc phải có 1–40 ký tự thường a–z, 0–9, '_' hoặc '-'",
                "the key must be 1-40 characters a-z, 0-9, '_' or '-'",
            )
        elif key in seen:
            error("key", "mã việc bị trùng", "duplicate key")
        seen.add(key)
        title = str(raw.get("title", "") or "").strip()
        if not title:
            error("title", "thiếu tên công việc", "the title is missing")
        elif len(title) > TITLE_MAX:
            error("title", f"tên quá dài (tối đa {TITLE_MAX} ký tự)", f"over {TITLE_MAX} chars")
        owner = str(raw.get("owner", "") or "").strip()
        if not owner:
            error("owner", "thiếu đơn vị chủ trì", "the owner unit is missing")
        contact_name = str(raw.get("contact_name", "") or "").strip()
        contact_email = str(raw.get("contact_email", "") or "").strip()
        if contact_email and not EMAIL_PATTERN.match(contact_email):
            error(
                "contact_email",
                f"địa chỉ email không hợp lệ: {contact_email!r}",
                f"not an email address: {contact_email!r}",
            )
        if bool(contact_name) != bool(contact_email):
            error(
                "contact_email" if contact_name else "contact_name",
                "cần cả tên và email người liên hệ (hoặc bỏ trống cả hai: đầu mối của đơn vị)",
                "give both the contact's name and email (or neither: the unit's focal contact)",
            )
        days = _int_field(raw.get("due_working_days_before"))
        on = _date_field(raw.get("due_on"))
        if isinstance(days, str) or (isinstance(days, int) and days < 0):
            error(
                "due_working_days_before",
                f"phải là số ngày làm việc ≥ 0, không phải {days!r}",
                f"must be a number of working days >= 0, not {days!r}",
            )
            days = None
        if isinstance(on, str):
            error("due_on", f"ngày không hợp lệ {on!r} (YYYY-MM-DD)", f"bad date {on!r}")
            on = None
        if (days is None) == (on is None) and not any(
            e.row == row and e.field.startswith("due") for e in errors
        ):
            error(
                "due_on",
                "cần đúng một hạn: due_working_days_before hoặc due_on",
                "give exactly one due: due_working_days_before or due_on",
            )
        depends = raw.get("depends_on", []) or []
        if isinstance(depends, str):
            depends = [d for d in re.split(r"[\s,;]+", depends) if d]
        if not isinstance(depends, list):
            error("depends_on", "phải là danh sách mã việc", "must be a list of task keys")
            depends = []
        tasks.append(
            PlanTask(
                row=row,
                key=key,
                title=title,
                owner=owner,
                contact_name=contact_name,
                contact_email=contact_email,
                due_working_days_before=days if isinstance(days, int) else None,
                due_on=on if isinstance(on, date) else None,
                depends_on=tuple(dict.fromkeys(str(d).strip() for d in depends)),
            )
        )
    return tasks, errors


def find_cycle(depends: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One dependency cycle as keys (first key repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    path: list[str] = []

    def visit(key: str) -> list[str] | None:
        state[key] = 1
        path.append(key)
        for dep in depends.get(key, ()):
            if dep not in depends:
                continue
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[key] = 2
        return None

    for key in sorted(depends):
        if key not in state:
            found = visit(key)
            if found:
                return found
    return None


def validate(
    tasks: list[PlanTask],
    conference: date,
    calendar: WorkCalendar,
    known_units: Iterable[str] | None = None,
) -> list[PlanError]:
    """Errors of the plan as a whole: unknown owner unit or dependency, a cycle, a due after
    the conference, a dependency due after the task that waits for it."""
    errors: list[PlanError] = []
    by_key = {t.key: t for t in tasks if t.key}
    units = set(known_units) if known_units is not None else None
    for task in tasks:
        if units is not None and task.owner and task.owner not in units:
            errors.append(
                PlanError(
                    task.row,
                    task.key,
                    "owner",
                    f"không có đơn vị mã '{task.owner}'",
                    f"no unit with code '{task.owner}'",
                )
            )
        for dep in task.depends_on:
            if dep not in by_key:
                errors.append(
                    PlanError(
                        task.row,
                        task.key,
                        "depends_on",
                        f"phụ thuộc việc không có trong kế hoạch: '{dep}'",
                        f"depends on a task not in the plan: '{dep}'",
                    )
                )
    cycle = find_cycle({t.key: t.depends_on for t in tasks if t.key})
    if cycle:
        first = by_key[cycle[0]]
        chain = " → ".join(cycle)
        errors.append(
            PlanError(
                first.row,
                first.key,
                "depends_on",
                f"phụ thuộc vòng tròn: {chain}",
                f"circular dependency: {chain}",
            )
        )
    dues = {
        t.key: t.due(conference, calendar)
        for t in tasks
        if t.due_on is not None or t.due_working_days_before is not None
    }
    for task in tasks:
        due = dues.get(task.key)
        if due is None:
            continue
        if due > conference:
            errors.append(
                PlanError(
                    task.row,
                    task.key,
                    "due_on",
                    f"hạn {due:%d/%m/%Y} sau ngày hội nghị {conference:%d/%m/%Y}",
                    f"due {due.isoformat()} after the conference {conference.isoformat()}",
                )
            )
        for dep in task.depends_on:
            dep_due = dues.get(dep)
            if dep_due is not None and dep in by_key and dep_due > due:
                errors.append(
                    PlanError(
                        task.row,
                        task.key,
                        "depends_on",
                        f"việc '{dep}' phải xong trước nhưng hạn {dep_due:%d/%m/%Y} lại sau "
                        f"hạn việc này {due:%d/%m/%Y}",
                        f"'{dep}' must be done first but is due {dep_due.isoformat()}, after "
                        f"this task's {due.isoformat()}",
                    )
                )
    return errors


def load_plan(
    text: str,
    fmt: str,
    conference: date,
    calendar: WorkCalendar,
    known_units: Iterable[str] | None = None,
) -> list[PlanTask]:
    """A plan file's tasks, checked whole; raises ``PlanInvalid`` with every error found."""
    rows = read_toml(text) if fmt == "toml" else read_csv(text)
    if not rows:
        raise PlanInvalid([PlanError(0, "", "task", "kế hoạch không có việc nào", "no tasks")])
    tasks, errors = parse_rows(rows)
    if not errors:
        errors = validate(tasks, conference, calendar, known_units)
    if errors:
        raise PlanInvalid(sorted(errors, key=lambda e: (e.row, e.field)))
    return tasks


@dataclass(frozen=True)
class ScheduledTask:
    """A task as the critical path sees it: its due day and the tasks it waits for."""

    key: str
    due: date
    depends_on: tuple[str, ...]


def slack(
    tasks: Iterable[ScheduledTask], conference: date, calendar: WorkCalendar
) -> dict[str, int]:
    """Per task, the working days between its due and the earliest due of the tasks waiting
    for it (the conference, if none waits): how late it can be before it delays another."""
    listed = list(tasks)
    dues = {t.key: t.due for t in listed}
    next_due: dict[str, date] = {t.key: conference for t in listed}
    for task in listed:
        for dep in task.depends_on:
            if dep in next_due:
                next_due[dep] = min(next_due[dep], task.due)
    return {k: calendar.working_days_between(dues[k], next_due[k]) for k in dues}


def critical_path(
    tasks: Iterable[ScheduledTask], conference: date, calendar: WorkCalendar
) -> list[str]:
    """The longest chain of dependencies that ends at the conference, first task first.

    With no durations in the plan, "longest" counts tasks (each is a hand-over that can slip);
    among chains of equal length, the one with the least slack in total (the tightest), then by
    key for a stable answer. Empty for an empty plan. The plan must have no cycle.
    """
    listed = sorted(tasks, key=lambda t: t.key)
    if not listed:
        return []
    by_key = {t.key: t for t in listed}
    gaps = slack(listed, conference, calendar)
    dependants: dict[str, list[str]] = {k: [] for k in by_key}
    for task in listed:
        for dep in task.depends_on:
            if dep in dependants:
                dependants[dep].append(task.key)
    # best[k]: (length, -total slack) of the best chain from k to the conference, and its next.
    best: dict[str, tuple[tuple[int, int], str | None]] = {}

    def score(key: str) -> tuple[int, int]:
        if key not in best:
            options = [(score(d), d) for d in sorted(dependants[key])]
            chosen = max(options, key=lambda o: o[0]) if options else ((0, 0), None)
            (length, negative_slack), nxt = chosen
            best[key] = ((length + 1, negative_slack - gaps[key]), nxt)
        return best[key][0]

    start = max(sorted(by_key), key=score)
    path: list[str] = []
    current: str | None = start
    while current is not None:
        path.append(current)
        current = best[current][1]
    return path


def is_overdue(due: date, done: bool, today: date) -> bool:
    """Not done and its due day has passed."""
    return not done and due < today
