"""Request and response models of grids."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.events import PersonRef
from shared.fields import Id, SingleLineText
from shared.vocabulary import GridLevel

# Depth order of levels: a child sits strictly below its parent.
LEVEL_RANK = {
    GridLevel.BUREAU: 1,
    GridLevel.TOWNSHIP: 2,
    GridLevel.SCHOOL: 3,
    GridLevel.ZONE: 4,
    GridLevel.OUTSIDE: 4,
}


class GridCreate(BaseModel):
    """A new grid under `parent_id` (or a new tree root, for platform administrators)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "教学楼三楼",
                    "level": "L4",
                    "parent_id": "5b1e0c0e8f3a4b8e9d2a7c6f1e0d9c8b",
                    "head_person_id": "0f6c2b9a1d8e4f7a9b3c5d2e1f0a6b7c",
                }
            ]
        },
    )

    name: SingleLineText = Field(
        min_length=1, max_length=100, description="名称, e.g. 城关镇第一小学"
    )
    level: GridLevel
    parent_id: Id | None = None
    head_person_id: Id | None = Field(None, description="网格长; none = blind spot")


class GridRead(BaseModel):
    """A grid as clients see it."""

    grid_id: str
    code: str | None = Field(None, description="The school's own code (from an Excel list)")
    name: str
    level: GridLevel
    parent_id: str | None
    path: str
    head: PersonRef | None
    blind_spot: bool = Field(description="True when nobody answers for this grid (盲区)")
    version: int
    created_at: datetime
