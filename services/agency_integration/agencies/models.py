"""Agencies (police, market regulation, ...) and what they subscribe to."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints

from shared.fields import SingleLineText
from shared.vocabulary import AgencyKind, HazardCategory


class AgencyCreate(BaseModel):
    """An agency that receives the hazards of some categories in the caller's area."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "城关派出所",
                    "kind": "police",
                    "categories": ["campus_security", "traffic", "bullying"],
                    "webhook_url": "https://police.example.gov.cn/xiaoan/webhook",
                }
            ]
        },
    )

    name: SingleLineText = Field(min_length=1, max_length=100)
    kind: AgencyKind
    categories: list[HazardCategory] = Field(min_length=1, max_length=20)
    webhook_url: Annotated[AnyHttpUrl, UrlConstraints(max_length=2000)] | None = Field(
        None, description="Where signed events are POSTed"
    )


class AgencyRead(BaseModel):
    """An agency; the signing secret is shown once, when the agency is created."""

    agency_id: str
    name: str
    kind: AgencyKind
    categories: list[HazardCategory]
    webhook_url: str | None
    area_path: str
    created_at: datetime
    webhook_secret: str | None = Field(
        None, description="whsec_… secret to verify signatures; only in the creation answer"
    )
