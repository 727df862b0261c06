"""Monitoring stays live without a flow run per upload: each accepted list is one Prefect event
(see test_portal_upload), and the scheduler refreshes the artifacts of the campaigns whose units
answered, at most once a minute, in one run for all of them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.flows.conftest import CODE
from tests.portal.support import Browser, Campaign, list_bytes, text_of, two_people


def _units_table() -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        [artifact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"{CODE}-units"])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    data = artifact.data
    table = json.loads(data) if isinstance(data, str) else list(data)
    return {row["Mã"]: row["Tình trạng"] for row in table}


def test_the_scheduler_refreshes_the_artifacts_after_units_answer(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path, prefect_server: None
) -> None:
    from flows.scheduler import AnsweredCampaigns

    first, second = campaign.codes[:2]
    refresh = AnsweredCampaigns()
    assert refresh() == []  # the call alone is no answer
    assert "Đã tiếp nhận" in text_of(
        browsers[first].upload(list_bytes(tmp_path, first, two_people()))
    )
    browsers[second].post("khong-de-nghi", {"name": "Nguyễn Văn An", "confirm": "yes"})
    assert refresh() == [CODE]  # two answers, one refresh
    states = _units_table()
    assert (states[first], states[second]) == ("Đã nộp", "Không đề nghị")
    assert refresh() == []  # nothing new: no run at all
