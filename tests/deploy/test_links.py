"""What `make up` prints under the Prefect UI's address: the artifacts (absent from the V2
sidebar), each campaign's summary card, and the operator area (no stack needed)."""

from __future__ import annotations

from pathlib import Path

from deploy.links import artifact_lines, campaign_codes
from models.settings import get_settings
from tests.service_layer.conftest import plan_and_call

UI, PORTAL = "http://127.0.0.1:4200/v2", "http://127.0.0.1:8030"


def test_the_links_name_the_artifacts_page_each_campaign_and_the_documents(
    database: str,
) -> None:
    plan_and_call()
    codes = campaign_codes(get_settings().var_dir)
    assert codes == ["tdkt-2018"]
    text = "\n".join(artifact_lines(UI, PORTAL, codes))
    assert f"{UI}/artifacts " in text
    assert f"{UI}/artifacts/key/tdkt-2018-summary" in text
    assert "-approval" in text and "-decision" in text
    assert f"{PORTAL}/dieu-hanh/" in text


def test_no_database_yet_gives_a_placeholder_not_an_error(tmp_path: Path) -> None:
    assert campaign_codes(tmp_path / "nothing-here") == []
    assert "<MÃ-ĐỢT>-summary" in "\n".join(artifact_lines(UI, PORTAL, []))
