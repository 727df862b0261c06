"""The ministry's units: who is asked to nominate, and whom to chase."""

from __future__ import annotations

from enum import StrEnum

from pydantic import EmailStr
from sqlmodel import Field, SQLModel


class Language(StrEnum):
    """The language a person is written to in (Vietnamese unless they chose English)."""

    VI = "vi"
    EN = "en"


class UnitBase(SQLModel):
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=255)
    abbreviation: str | None = Field(default=None, max_length=64)
    kind: str = Field(default="khac", max_length=32)
    parent_code: str | None = Field(default=None, max_length=64)
    focal_name: str = Field(max_length=255)
    focal_email: EmailStr = Field(max_length=254)
    head_name: str = Field(max_length=255)
    head_email: EmailStr = Field(max_length=254)
    active: bool = True
    # Every email to the unit is in this language, whoever's process sends it.
    lang: Language = Field(default=Language.VI, max_length=8)


class UnitCreate(UnitBase):
    pass


class UnitUpdate(SQLModel):
    name: str | None = None
    parent_code: str | None = None
    focal_name: str | None = None
    focal_email: EmailStr | None = None
    head_name: str | None = None
    head_email: EmailStr | None = None
    active: bool | None = None
    lang: Language | None = None


class Unit(UnitBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class UnitPublic(UnitBase):
    id: int
