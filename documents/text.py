"""Text helpers shared by the documents: Unicode hygiene, Vietnamese dates and amounts in words.

Lists arrive from Windows, macOS and phones. macOS keyboards and copy-paste from PDFs often give
decomposed Vietnamese (NFD: "e" + combining marks), web pages give non-breaking spaces, and Word
leaves zero-width characters. All of these look identical on screen but compare unequal, so every
string that enters the system goes through :func:`clean_text` first.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# Characters that are invisible in Excel but break equality: zero-width space/joiners, BOM, soft
# hyphen.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Spaces that are not U+0020 (non-breaking, narrow, figure, ideographic ...).
_ODD_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u3000"), " ")
DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")
# Both tables in one pass of str.translate (this runs on every cell of a 10,000-row list).
_CLEAN = {**_INVISIBLE, **_ODD_SPACES}
# Characters clean_text may drop or turn into a space (so a string starting with anything else
# is certainly not blank once cleaned).
CLEANED_AWAY = frozenset(map(chr, _CLEAN))
_WHITESPACE = re.compile(r"\s+")


def clean_text(value: str, *, single_line: bool = True) -> str:
    """NFC, without invisible characters, stripped; on one line with single spaces if asked.

    Multi-line fields (the achievements summary) keep their line breaks, because units write
    them as bullet lists; only the line ends and odd spaces are tidied.
    """
    text = unicodedata.normalize("NFC", value).translate(_CLEAN)
    if single_line:
        return _WHITESPACE.sub(" ", text).strip()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def match_key(value: str) -> str:
    """The key two spellings of the same name share: NFC, casefolded, one space, plain dashes.

    Used to recognise an award name typed by hand instead of picked from the dropdown, and to
    spot the same nominee entered twice.
    """
    return clean_text(value).translate(DASHES).casefold()


def vn_date(day: date) -> str:
    """dd/mm/yyyy, the only numeric date order Vietnamese readers expect."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def vn_long_date(day: date) -> str:
    """The date as Decree 30/2020/NĐ-CP writes it in documents: "ngày 05 tháng 3 năm 2019".

    The decree asks for a leading zero on days below 10 and on months 1 and 2 (so that nobody
    can add a digit after signing); other months are written as they are.
    """
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def format_vnd(amount: int) -> str:
    """12.340.000 — Vietnamese prose groups thousands with dots."""
    return f"{amount:,}".replace(",", ".")


_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_SCALES = ("", "nghìn", "triệu", "tỷ")


def _three_digits(number: int, *, leading: bool) -> list[str]:
    """Words for 0..999; ``leading`` is False for groups after the first, which read
    "không trăm" and "linh" explicitly (1.005.000 = "một triệu không trăm linh năm nghìn")."""
    hundreds, rest = divmod(number, 100)
    tens, ones = divmod(rest, 10)
    words: list[str] = []
    if hundreds or not leading:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if ones:
            if words:
                words.append("linh")
            words.append(_DIGITS[ones])
        return words
    if tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if ones == 1 and tens > 1:
        words.append("mốt")
    elif ones == 5:
        words.append("lăm")
    elif ones:
        words.append(_DIGITS[ones])
    return words


def vnd_in_words(amount: int) -> str:
    """The amount in words, as Điều 2 of a decision and any payment document must state it.

    "Bảy triệu không trăm hai mươi nghìn đồng" for 7.020.000. Above 999 tỷ the scales repeat
    ("nghìn tỷ"), which is how such amounts are read.
    """
    if amount < 0:
        raise ValueError("Số tiền không được âm. (Amount must not be negative.)")
    if amount == 0:
        return "Không đồng"
    groups: list[int] = []
    rest = amount
    while rest:
        rest, group = divmod(rest, 1000)
        groups.append(group)
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            # A whole tỷ group is named even when empty, so "một nghìn tỷ" keeps its "tỷ".
            if index % 3 == 0 and index and any(groups[index + 1 : index + 3]):
                words.append("tỷ")
            continue
        words += _three_digits(group, leading=not words)
        if index:
            words.append("tỷ" if index % 3 == 0 else _SCALES[index % 3])
    text = " ".join(words) + " đồng"
    return text[0].upper() + text[1:]
