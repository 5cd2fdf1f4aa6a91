"""What a phone sends when it reports a hazard, and what it gets back."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.errors import ErrorBody
from shared.events import GeoPoint
from shared.fields import Id, Moment, SingleLineText, Text
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

    point_id: Id | None = Field(None, description="From the QR code at the point")
    grid_id: Id | None = Field(None, description="When no risk point applies")
    category: HazardCategory
    description: Text = Field(min_length=2, max_length=1000)
    location: GeoPoint | None = None
    photo_ids: list[Id] = Field(default_factory=list, max_length=MAX_PHOTOS)
    submitted_at: Moment | None = Field(
        None,
        description="When the phone wrote it, with its offset (reports queued offline arrive "
        "later)",
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


MAX_BATCH = 100


class ReportBatch(BaseModel):
    """Reports a phone queued while offline, each with the Idempotency-Key it was written with.

    Each item is a report (the fields of POST /v1/reports) plus `idempotency_key`; items are
    checked one by one, so one bad item does not hold back the others.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reports": [
                        {
                            "idempotency_key": "0b7f4c1e-8a57-4c1d-9d8e-2f1a5c3e7b90",
                            "point_id": "demo-point-fire-exit",
                            "category": "fire",
                            "description": "消防通道堆放杂物",
                            "submitted_at": "2026-11-23T07:55:00+08:00",
                        },
                        {
                            "idempotency_key": "5d2e9a40-1b3c-4f6e-8a7d-9c0b1e2f3a4d",
                            "grid_id": "demo-zone-canteen",
                            "category": "food_hygiene",
                            "description": "食堂留样冰箱温度过高",
                            "submitted_at": "2026-11-23T08:02:00+08:00",
                        },
                    ]
                }
            ]
        },
    )

    reports: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


class BatchItem(ReportCreate):
    """One report of a batch: a report and its own Idempotency-Key."""

    idempotency_key: SingleLineText = Field(min_length=1, max_length=255)


class BatchItemResult(BaseModel):
    """What became of one item: 202 accepted, else the error that refused it."""

    index: int = Field(description="Position of the item in the batch, from 0")
    idempotency_key: str | None
    status: int = Field(description="202, or the status a single POST would have answered")
    report_id: str | None = None
    error: ErrorBody | None = None


class BatchAccepted(BaseModel):
    """Per-item results, in the batch's order. Resend only the items that were not 202/4xx."""

    accepted: int
    rejected: int
    results: list[BatchItemResult]
