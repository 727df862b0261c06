"""Schema migrations with Alembic, driven from code so the CLI and tests share one path."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from models.db import normalise_url
from models.settings import get_settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        # "%" must be doubled: Alembic reads the value through configparser interpolation.
        "sqlalchemy.url",
        normalise_url(url or get_settings().effective_database_url).replace("%", "%%"),
    )
    return config


def upgrade(url: str | None = None) -> None:
    """Bring the database to the newest schema; a no-op when it is already there."""
    settings = get_settings()
    if not settings.database_url:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
