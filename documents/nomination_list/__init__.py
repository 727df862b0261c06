"""The unit's Excel list of nominees: the system writes each unit its own copy and reads it back.

Owning the template is what makes intake reliable. The list a unit fills in is generated for that
unit, with dropdowns fed from the campaign's own titles and forms, and a very hidden sheet
("_tonvinh") that says whose list it is; the same package parses it back, all or nothing, with
every problem located and coded.

- :mod:`.errors` — RowError, SubmissionRejected and the error codes;
- :mod:`.layout` — the sheets and their columns, whose list it is, the campaign's awards;
- :mod:`.codecs` — per kind of column: how a value is written, checked by Excel and read back
  (with :mod:`.dropdowns`, Excel's lists and rules, and :mod:`.cells`, the row being read);
- :mod:`.writer` / :mod:`.reader` — the two directions (the reader with :mod:`.shape`, the
  header row and merged cells, and :mod:`.rows`, the rows streamed within the budget);
- :mod:`.limits` — the bounded cost of reading any file, whatever it claims to be.
"""

from documents.nomination_list.errors import MAX_ERRORS, ErrorCode, RowError, SubmissionRejected
from documents.nomination_list.layout import (
    COLLECTIVES,
    FIRST_DATA_ROW,
    HEADER_ROW,
    INDIVIDUALS,
    SHEET_COLLECTIVES,
    SHEET_INDIVIDUALS,
    SHEET_LISTS,
    SHEET_META,
    TEMPLATE_VERSION,
    AwardChoice,
    ListHeader,
    ParsedList,
)
from documents.nomination_list.limits import ListLimits, read_upload_file
from documents.nomination_list.reader import read_nomination_list
from documents.nomination_list.writer import (
    fill_list,
    write_filled_list,
    write_unit_template,
    write_unit_templates,
)

__all__ = [
    "COLLECTIVES",
    "FIRST_DATA_ROW",
    "HEADER_ROW",
    "INDIVIDUALS",
    "MAX_ERRORS",
    "SHEET_COLLECTIVES",
    "SHEET_INDIVIDUALS",
    "SHEET_LISTS",
    "SHEET_META",
    "TEMPLATE_VERSION",
    "AwardChoice",
    "ErrorCode",
    "ListHeader",
    "ListLimits",
    "ParsedList",
    "RowError",
    "SubmissionRejected",
    "fill_list",
    "read_nomination_list",
    "read_upload_file",
    "write_filled_list",
    "write_unit_template",
    "write_unit_templates",
]
