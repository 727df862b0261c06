"""Templates: every kind in both languages, documented context, strictness, escaping, NFC."""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from jinja2 import TemplateNotFound, UndefinedError, meta

from notifications import render
from notifications.render import TEMPLATES_DIR, clean_header, render_email

# Sent to a conference invitee (services.ceremony): a person, named in the subject.
CEREMONY_KINDS = [
    "ceremony_invitation",
    "ceremony_reminder",
    "ceremony_escalation",
    "ceremony_confirmation",
]
KINDS = [
    "call",
    "reminder",
    "overdue",
    "escalation_unit_head",
    "escalation_department",
    "returned",
    "council_result",
    "approval_result",
    "invitation",
    "new_link",
    "receipt",
    "list_rejected",
    "not_eligible",
    "leader_approval",
    "council_convocation",
    "council_reminder",
    "council_member_result",
    "committee_task",
    "committee_reminder",
    "committee_escalation",
    *CEREMONY_KINDS,
]
# Addressed to the approving leader, not to a unit: they name the campaign, not a unit.
LEADER_KINDS = ["leader_approval"]
# Kinds sent to a council member, not to a unit: no unit in the subject.
MEMBER_KINDS = [
    "council_convocation",
    "council_reminder",
    "council_member_result",
    *CEREMONY_KINDS,
]
REMINDER_FAMILY = ["call", "reminder", "overdue", "escalation_unit_head", "escalation_department"]
LANGS = ["vi", "en"]


def _documented(path: Path) -> tuple[set[str], set[str]]:
    """(required, optional) keys from a template's leading ``{#- … -#}`` comment."""
    source = path.read_text(encoding="utf-8")
    match = re.match(r"\{#-?(.*?)-?#\}", source, re.S)
    assert match, f"{path} has no leading documentation comment"
    required: set[str] = set()
    optional: set[str] = set()
    target: set[str] | None = None
    for line in match.group(1).splitlines():
        if line.startswith("Context (required)"):
            target = required
        elif line.startswith("Context (optional)"):
            target = optional
        elif target is not None and (key := re.match(r"^  (\w+):", line)):
            target.add(key.group(1))
        elif line.strip() and not line.startswith("  "):
            target = None
    return required, optional


def _used(name: str) -> set[str]:
    """Context names a template reads itself (plus its layout's, for HTML)."""
    env = render.environment()
    source = (TEMPLATES_DIR / name).read_text(encoding="utf-8")
    used = set(meta.find_undeclared_variables(env.parse(source)))
    # Macro modules imported at the top are visible in blocks, but meta counts them as free.
    used -= set(re.findall(r'\{%\s*import\s+"[^"]+"\s+as\s+(\w+)', source))
    if name.endswith(".html.j2"):
        layout = (TEMPLATES_DIR / "_layout.html.j2").read_text(encoding="utf-8")
        used |= meta.find_undeclared_variables(env.parse(layout))
    return used


def test_every_kind_exists_in_both_languages() -> None:
    for lang in LANGS:
        assert render.available_kinds(lang) == sorted(KINDS)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_documented_context_is_exactly_what_the_template_needs(
    kind: str, lang: str, sample_context: dict[str, Any]
) -> None:
    for part in ("subject", "txt", "html"):
        name = f"{lang}/{kind}.{part}.j2"
        required, optional = _documented(TEMPLATES_DIR / name)
        assert required, f"{name}: no required keys documented"
        assert _used(name) <= required | optional, f"{name} reads undocumented keys"
        # The required keys alone are enough to render.
        env = render.environment()
        env.get_template(name).render({k: sample_context[k] for k in required})


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_renders(kind: str, lang: str, sample_context: dict[str, Any]) -> None:
    email = render_email(kind, sample_context, lang=lang)
    assert "\n" not in email.subject and "\r" not in email.subject
    addressee = "Phan Tâm" if kind in LEADER_KINDS + MEMBER_KINDS else "Cục Viễn thông"
    if kind in LEADER_KINDS:
        assert sample_context["campaign_name"] in email.subject
    elif kind not in MEMBER_KINDS:
        assert "Cục Viễn thông" in email.subject
    assert addressee in email.text and addressee in email.html
    assert email.html.lstrip().startswith("<!DOCTYPE html>")
    assert f'<html lang="{lang}">' in email.html
    assert "{{" not in email.text + email.html  # nothing left unrendered
    if lang == "vi":
        assert "Kính gửi" in email.text


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", REMINDER_FAMILY)
def test_reminder_family_names_deadline_days_and_instructions(
    kind: str, lang: str, sample_context: dict[str, Any]
) -> None:
    deadline = sample_context["deadline_text" if lang == "vi" else "deadline_text_en"]
    for days, phrase_vi, phrase_en in [
        (4, "còn 4 ngày làm việc", "4 working days left"),
        (0, "hôm nay là ngày cuối cùng", "today is the last day"),
        (-3, "đã quá hạn 3 ngày làm việc", "overdue by 3 working days"),
    ]:
        email = render_email(kind, sample_context | {"working_days_left": days}, lang=lang)
        phrase = phrase_vi if lang == "vi" else phrase_en
        for body in (email.text, email.html):
            assert deadline in body
            assert phrase in body
            assert "tdkt-2018_CVT.xlsx" in body
        assert sample_context["submission_url"] in email.text
        assert "https://thidua.example.gov.vn/nop/tok-123?a=1&amp;b=2" in email.html


def test_vietnamese_letter_register(sample_context: dict[str, Any]) -> None:
    call = render_email("call", sample_context)
    assert "Kính gửi: Nguyễn Thị Hoa" in call.text
    assert "Vụ Thi đua - Khen thưởng trân trọng đề nghị Cục Viễn thông" in call.text
    assert call.text.startswith("BỘ THÔNG TIN VÀ TRUYỀN THÔNG\nVỤ THI ĐUA - KHEN THƯỞNG\n")
    head = render_email("escalation_unit_head", sample_context)
    assert "Kính gửi: Đồng chí Trần Văn Bình – Thủ trưởng Cục Viễn thông" in head.text
    assert "Đồng gửi: Nguyễn Thị Hoa" in head.text
    department = render_email("escalation_department", sample_context)
    assert "Kính gửi: Vụ trưởng Vụ Thi đua - Khen thưởng" in department.text
    returned = render_email("returned", sample_context)
    assert "1. Trần Văn Dũng: Chưa đủ 3 năm liên tục" in returned.text
    assert "Thứ Hai, ngày 18/3/2019" in returned.subject
    invitation = render_email("invitation", sample_context)
    assert "mời" in invitation.subject.lower()
    assert "Quyết định số 123/QĐ-BTTTT" in invitation.text


@pytest.mark.parametrize("lang", LANGS)
def test_what_intake_and_review_tell_a_unit(lang: str, sample_context: dict[str, Any]) -> None:
    """The receipt, a refused list and ineligible dossiers: each says what happened, where and
    why, in the unit's language, and gives the unit its link."""
    vi = lang == "vi"
    receipt = render_email("receipt", sample_context, lang)
    assert "Danh sách CVT (bản sửa).xlsx" in receipt.subject
    for body in (receipt.text, receipt.html):
        assert "3f2a9c0e41b7" in body and "Lê Văn An" in body and "Chiến sĩ thi đua cơ sở" in body
        assert ("Thứ Hai, ngày 04/03/2019" if vi else "Monday, 4 March 2019") in body
        assert ("… và 3 hồ sơ khác" if vi else "… and 3 more") in body
    counts = "Hồ sơ mới: 2; hồ sơ cập nhật: 1; hồ sơ rút khỏi danh sách: 1"
    assert (counts if vi else "New dossiers: 2; updated: 1; withdrawn from the list: 1") in (
        receipt.text
    )
    assert ("1. Lê Văn An – Chiến sĩ thi đua cơ sở (mới)" if vi else "(new)") in receipt.text

    refused = render_email("list_rejected", sample_context, lang)
    located = 'Sheet "Cá nhân", dòng 6, cột "Ngày sinh": Ngày sinh ở tương lai'
    if not vi:
        located = 'Sheet "Cá nhân", row 6, column "Ngày sinh": Ngày sinh ở tương lai'
    assert f"1. {located}" in refused.text
    assert ("2. Cả tệp: " if vi else "2. The whole file: ") in refused.text
    assert ("… và 4 lỗi khác" if vi else "… and 4 more errors") in refused.text
    assert '<td style="padding:6px 8px;border-bottom:1px solid #e5e7eb;">6</td>' in refused.html

    ineligible = render_email("not_eligible", sample_context, lang)
    for body in (ineligible.text, ineligible.html):
        assert "Phạm Thu Hà" in body and "Đang bị xem xét kỷ luật" in body
        assert "Nghị định 91/2017/NĐ-CP, Điều 8" in body
    basis = "Căn cứ: Nghị định 91/2017/NĐ-CP, Điều 8" if vi else "Legal basis: Nghị định 91"
    assert basis in ineligible.text
    assert ineligible.text.count("Căn cứ:" if vi else "Legal basis:") == 1  # none for Tâm
    for email in (receipt, refused, ineligible):
        assert sample_context["submission_url"] in email.text
        assert "https://thidua.example.gov.vn/nop/tok-123?a=1&amp;b=2" in email.html


def test_english_uses_english_dates_when_given_and_vietnamese_otherwise(
    sample_context: dict[str, Any],
) -> None:
    assert "Friday, 8 March 2019" in render_email("reminder", sample_context, "en").subject
    del sample_context["deadline_text_en"]
    assert "Thứ Sáu, ngày 08/3/2019" in render_email("reminder", sample_context, "en").subject


def test_optional_keys_may_be_missing(sample_context: dict[str, Any]) -> None:
    for key in ("tier", "decision_number"):
        del sample_context[key]
    assert "(lần" not in render_email("reminder", sample_context).text
    assert "Quyết định số" not in render_email("invitation", sample_context).text
    sample_context["decision_number"] = None  # flows pass None before the decision exists
    assert "Quyết định số" not in render_email("approval_result", sample_context).text


def test_missing_key_fails_loudly(sample_context: dict[str, Any]) -> None:
    del sample_context["deadline_text"]
    with pytest.raises(UndefinedError):
        render_email("reminder", sample_context)


def test_unknown_kind_or_unsafe_name_is_refused(sample_context: dict[str, Any]) -> None:
    with pytest.raises(TemplateNotFound):
        render_email("no_such_kind", sample_context)
    with pytest.raises(TemplateNotFound):
        render_email("../_layout", sample_context)
    with pytest.raises(TemplateNotFound):
        render_email("call", sample_context, lang="../vi")


def test_unknown_language_falls_back_to_english(sample_context: dict[str, Any]) -> None:
    assert render_email("call", sample_context, lang="fr") == render_email(
        "call", sample_context, lang="en"
    )


def test_missing_vietnamese_template_falls_back_to_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_context: dict[str, Any]
) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, copy)
    (copy / "vi" / "reminder.html.j2").unlink()  # an incomplete vi set is not used at all
    monkeypatch.setattr(render, "TEMPLATES_DIR", copy)
    render.environment.cache_clear()
    try:
        email = render_email("reminder", sample_context, lang="vi")
        assert email.subject.startswith("[tdkt-2018] Reminder")
        assert "Dear Nguyễn Thị Hoa" in email.text and 'lang="en"' in email.html
    finally:
        monkeypatch.undo()
        render.environment.cache_clear()


def test_html_is_escaped_text_is_not(sample_context: dict[str, Any]) -> None:
    sample_context["unit_name"] = 'Phòng <b>"Kỹ thuật"</b> & Đổi mới'
    email = render_email("call", sample_context)
    assert "Phòng &lt;b&gt;&#34;Kỹ thuật&#34;&lt;/b&gt; &amp; Đổi mới" in email.html
    assert "<b>" not in email.html
    assert 'Phòng <b>"Kỹ thuật"</b> & Đổi mới' in email.text
    assert 'Phòng <b>"Kỹ thuật"</b> & Đổi mới' in email.subject


def test_output_is_nfc_even_for_decomposed_input(sample_context: dict[str, Any]) -> None:
    decomposed = unicodedata.normalize("NFD", "Sở Thông tin và Truyền thông Hà Tĩnh")
    assert not unicodedata.is_normalized("NFC", decomposed)
    sample_context["unit_name"] = decomposed
    email = render_email("reminder", sample_context)
    for value in (email.subject, email.text, email.html):
        assert unicodedata.is_normalized("NFC", value)
        assert "Sở Thông tin và Truyền thông Hà Tĩnh" in value


def test_subject_cannot_carry_line_breaks(sample_context: dict[str, Any]) -> None:
    sample_context["unit_name"] = "Cục A\r\nBcc: evil@example.com\n\nX-Injected: yes"
    email = render_email("reminder", sample_context)
    assert "\r" not in email.subject and "\n" not in email.subject
    assert "Cục A Bcc: evil@example.com X-Injected: yes" in email.subject
    # The body keeps the text as typed (it is never parsed as headers).
    assert "Cục A\r\nBcc: evil@example.com" in email.text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\r\nb", "a b"),
        ("a \n\n b", "a b"),
        ("a\x00\x1b[31mb", "a [31mb"),
        ("a\u2028b\u2029c\x85d", "a b c d"),
        ("  lead\ttab ", "lead tab"),
        ("Nguye\u0302\u0303n", "Nguyễn"),
        ("plain", "plain"),
    ],
)
def test_clean_header(raw: str, clean: str) -> None:
    assert clean_header(raw) == clean
