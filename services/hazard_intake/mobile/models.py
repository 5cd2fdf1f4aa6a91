"""What the phone page learns from intake before it draws anything (GET /m/config.json)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.vocabulary import HazardCategory


class CategoryOption(BaseModel):
    """One hazard category the teacher can pick, with the labels schools use."""

    value: HazardCategory
    label_zh: str
    label_en: str


class MobileConfig(BaseModel):
    """Where the page's other services are, as the phone reaches them, and the report's limits."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": "3f2a9c1d0b7e",
                    "registry_url": "http://127.0.0.1:8001",
                    "token_url": "http://127.0.0.1:8001/v1/auth/token",
                    "media_url": "http://127.0.0.1:8003",
                    "categories": [
                        {"value": "fire", "label_zh": "消防安全", "label_en": "Fire safety"}
                    ],
                    "max_photos": 9,
                    "description_min_length": 2,
                    "description_max_length": 1000,
                }
            ]
        }
    )

    version: str = Field(description="Changes whenever the page's files change")
    registry_url: str = Field(description="Grid registry: QR codes (GET /v1/qr/{token})")
    token_url: str = Field(description="Where the page logs in (OAuth2 password form)")
    media_url: str = Field(description="Media storage: upload slots and confirmations")
    categories: list[CategoryOption]
    max_photos: int
    description_min_length: int
    description_max_length: int
