"""What an agency sends to record a disposition (处置反馈), and what it reads back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.fields import Moment, SingleLineText, Text
from shared.refs import PersonRef
from shared.vocabulary import AgencyKind, DispositionKind

MAX_NOTE = 2000
MAX_REFERENCE = 64
MAX_OFFICER = 100


class DispositionCreate(BaseModel):
    """How the agency handled the hazard: what it did, when, who, and its own number."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "kind": "dispatched",
                    "note": "已派民警到校门口处置，现场围墙缺口已设置临时围挡",
                    "acted_at": "2026-11-23T09:10:00+08:00",
                    "officer": "城关派出所 民警张明",
                    "reference": "J3304012026112300018",
                }
            ]
        },
    )

    kind: DispositionKind = Field(
        description=(
            "dispatched 已出警, inspected 已检查, case_filed 已立案, handled 已处置完毕, "
            "returned 退回（非本单位职责）"
        )
    )
    note: Text = Field(
        min_length=1,
        max_length=MAX_NOTE,
        description="What was done or found (shown to the school)",
    )
    acted_at: Moment | None = Field(
        None,
        description=(
            "When it happened, with time zone; default: now. At most 5 minutes ahead of the "
            "server's clock"
        ),
    )
    officer: SingleLineText | None = Field(
        None, max_length=MAX_OFFICER, description="The officer's name or unit (optional)"
    )
    reference: SingleLineText | None = Field(
        None,
        max_length=MAX_REFERENCE,
        description="The agency's own number, e.g. the police incident number 警情编号 (optional)",
    )

    @field_validator("officer", "reference", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class DispositionRead(BaseModel):
    """A disposition as stored; it also joins the hazard's timeline in the case service."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "disposition_id": "9f2c4e1a7b3d4c5e8f0a1b2c3d4e5f60",
                    "hazard_id": "4be1c2d3e4f5a6b7c8d9e0f1a2b3c4d5",
                    "agency_id": "demo-agency-police",
                    "agency_name": "城关派出所",
                    "agency_kind": "police",
                    "kind": "dispatched",
                    "kind_label_zh": "已出警",
                    "kind_label_en": "Officers dispatched",
                    "note": "已派民警到校门口处置，现场围墙缺口已设置临时围挡",
                    "acted_at": "2026-11-23T01:10:00Z",
                    "officer": "城关派出所 民警张明",
                    "reference": "J3304012026112300018",
                    "recorded_by": {"person_id": "demo-p-police", "name": "城关派出所值班室"},
                    "recorded_at": "2026-11-23T01:12:31.208Z",
                }
            ]
        }
    )

    disposition_id: str
    hazard_id: str
    agency_id: str
    agency_name: str
    agency_kind: AgencyKind
    kind: DispositionKind
    kind_label_zh: str
    kind_label_en: str
    note: str
    acted_at: datetime
    officer: str | None
    reference: str | None
    recorded_by: PersonRef
    recorded_at: datetime


class DispositionList(BaseModel):
    """Your agency's dispositions on one hazard, oldest first."""

    items: list[DispositionRead]


class ReferralRead(BaseModel):
    """A hazard referred to an agency (yours, or one of your subtree's for county operators),
    and how far its answers have gone."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "hazard_id": "4be1c2d3e4f5a6b7c8d9e0f1a2b3c4d5",
                    "agency_id": "demo-agency-police",
                    "agency_name": "城关派出所",
                    "category": "campus_security",
                    "category_label_zh": "校园周边治安",
                    "description": "校门口有校外人员聚集滋事",
                    "school_name": "城关镇第一小学",
                    "point_name": "南校门",
                    "referred_at": "2026-11-23T00:58:12Z",
                    "dispositions": 1,
                    "last_kind": "dispatched",
                    "last_kind_label_zh": "已出警",
                }
            ]
        }
    )

    hazard_id: str
    agency_id: str
    agency_name: str
    category: str
    category_label_zh: str
    description: str
    school_name: str | None
    point_name: str | None
    grid_name: str | None = Field(None, description="The grid's name: the place without a point")
    referred_at: datetime
    dispositions: int = Field(description="How many answers the agency recorded on it")
    last_kind: DispositionKind | None = Field(
        description="The agency's latest answer (none yet: null)"
    )
    last_kind_label_zh: str | None


class ReferralPage(BaseModel):
    """Hazards referred to your agency (county operators: to any agency, in your subtree),
    newest first."""

    items: list[ReferralRead]
