"""Request and response models of people (staff with posts, grid members)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.fields import Id, SingleLineText
from shared.vocabulary import Role


class AccountCreate(BaseModel):
    """A login for a person."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-zA-Z0-9._-]+$")
    password: str = Field(min_length=8, max_length=128)
    role: Role
    agency_id: Id | None = Field(
        None,
        description=(
            "The agency this login answers for (role agency only, and then required): the id "
            "agency integration gave it (POST :8006/v1/agencies)"
        ),
    )


class PersonCreate(BaseModel):
    """A person registered at a grid, optionally with a login."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "王芳",
                    "grid_id": "5b1e0c0e8f3a4b8e9d2a7c6f1e0d9c8b",
                    "post": "班主任",
                    "phone": "13800000000",
                    "account": {
                        "username": "wangfang",
                        "password": "a-long-secret",
                        "role": "teacher",
                    },
                }
            ]
        },
    )

    name: SingleLineText = Field(min_length=1, max_length=50)
    grid_id: Id = Field(description="The grid the person belongs to (their scope)")
    post: SingleLineText = Field(
        min_length=1, max_length=50, description="岗位, e.g. 校长, 班主任, 值周教师"
    )
    phone: str | None = Field(None, max_length=21, pattern=r"^\+?[0-9 -]{5,20}$")
    account: AccountCreate | None = None


class PersonRead(BaseModel):
    """A person as clients see them."""

    person_id: str
    name: str
    grid_id: str
    post: str
    phone: str | None
    username: str | None
    created_at: datetime
