"""Sending the list through the link: validated at once by the same service as the operator's
intake; a refused list is a table of located reasons and stores nothing; the same file twice is
"unchanged"; a double click stores once; an oversized body is refused before it is parsed."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlmodel import func
from sqlmodel import select as sql_select

from documents.nomination_list import AwardChoice, ListHeader, write_filled_list
from models.audit import AuditEvent
from models.db import session_scope
from models.nomination import Nomination, Submission
from models.rules.eligibility import load_rule_pack
from services import events
from tests.documents import hostile
from tests.documents.builders import individual, person
from tests.flows.conftest import CODE
from tests.portal.support import Browser, Campaign, Portal, list_bytes, text_of, two_people

SUBMISSION_DUE = date(2019, 2, 26)  # the sample campaign's (checked against the fixture)


def _counts() -> tuple[int, int, int]:
    with session_scope() as session:
        return tuple(  # type: ignore[return-value]
            int(session.exec(sql_select(func.count()).select_from(model)).one())
            for model in (Submission, Nomination, AuditEvent)
        )


@pytest.fixture
def published() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    seen: list[tuple[str, dict[str, Any]]] = []

    def sink(name: str, resource: Any, related: Any, payload: dict[str, Any]) -> None:
        seen.append((name, payload))

    events.connect(sink)
    yield seen
    events.disconnect(sink)


def test_an_accepted_list_says_what_was_received_and_announces_it_once(
    campaign: Campaign,
    browsers: dict[str, Browser],
    tmp_path: Path,
    published: list[tuple[str, dict[str, Any]]],
) -> None:
    unit = campaign.codes[0]
    result = browsers[unit].upload(list_bytes(tmp_path, unit, two_people()), "Danh sách 2018.xlsx")
    words = text_of(result)
    assert result.status_code == 200
    assert "Đã tiếp nhận" in words and "(Danh sách 2018.xlsx)" in words
    assert "Số hồ sơ trong danh sách 2 Hồ sơ mới 2 Hồ sơ cập nhật 0 Hồ sơ đơn vị rút 0" in words
    with session_scope() as session:
        [stored] = session.exec(sql_select(Submission)).all()
    assert (stored.submitted_by, stored.row_count) == (f"portal:{unit}", 2)
    names = [name for name, _ in published]
    assert names == ["tonvinh.unit.submitted", "tonvinh.campaign.submitted"]
    assert published[0][1]["via"] == "portal" and published[0][1]["created"] == 2
    # The page now lists both dossiers and the submission with its fingerprint.
    page = text_of(browsers[unit].open())
    assert "Nguyễn Thị Hương" in page and "Trần Văn Minh" in page
    assert stored.sha256[:12] in page and "Đã nộp danh sách" in page


def test_the_same_file_twice_is_unchanged_and_stored_once(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path
) -> None:
    unit = campaign.codes[0]
    data = list_bytes(tmp_path, unit, two_people())
    assert "Đã tiếp nhận" in text_of(browsers[unit].upload(data))
    again = browsers[unit].upload(data)
    assert again.status_code == 200
    assert "Không có gì thay đổi" in text_of(again)
    assert _counts()[:2] == (1, 2)


def test_a_double_click_stores_once(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path, portal: Portal
) -> None:
    unit = campaign.codes[0]
    data = list_bytes(tmp_path, unit, two_people())
    mine = browsers[unit]
    token = mine.csrf()
    answers: list[str] = []

    def send() -> None:
        kind = "application/octet-stream"
        response = mine.client.post(
            mine.page_url + "nop-danh-sach",
            data={"csrf": token},
            files={"file": ("l.xlsx", data, kind)},
        )
        answers.append(text_of(response))

    clicks = [threading.Thread(target=send) for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    assert sorted("Đã tiếp nhận" in a for a in answers) == [False, True]
    assert any("Không có gì thay đổi" in a for a in answers)
    assert _counts()[:2] == (1, 2)


def test_a_refused_list_is_a_table_of_reasons_and_stores_nothing(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path
) -> None:
    unit = campaign.codes[0]
    rows = [
        *two_people(),
        person("Lê Thị Mai", date(2031, 5, 12), row_number=6),  # born in the future
    ]
    before = _counts()
    refused = browsers[unit].upload(list_bytes(tmp_path, unit, rows))
    words = text_of(refused)
    assert refused.status_code == 422
    assert "Danh sách bị từ chối" in words and "không có gì được lưu" in words
    assert "Sheet Dòng Cột Lý do" in words
    assert "Cá nhân 6 Ngày sinh" in words  # the row as Excel numbers it
    assert _counts() == before


def test_another_units_list_is_refused(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path
) -> None:
    mine, theirs = campaign.codes[:2]
    before = _counts()
    refused = browsers[mine].upload(list_bytes(tmp_path, theirs, two_people()))
    assert refused.status_code == 422
    assert f'Danh sách này là của đơn vị "{theirs}"' in text_of(refused)
    assert _counts() == before


def test_a_form_without_a_file_names_the_field(
    campaign: Campaign, browsers: dict[str, Browser]
) -> None:
    mine = browsers[campaign.codes[0]]
    answer = mine.post("nop-danh-sach", files={"file": ("", b"", "application/octet-stream")})
    assert answer.status_code == 422
    words = text_of(answer)
    assert "Mục “Tệp danh sách”: chưa chọn tệp, hoặc tệp rỗng" in words
    assert 'aria-invalid="true"' in answer.text and 'id="file-error"' in answer.text


# ------------------------------------------------------------------------ hostile files


def _awards() -> list[AwardChoice]:
    pack = load_rule_pack("nd91-2017")
    return [
        AwardChoice(code, award.name_vi, award.category, award.nominee)
        for code, award in pack.awards.items()
    ]


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The intake tests' hostile classes, each built inside unit vu_bc's own list."""
    folder = tmp_path_factory.mktemp("hostile-portal")
    header = ListHeader(
        CODE, "Tôn vinh điển hình tiên tiến năm 2018", "vu_bc", "vu_bc", SUBMISSION_DUE
    )
    people = [individual("Nguyễn Thị Hương", "CSTDCS", 1)]
    template = write_filled_list(folder / "mau.xlsx", header, _awards(), people)
    built = {
        "zip_bomb": hostile.inflated_xml(template, folder / "inflated.xlsx", gigabytes=0.3),
        "too_many_parts": hostile.many_parts(template, folder / "parts.xlsx"),
        "unsized_flood": hostile.blank_row_flood(
            template, folder / "unsized.xlsx", 300_000, dimension=False
        ),
        "error_flood": hostile.error_flood(template, folder / "errors.xlsx", 30_000),
        "styles": hostile.styles_bomb(template, folder / "styles.xlsx"),
        "long_tag": hostile.long_tag(template, folder / "tag.xlsx"),
        "giant_row": hostile.giant_row(template, folder / "row.xlsx"),
        "truncated": hostile.truncated(template, folder / "cut.xlsx"),
    }
    files = {name: path.read_bytes() for name, path in built.items()}
    files.update({f"wrong_{kind}": data for kind, data in hostile.WRONG_TYPES.items()})
    return files


def test_every_hostile_file_is_refused_whole_with_a_reason(
    campaign: Campaign, browsers: dict[str, Browser], hostile_files: dict[str, bytes]
) -> None:
    assert campaign.submission_due == SUBMISSION_DUE
    mine = browsers["vu_bc"]
    before = _counts()
    for name, data in hostile_files.items():
        started = time.monotonic()
        answer = mine.upload(data, f"{name}.xlsx")
        words = text_of(answer)
        assert answer.status_code == 422, (name, words[:300])
        assert "Danh sách bị từ chối" in words, name
        reasons = words.split("Sheet Dòng Cột Lý do", 1)[1]
        assert len(reasons.split("← Về trang")[0].strip()) > 20, (name, reasons[:200])
        assert time.monotonic() - started < 60, name
    assert _counts() == before


def test_a_flood_of_blank_rows_ends_the_sheet_and_the_real_rows_are_taken(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path
) -> None:
    """400,000 blank rows declared after one real person: reading stops at the blank run."""
    unit = campaign.codes[0]
    template = tmp_path / "mau.xlsx"
    template.write_bytes(list_bytes(tmp_path, unit, two_people()[:1], "one.xlsx"))
    flood = hostile.blank_row_flood(template, tmp_path / "blank.xlsx", 400_003)
    started = time.monotonic()
    answer = browsers[unit].upload(flood.read_bytes())
    assert answer.status_code == 200 and "Hồ sơ mới 1" in text_of(answer)
    assert time.monotonic() - started < 30


# ------------------------------------------------------------------------ the body cap


def _raw_post(portal: Portal, path: str, head: dict[str, str], body: Iterator[bytes]) -> str:
    """POST over a raw socket, sending ``body`` until the server answers; returns the answer's
    head and start (a client like httpx would stop at a broken pipe instead of reading it)."""
    address = urlsplit(portal.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        lines = [f"POST {path} HTTP/1.1", f"Host: {address.netloc}"]
        lines += [f"{name}: {value}" for name, value in head.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        for chunk in body:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = b""
        sock.settimeout(10)
        while b"</html>" not in answer:
            try:
                data = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not data:
                break
            answer += data
    return answer.decode("utf-8", errors="replace")


def test_a_200_mb_upload_is_refused_before_it_is_read(campaign: Campaign, portal: Portal) -> None:
    path = f"/nop/{campaign.token(campaign.codes[0])}/nop-danh-sach"
    head = {
        "Content-Type": "multipart/form-data; boundary=x",
        "Content-Length": str(200 * 1024 * 1024),
    }
    started = time.monotonic()
    answer = _raw_post(portal, path, head, iter([b"--x\r\n" + b"a" * 65536]))
    assert answer.startswith("HTTP/1.1 413")
    assert "Tệp quá lớn" in answer and "tối đa 20 MB" in answer
    assert "content-security-policy" in answer.lower()
    assert time.monotonic() - started < 5
    assert _counts()[:2] == (0, 0)


def test_a_body_without_a_length_is_counted_and_cut_at_the_cap(
    campaign: Campaign, portal: Portal
) -> None:
    path = f"/nop/{campaign.token(campaign.codes[0])}/nop-danh-sach"
    head = {"Content-Type": "multipart/form-data; boundary=x", "Transfer-Encoding": "chunked"}
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b"%x\r\n%s\r\n" % (
            len(
                part := b'--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
            ),
            part,
        )
        block = b"0" * (1024 * 1024)
        for _ in range(200):
            sent += len(block)
            yield b"%x\r\n%s\r\n" % (len(block), block)

    answer = _raw_post(portal, path, head, chunks())
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert "Tệp quá lớn" in answer
    assert sent < 40 * 1024 * 1024  # stopped near the 20 MB cap, not at 200 MB
