"""What a phone sends when it reports a hazard, and what it gets back."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events import GeoPoint
from shared.vocabulary import HazardCategory

MAX_PHOTOS = 9


class ReportCreate(BaseModel):
    """A hazard report: a risk point (from its QR code) or a grid, and what is wrong."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "point_id": "demo-point-fire-exit",
                    "category": "fire",
                    "description": "三楼东侧消防通道堆放杂物，灭火器已过期",
                    "location": {"lat": 23.4761, "lon": 111.2791},
                    "photo_ids": [],
                    "submitted_at": "2026-11-23T08:15:00+08:00",
                }
            ]
        },
    )

    point_id: str | None = Field(None, max_length=64, description="From the QR code at the point")
    grid_id: str | None = Field(None, max_length=64, description="When no risk point applies")
    category: HazardCategory
    description: str = Field(min_length=2, max_length=1000)
    location: GeoPoint | None = None
    photo_ids: list[str] = Field(default_factory=list, max_length=MAX_PHOTOS)
    submitted_at: datetime | None = Field(
        None, description="When the phone wrote it (reports queued offline arrive later)"
    )

    @model_validator(mode="after")
    def _one_place(self) -> Self:
        if (self.point_id is None) == (self.grid_id is None):
            raise ValueError(
                "请填写风险点（point_id）或网格（grid_id）其中之一 | "
                "Give exactly one of point_id or grid_id"
            )
        return self


class ReportAccepted(BaseModel):
    """The answer to an accepted report: safe to forget locally."""

    report_id: str
    status: str = "accepted"
    message_zh: str = "已受理，正在分派责任人"
    message_en: str = "Accepted; the responsible person is being assigned"
