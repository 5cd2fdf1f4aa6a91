"""One error shape for every service, in Chinese and English.

Every 4xx names what is wrong and why, in both languages:

    {"error": {"code": "validation_failed", "message_zh": "...", "message_en": "...",
               "details": [{"field": "category", "location": "body", "code": "missing",
                            "message_zh": "缺少必填字段", "message_en": "Field required"}]}}

Validation errors from FastAPI/pydantic are translated here, so no service writes its own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.fields import PATTERN_MESSAGES

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    """What is wrong with one field."""

    field: str
    location: str
    code: str
    message_zh: str
    message_en: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    code: str
    message_zh: str
    message_en: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    """Envelope of every error response (documented in each OpenAPI schema)."""

    error: ErrorBody


class ApiError(Exception):
    """An error a client can act on; raised by service code, rendered by the handlers below."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        details: Sequence[ErrorDetail] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.status_code = status_code
        self.body = ErrorBody(
            code=code, message_zh=message_zh, message_en=message_en, details=list(details)
        )
        self.headers = dict(headers or {})


def not_found(what_zh: str, what_en: str) -> ApiError:
    """Build the 404 that also answers out-of-scope ids (no hint that the object exists)."""
    return ApiError(404, "not_found", f"{what_zh}不存在", f"{what_en} not found")


def field_error(
    field: str, code: str, message_zh: str, message_en: str, *, location: str = "body"
) -> ApiError:
    """Build a 422 about one field, for checks that pydantic cannot express."""
    detail = ErrorDetail(
        field=field, location=location, code=code, message_zh=message_zh, message_en=message_en
    )
    return ApiError(
        422,
        "validation_failed",
        "请求内容有误",
        "The request is invalid",
        details=[detail],
    )


# Chinese wording for pydantic's error types; `{...}` fields come from the error's ctx.
_ZH_BY_TYPE: dict[str, str] = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为文本",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "必须大于或等于 {ge}",
    "less_than": "必须小于 {lt}",
    "less_than_equal": "必须小于或等于 {le}",
    "enum": "取值无效，可选值：{expected}",
    "literal_error": "取值无效，可选值：{expected}",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "不是有效的 UUID",
    "datetime_type": "应为日期时间",
    "datetime_parsing": "不是有效的日期时间",
    "datetime_from_date_parsing": "不是有效的日期时间",
    "date_parsing": "不是有效的日期",
    "list_type": "应为列表",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多允许 {max_length} 项",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "json_invalid": "不是有效的 JSON",
    "url_parsing": "不是有效的网址",
    "url_scheme": "网址协议不被允许",
    "value_error": "取值无效",
    "assertion_error": "取值无效",
}


def _zh_message(error: Mapping[str, Any]) -> str:
    template = _ZH_BY_TYPE.get(str(error.get("type")), "取值无效")
    ctx = error.get("ctx") or {}
    try:
        return template.format(**{k: str(v).replace(" or ", " 或 ") for k, v in ctx.items()})
    except (KeyError, IndexError):
        return template.split("，")[0]


def _field_path(loc: Sequence[Any]) -> tuple[str, str]:
    location = str(loc[0]) if loc else "body"
    rest = [str(part) for part in loc[1:]]
    return ".".join(rest) or location, location


def validation_details(errors: Sequence[Mapping[str, Any]]) -> list[ErrorDetail]:
    """Translate pydantic/FastAPI validation errors into bilingual field details."""
    details = []
    for error in errors:
        field, location = _field_path(error.get("loc", ()))
        message_en = str(error.get("msg", "Invalid value"))
        # Custom validators raise "Value error, <zh> | <en>"; keep both halves.
        if error.get("type") == "value_error" and " | " in message_en:
            zh, en = message_en.removeprefix("Value error, ").split(" | ", 1)
            details.append(
                ErrorDetail(
                    field=field, location=location, code="invalid", message_zh=zh, message_en=en
                )
            )
            continue
        # The field types' own patterns (shared.fields) say what they refuse in both languages.
        pattern = (error.get("ctx") or {}).get("pattern")
        if error.get("type") == "string_pattern_mismatch" and pattern in PATTERN_MESSAGES:
            zh, en = PATTERN_MESSAGES[pattern]
            details.append(
                ErrorDetail(
                    field=field,
                    location=location,
                    code="string_pattern_mismatch",
                    message_zh=zh,
                    message_en=en,
                )
            )
            continue
        details.append(
            ErrorDetail(
                field=field,
                location=location,
                code=str(error.get("type", "invalid")),
                message_zh=_zh_message(error),
                message_en=message_en,
            )
        )
    return details


_STATUS_TEXT: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求有误", "Bad request"),
    401: ("unauthorized", "未登录或登录已过期", "Not authenticated"),
    403: ("forbidden", "无权执行此操作", "Not allowed"),
    404: ("not_found", "资源不存在", "Not found"),
    405: ("method_not_allowed", "不支持此请求方法", "Method not allowed"),
    409: ("conflict", "与当前状态冲突", "Conflict with the current state"),
    413: ("too_large", "请求内容过大", "Request too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "Unsupported media type"),
    422: ("validation_failed", "请求内容有误", "The request is invalid"),
    429: ("too_many_requests", "请求过于频繁", "Too many requests"),
}


def _error_json(
    status: int, body: ErrorBody, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content=ErrorResponse(error=body).model_dump(),
        headers=dict(headers or {}),
    )


def install_error_handlers(app: FastAPI) -> None:
    """Render every error, including FastAPI's own, in the shared bilingual shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error_json(exc.status_code, exc.body, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        body = ErrorBody(
            code="validation_failed",
            message_zh="请求内容有误",
            message_en="The request is invalid",
            details=validation_details(exc.errors()),
        )
        return _error_json(422, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, zh, en = _STATUS_TEXT.get(exc.status_code, ("error", "请求失败", "Request failed"))
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail else en
        return _error_json(
            exc.status_code,
            ErrorBody(code=code, message_zh=zh, message_en=detail),
            exc.headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return _error_json(
            500,
            ErrorBody(
                code="internal_error", message_zh="服务内部错误", message_en="Internal error"
            ),
        )


# The errors any route may answer, documented on every route: 403 among them, since every
# route that takes a token admits only the roles its row of the authorization matrix grants.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": f"{zh} / {en}"}
    for status, (_, zh, en) in _STATUS_TEXT.items()
    if status in (400, 401, 403, 404, 409, 422)
}
