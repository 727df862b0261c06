"""The addresses ``make up`` prints next to the Prefect UI: each campaign's artifacts (the V2
UI's sidebar has no Artifacts entry, so the operator needs the address) and the operator area
of the portal where every document is downloaded."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from models.settings import Settings

# The artifact keys each campaign publishes (flows.common.artifact_key): "<code>-<suffix>".
ARTIFACT_SUFFIXES = ("summary", "units", "progress", "approval", "decision")


def campaign_codes(var_dir: Path) -> list[str]:
    """The campaigns in this stack's database, newest first; [] when there is none yet (or the
    database cannot be read: the links are a convenience, never a reason for `up` to fail)."""
    try:
        settings = Settings(var_dir=var_dir)
        engine = create_engine(settings.effective_database_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(text("SELECT code FROM campaign ORDER BY id DESC"))
                return [str(row[0]) for row in rows]
        finally:
            engine.dispose()
    except Exception:
        return []


def artifact_lines(ui_url: str, portal_url: str, codes: list[str]) -> list[str]:
    """The lines printed under "Prefect UI": artifacts per campaign, and the documents."""
    lines = [
        f"  Artifacts    {ui_url}/artifacts   (not in the V2 sidebar: open this address)",
    ]
    for code in codes[:5] or ["<MÃ-ĐỢT>"]:
        keys = ", ".join(f"-{suffix}" for suffix in ARTIFACT_SUFFIXES[1:])
        lines.append(f"    {code:<11}{ui_url}/artifacts/key/{code}-summary   (also {keys})")
    lines.append(
        f"  Documents    {portal_url}/dieu-hanh/   (decision, honourees list, units' "
        "templates; same login as the Prefect UI)"
    )
    return lines
