"""The organising committee's plan as pure rules: reading, checking, dues, critical path."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.rules.calendar import vietnam_calendar
from models.rules.committee_plan import (
    PlanInvalid,
    ScheduledTask,
    critical_path,
    find_cycle,
    is_overdue,
    load_plan,
    slack,
)

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "plans" / "hoi-nghi-bieu-duong.toml"
CONFERENCE = date(2027, 1, 29)  # a Friday
CALENDAR = vietnam_calendar(range(2026, 2028))
UNITS = {"vu_khtc", "van_phong", "vu_tdkt", "cuc_xbiph", "cuc_ptth", "cuc_bc", "cuc_ttcs"}


def plan(body: str) -> list[str]:
    """The errors of a TOML plan, as text."""
    try:
        load_plan(body, "toml", CONFERENCE, CALENDAR, UNITS)
    except PlanInvalid as exc:
        return [str(e) for e in exc.errors]
    return []


def task(key: str, due: str = "due_working_days_before = 3", deps: str = "[]", **more: str) -> str:
    extra = "".join(f'{k} = "{v}"\n' for k, v in more.items())
    return (
        f'[[task]]\nkey = "{key}"\ntitle = "Việc {key}"\nowner = "van_phong"\n{due}\n'
        f"depends_on = {deps}\n{extra}"
    )


def test_the_sample_plan_loads_and_every_due_is_before_the_conference() -> None:
    tasks = load_plan(SAMPLE.read_text("utf-8"), "toml", CONFERENCE, CALENDAR, UNITS)
    assert 10 <= len(tasks) <= 12
    assert len({t.owner for t in tasks}) >= 5
    for t in tasks:
        assert t.due(CONFERENCE, CALENDAR) <= CONFERENCE
    path = critical_path(
        [ScheduledTask(t.key, t.due(CONFERENCE, CALENDAR), t.depends_on) for t in tasks],
        CONFERENCE,
        CALENDAR,
    )
    assert path[0] == "kinh_phi" and len(path) == 4


def test_working_days_before_skip_weekends_and_tet() -> None:
    (t,) = load_plan(task("a", "due_working_days_before = 1"), "toml", CONFERENCE, CALENDAR)
    assert t.due(CONFERENCE, CALENDAR) == date(2027, 1, 28)
    monday = date(2027, 2, 22)  # the week after Tết 2027 (6–10 February off)
    (t,) = load_plan(task("a", "due_working_days_before = 10"), "toml", monday, CALENDAR)
    assert t.due(monday, CALENDAR) < date(2027, 2, 6)


def test_errors_name_the_row_key_and_field_vietnamese_first() -> None:
    errors = plan(task("a", deps='["ghost"]') + task("b", "due_on = 2027-02-01"))
    assert any("Việc dòng 1 (a), trường depends_on" in e and "'ghost'" in e for e in errors)
    assert any("Việc dòng 2 (b), trường due_on" in e and "sau ngày hội nghị" in e for e in errors)
    assert all(e.index("/") > e.index("trường") for e in errors)


def test_a_cycle_is_refused_with_its_chain() -> None:
    errors = plan(task("a", deps='["b"]') + task("b", deps='["a"]'))
    assert len(errors) == 1 and "a → b → a" in errors[0]


def test_a_dependency_due_after_its_dependant_is_refused() -> None:
    errors = plan(
        task("early", "due_working_days_before = 9", deps='["late"]')
        + task("late", "due_working_days_before = 2")
    )
    assert any("(early), trường depends_on" in e and "'late'" in e for e in errors)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (task("A B"), "key"),
        (task("a") + task("a"), "key"),
        (task("a", "due_working_days_before = -1"), "due_working_days_before"),
        (task("a", 'due_on = "tomorrow"'), "due_on"),
        (task("a", "due_on = 2027-01-04\ndue_working_days_before = 2"), "due_on"),
        (task("a", contact_name="X", contact_email="not-an-email"), "contact_email"),
        (task("a", contact_name="X"), "contact_email"),
        (task("a").replace("van_phong", "nowhere"), "owner"),
        ("[[task]\n", "toml"),
    ],
)
def test_each_bad_field_is_named(body: str, field: str) -> None:
    errors = plan(body)
    assert errors and any(f"trường {field}:" in e for e in errors), errors


def test_csv_with_the_same_columns_loads() -> None:
    text = (
        "key,title,owner,contact_name,contact_email,due_working_days_before,due_on,depends_on\n"
        "a,Việc A,van_phong,,,5,,\n"
        "b,Việc B,cuc_bc,Bùi Sơn,son@example.org,,2027-01-27,a\n"
    )
    a, b = load_plan(text, "csv", CONFERENCE, CALENDAR, UNITS)
    assert b.depends_on == ("a",) and b.due_on == date(2027, 1, 27) and a.row == 2
    bad = text.replace("2027-01-27", "27/01/2027")
    with pytest.raises(PlanInvalid) as refused:
        load_plan(bad, "csv", CONFERENCE, CALENDAR, UNITS)
    assert "Việc dòng 3 (b), trường due_on" in str(refused.value)


def test_overdue_is_not_done_and_past_its_due() -> None:
    day = date(2027, 1, 10)
    assert is_overdue(day, False, day + timedelta(days=1))
    assert not is_overdue(day, False, day)
    assert not is_overdue(day, True, day + timedelta(days=5))


# A random DAG: each task may depend only on tasks with smaller index, due no later than it.
@st.composite
def dags(draw: st.DrawFn) -> list[ScheduledTask]:
    n = draw(st.integers(1, 9))
    offsets = sorted(draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)), reverse=True)
    tasks = []
    for i in range(n):
        deps = draw(st.sets(st.integers(0, i - 1), max_size=i)) if i else set()
        due = CALENDAR.add_working_days(CONFERENCE, -offsets[i])
        tasks.append(ScheduledTask(f"t{i}", due, tuple(f"t{d}" for d in sorted(deps))))
    return tasks


def longest_chain(tasks: list[ScheduledTask]) -> int:
    depth: dict[str, int] = {}
    for t in tasks:  # in index order: dependencies first
        depth[t.key] = 1 + max((depth[d] for d in t.depends_on), default=0)
    return max(depth.values())


@settings(max_examples=150, deadline=None)
@given(dags())
def test_the_critical_path_is_a_longest_dependency_chain(tasks: list[ScheduledTask]) -> None:
    path = critical_path(tasks, CONFERENCE, CALENDAR)
    by_key = {t.key: t for t in tasks}
    assert len(path) == longest_chain(tasks)
    for earlier, later in itertools.pairwise(path):
        assert earlier in by_key[later].depends_on
    assert not any(path[-1] in t.depends_on for t in tasks)  # it ends at the conference
    assert find_cycle({t.key: t.depends_on for t in tasks}) is None
    assert all(v >= 0 for v in slack(tasks, CONFERENCE, CALENDAR).values())
