"""The reader's short ways through a cell give exactly what the careful ways give.

Its cells are parsed by openpyxl's own code except an inline string of one plain run, which
the reader reads itself (``rows._CellParser``); every other shape of cell must still come out as
openpyxl gives it, or fail where openpyxl fails.

Reading a 10,000-row list cleans ~160,000 cells, so the reader has its own quick versions of
``clean_text`` and ``match_key`` (and builds attachments without a model per file). They must
never disagree with the originals: these tests compare them on every character of the Basic
Multilingual Plane and on random mixes of the characters that matter to Vietnamese text.
"""

from __future__ import annotations

import random
import unicodedata
from xml.etree.ElementTree import fromstring  # the reader's elements: its iterparse is the stdlib's

import pytest
from openpyxl.worksheet._reader import WorkSheetParser

from documents.nomination_list.cells import clean_line as _clean_line
from documents.nomination_list.cells import clean_lines as _clean_lines
from documents.nomination_list.cells import name_key as _name_key
from documents.nomination_list.codecs import DEFAULT_ATTACHMENT_KIND
from documents.nomination_list.rows import _CellParser
from documents.text import clean_text, match_key
from models.nomination import Attachment

# Spaces of every kind, invisible characters, dashes, line ends, combining marks, and
# Vietnamese letters precomposed and decomposed.
_TRICKY = (
    " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u00a0\u1680\u2000\u2007\u2009\u200a\u2028\u2029"
    "\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufeff\u00ad\u2010\u2011\u2012\u2013\u2014"
    "\u2212-\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b"
    "aAeEoOuUiIyYđĐ;/0"
    "ăâêôơưĂÂÊÔƠƯ"
    "ễỄữỮệỆờỜ"
)


def _check(text: str) -> None:
    assert _clean_line(text) == clean_text(text), repr(text)
    assert _clean_lines(text) == clean_text(text, single_line=False), repr(text)
    assert _name_key(text) == match_key(text), repr(text)


def test_every_character_of_the_bmp() -> None:
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:  # lone surrogates cannot come out of an .xlsx
            continue
        c = chr(code)
        _check(f" x{c}y {c}")
        _check(f"{c}\n Nguyễn{c} ")


@pytest.mark.parametrize("seed", range(4))
def test_random_mixes_of_tricky_characters(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(2_000):
        text = "".join(rnd.choice(_TRICKY) for _ in range(rnd.randint(0, 24)))
        _check(text)
        _check(unicodedata.normalize("NFD", text))


def test_real_cells() -> None:
    for text in (
        "Nguyễn Thị Hương",
        unicodedata.normalize("NFD", "Nguyễn Thị Hương"),
        "  Trần\u00a0Văn   Dũng ",
        "Phòng Kế hoạch – Tài chính",
        "Hoàn thành xuất sắc nhiệm vụ;\r\n- chủ trì đề án\r\n",
        "bao-cao.pdf; bien-ban.pdf\nanh.png",
        "",
        "   ",
        "\u200b",
    ):
        _check(text)


def test_attachments_are_what_the_model_dumps() -> None:
    # The reader writes {"file_name", "kind"} itself; a new field on Attachment must show here.
    assert Attachment(file_name="bao-cao.pdf").model_dump() == {
        "file_name": "bao-cao.pdf",
        "kind": DEFAULT_ATTACHMENT_KIND,
    }


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# Cells as Excel, LibreOffice and openpyxl write them, and as a hand-edited file might.
_CELLS = (
    '<c r="B4" t="inlineStr"><is><t>Nguyễn Thị Hương</t></is></c>',
    '<c r="B4" s="3" t="inlineStr"><is><t xml:space="preserve">  Lê  </t></is></c>',
    '<c r="B4" t="inlineStr"><is><t/></is></c>',
    '<c r="B4" t="inlineStr"><is></is></c>',
    '<c r="B4" t="inlineStr"/>',
    '<c t="inlineStr"><is><t>no place</t></is></c>',
    '<c r="B4" t="inlineStr"><is><r><t>Trần </t></r><r><rPr><b/></rPr><t>Văn</t></r></is></c>',
    '<c r="B4" t="inlineStr"><is><t>Hà</t><rPh sb="0" eb="1"><t>ha</t></rPh></is></c>',
    '<c r="B4" t="inlineStr"><is><t>one</t><t>two</t></is></c>',
    '<c r="B4" t="inlineStr"><f>A1</f><is><t>cached</t></is></c>',
    '<c r="B4" t="inlineStr"><is><x:t xmlns:x="urn:other">elsewhere</x:t></is></c>',
    '<c r="B4"><v>42</v></c>',
    '<c r="B4" t="s"><v>0</v></c>',
    '<c r="B4" t="str"><f>A1</f><v>x</v></c>',
    '<c r="B4" t="b"><v>1</v></c>',
    '<c r="B4" t="e"><v>#N/A</v></c>',
)


def _parsed(parser: WorkSheetParser, xml: str) -> object:
    row = fromstring(f'<row xmlns="{_MAIN}" r="4">{xml}</row>')
    try:
        return parser.parse_row(row)
    except Exception as exc:  # the reader turns any of these into "damaged file"
        return type(exc)


@pytest.mark.parametrize("xml", _CELLS)
def test_a_cell_reads_as_openpyxl_reads_it(xml: str) -> None:
    def parser(kind: type[WorkSheetParser]) -> WorkSheetParser:
        return kind(None, ["shared"], date_formats=set(), timedelta_formats=set())

    assert _parsed(parser(_CellParser), xml) == _parsed(parser(WorkSheetParser), xml)


def test_an_attribute_on_the_inline_string_is_a_damaged_file_as_in_openpyxl() -> None:
    xml = '<c r="B4" t="inlineStr"><is foo="1"><t>x</t></is></c>'
    plain = WorkSheetParser(None, [], date_formats=set(), timedelta_formats=set())
    assert _parsed(_CellParser(None, [], date_formats=set(), timedelta_formats=set()), xml) is (
        _parsed(plain, xml)
    )
    assert isinstance(_parsed(plain, xml), type)
