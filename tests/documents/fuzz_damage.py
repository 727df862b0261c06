"""Byte-level damage for the reader's fuzzing (see ``fuzz``): truncated, flipped, spliced and
reshuffled zip members, and foreign XML inside the parts."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

# Foreign XML spliced into a part: characters XML forbids, broken markup, entities, and cells
# whose values openpyxl cannot convert or whose references point nowhere.
SNIPPETS = (
    b"&#1;",
    b"&#x0;",
    b"\x00",
    b"\x0b",
    b"\xff\xfe",
    b"\xc3",
    b"<",
    b"</row>",
    b"<x>",
    b"&amp",
    b"&lol;",
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaa">]>',
    b'<c r="B4" t="s"><v>999999</v></c>',
    b'<c r="B4" t="s"><v>-1</v></c>',
    b'<c r="D4" t="n"><v>abc</v></c>',
    b'<c r="D4" t="d"><v>not a date</v></c>',
    b'<c r="D4" s="99999"><v>1e308</v></c>',
    b'<c r="D4" s="1"><v>-1e308</v></c>',
    b'<c r="B4" t="b"><v>7</v></c>',
    b'<c r="B4" t="e"><v>#BOGUS</v></c>',
    '<c r="B4" t="inlineStr"><is><t>Lê Thị Mai</t></is></c>'.encode(),
    b'<c r="ZZZZ4"><v>1</v></c>',
    b'<c r="A0"><v>1</v></c>',
    b'<row r="0"><c r="B0"><v>1</v></c></row>',
    b'<row r="-4"/>',
    b'<row r="99999999999"><c r="B1"><v>1</v></c></row>',
    b'<mergeCell ref="B4:C9"/>',
    b'<mergeCell ref="XFD1048576:A1"/>',
    b'<dimension ref="A1:ZZ999999999"/>',
)


def _xml_positions(content: bytes) -> list[int]:
    """Places worth splicing at: just after each tag (where elements and text begin)."""
    return [i + 1 for i, byte in enumerate(content) if byte == ord(">")][:4000]


@dataclass(frozen=True)
class Damage:
    """One change to the bytes or to the zip's members."""

    kind: str
    member: int = 0  # which member, for the zip operations
    other: int = 0  # a second member, or a position
    fraction: float = 0.0  # where, as a share of the length
    payload: bytes = b""

    def apply(self, data: bytes) -> bytes:
        if self.kind in ("truncate", "flip", "insert", "overwrite"):
            return self._bytes(data)
        try:
            source = zipfile.ZipFile(io.BytesIO(data))
            infos = source.infolist()
            members = [(info, source.read(info)) for info in infos]
        except Exception:  # an earlier damage broke the zip: nothing to splice
            return data
        if not members:
            return data
        index = self.member % len(members)
        info, content = members[index]
        at = int(self.fraction * len(content))
        if self.kind == "drop":
            del members[index]
        elif self.kind == "cut":
            members[index] = (info, content[:at])
        elif self.kind == "splice":
            positions = _xml_positions(content) or [at]
            where = positions[int(self.fraction * len(positions)) % len(positions)]
            members[index] = (info, content[:where] + self.payload + content[where:])
        elif self.kind == "swap":
            members[index] = (info, members[self.other % len(members)][1])
        elif self.kind == "duplicate":
            members.append((info, content[:at]))
        elif self.kind == "rename":
            renamed = zipfile.ZipInfo(info.filename + self.payload.decode("latin-1"))
            members[index] = (renamed, content)
        elif self.kind == "store":
            stored = zipfile.ZipInfo(info.filename, info.date_time)
            members[index] = (stored, content)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for member_info, member in members:
                target.writestr(member_info, member)
        return out.getvalue()

    def _bytes(self, data: bytes) -> bytes:
        at = int(self.fraction * len(data))
        if self.kind == "truncate":
            return data[:at]
        if self.kind == "flip":
            if not data:
                return data
            at = min(at, len(data) - 1)
            return data[:at] + bytes([data[at] ^ (self.other % 255 + 1)]) + data[at + 1 :]
        if self.kind == "insert":
            return data[:at] + self.payload + data[at:]
        return data[:at] + self.payload + data[at + len(self.payload) :]  # overwrite


def damage() -> st.SearchStrategy[list[Damage]]:
    """One to three changes to a list's bytes."""
    fraction = st.floats(0, 1, exclude_max=True)
    junk = st.one_of(st.binary(min_size=1, max_size=64), st.sampled_from(SNIPPETS))
    one = st.one_of(
        st.builds(Damage, st.just("truncate"), fraction=fraction),
        st.builds(Damage, st.just("flip"), other=st.integers(0, 254), fraction=fraction),
        st.builds(
            Damage, st.sampled_from(("insert", "overwrite")), fraction=fraction, payload=junk
        ),
        st.builds(
            Damage,
            st.sampled_from(("drop", "cut", "swap", "duplicate", "store")),
            member=st.integers(0, 40),
            other=st.integers(0, 40),
            fraction=fraction,
        ),
        st.builds(
            Damage,
            st.just("splice"),
            member=st.integers(0, 40),
            fraction=fraction,
            payload=st.sampled_from(SNIPPETS),
        ),
        st.builds(
            Damage,
            st.just("rename"),
            member=st.integers(0, 40),
            payload=st.sampled_from((b"x", b".bak", b"/", b"\\..", b"\xe1\xba\xa1")),
        ),
    )
    return st.lists(one, min_size=1, max_size=3)


def damaged(data: bytes, changes: Sequence[Damage]) -> bytes:
    for change in changes:
        data = change.apply(data)
    return data
