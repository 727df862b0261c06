"""Fuzzing the Excel reader (issue 13, item 7): a real list, edited or damaged by Hypothesis, is
either read into valid rows (one per non-blank data row) or refused with coded, located,
Vietnamese reasons, and the reader raises nothing else.

The strategies and the property are in ``fuzz.py``. The runs are small and the same on every
run (CI); see ``fuzz.py`` for a longer local run (``TONVINH_FUZZ_SCALE``, ``TONVINH_FUZZ_RANDOM``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from documents.nomination_list import (
    ParsedList,
    SubmissionRejected,
    read_nomination_list,
    write_filled_list,
    write_unit_template,
)

from . import fuzz, fuzz_damage
from .builders import AWARDS, CAMPAIGN, HEADER, TODAY, UNIT

# What the caller may expect of the file: nothing, its own unit and campaign, or another's.
EXPECTED = st.sampled_from(
    (
        {},
        {"expected_unit_code": UNIT, "expected_campaign_code": CAMPAIGN},
        {"expected_unit_code": "VU_KHAC"},
        {"expected_campaign_code": "TV2017"},
    )
)


@pytest.fixture(scope="module")
def lists(tmp_path_factory: pytest.TempPathFactory) -> fuzz.Sources:
    """The unit's list with two people and a collective, and its blank template."""
    folder = tmp_path_factory.mktemp("fuzz")
    filled = write_filled_list(folder / "list.xlsx", HEADER, AWARDS, fuzz.base_rows())
    blank = write_unit_template(folder / "template.xlsx", HEADER, AWARDS)
    return fuzz.Sources(list=filled.read_bytes(), template=blank.read_bytes())


def _reader(expected: dict[str, str]) -> Callable[[bytes], ParsedList]:
    return lambda data: read_nomination_list(data, AWARDS, today=TODAY, **expected)


def test_the_lists_as_written_are_read(lists: fuzz.Sources) -> None:
    """The starting points: the list reads whole, the blank template is refused as empty."""
    parsed = fuzz.check_answer(_reader({}), lists["list"])
    assert parsed is not None and len(parsed.nominations) == 3
    with pytest.raises(SubmissionRejected) as refused:
        _reader({})(lists["template"])
    assert [e.code for e in refused.value.errors] == ["empty_list"]


EDITED = st.one_of(
    st.tuples(st.just("list"), fuzz.edits(AWARDS, (2, 1))),
    st.tuples(st.just("list"), fuzz.edits(AWARDS, (2, 1))),
    st.tuples(st.just("list"), fuzz.edits(AWARDS, (2, 1))),
    st.tuples(st.just("template"), fuzz.edits(AWARDS, (0, 0))),
)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")  # openpyxl on dates out of its range
def test_an_edited_list_is_read_or_refused_with_located_reasons(lists: fuzz.Sources) -> None:
    """Any edit: valid rows, one per non-blank data row, or located reasons; and the edits
    leave lists of both kinds (a fuzz test that only ever sees refusals proves little)."""
    answers = {"accepted": 0, "refused": 0}

    @fuzz.fuzz_settings(examples=100)
    @given(edited=EDITED, expected=EXPECTED)
    # Found by this test: a filled row past the capacity and its blank run was dropped silently.
    @example(edited=("list", [fuzz.CopyRow(fuzz.PEOPLE, 4, fuzz.FAR_ROWS[3], "")]), expected={})
    # Found writing it: a name within 255 characters whose case-folded key outgrew its column.
    @example(edited=("list", [fuzz.SetCell(fuzz.PEOPLE, 5, 2, "ß" * 255)]), expected={})
    def read(edited: tuple[str, list[fuzz.Edit]], expected: dict[str, str]) -> None:
        start, changes = edited
        parsed = fuzz.check_answer(_reader(expected), fuzz.edited(lists[start], changes))
        answers["accepted" if parsed is not None else "refused"] += 1

    read()
    assert answers["accepted"] >= 10 and answers["refused"] >= 10, answers


@pytest.mark.filterwarnings("ignore::UserWarning")  # zipfile and openpyxl on broken packages
@fuzz.fuzz_settings(examples=200)
@given(start=st.sampled_from(("list", "template")), changes=fuzz_damage.damage())
def test_damaged_bytes_are_read_or_refused_and_nothing_else(
    lists: fuzz.Sources, start: str, changes: list[fuzz_damage.Damage]
) -> None:
    """Whatever happened to the bytes, the answer is a ParsedList or SubmissionRejected (with
    located reasons); which rows a damaged file still holds is not for this test to say."""
    data = fuzz_damage.damaged(lists[start], changes)
    fuzz.check_answer(_reader({}), data, count=False)
