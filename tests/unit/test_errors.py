"""Every error names the field and the reason, in Chinese and English, in one shape."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, Field

from shared.errors import ApiError, install_error_handlers, validation_details
from shared.vocabulary import HazardCategory


class Body(BaseModel):
    category: HazardCategory
    description: str = Field(min_length=2, max_length=5)


def client() -> httpx.AsyncClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things")
    async def create(body: Body) -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/conflict")
    async def conflict() -> None:
        raise ApiError(409, "illegal_transition", "状态不允许", "Not allowed in this state")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_validation_errors_name_each_field_in_both_languages() -> None:
    response = await client().post(
        "/things", json={"category": "lava", "description": "太长的一段描述"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["message_zh"] == "请求内容有误"
    details = {d["field"]: d for d in error["details"]}
    assert details["category"]["message_zh"].startswith("取值无效，可选值：")
    assert "'facilities'" in details["category"]["message_en"]
    assert details["description"]["message_zh"] == "长度不能超过 5 个字符"
    assert details["description"]["location"] == "body"


async def test_missing_field_and_bad_json() -> None:
    missing = await client().post("/things", json={"category": "fire"})
    assert missing.json()["error"]["details"][0]["message_zh"] == "缺少必填字段"
    broken = await client().post(
        "/things", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert broken.json()["error"]["details"][0]["message_zh"] == "不是有效的 JSON"


def test_custom_validator_messages_keep_both_halves() -> None:
    details = validation_details(
        [{"type": "value_error", "loc": ("body",), "msg": "Value error, 请选择其一 | Pick one"}]
    )
    assert (details[0].message_zh, details[0].message_en) == ("请选择其一", "Pick one")


async def test_api_errors_and_unknown_routes_share_the_shape() -> None:
    conflict = await client().get("/conflict")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["message_zh"] == "状态不允许"
    unknown = await client().get("/nowhere")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message_zh"] == "资源不存在"


async def test_unexpected_errors_do_not_leak_internals() -> None:
    response = await client().get("/boom")
    assert response.status_code == 500
    assert "secret" not in response.text
    assert response.json()["error"]["message_zh"] == "服务内部错误"
