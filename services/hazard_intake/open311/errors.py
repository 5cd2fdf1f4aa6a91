"""Errors in GeoReport v2's format, each naming its field in Chinese and English.

Routes of the Open311 router use `Open311Route`, which renders every error raised while
answering (ours, the shared `ApiError`s of reused intake code, FastAPI's validation errors) as
[{code, description}] or <errors><error>, in the format the resource's suffix asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError

from services.hazard_intake.open311.models import Format
from services.hazard_intake.open311.render import error_response
from shared.errors import ApiError, ErrorDetail, validation_details

# Fields of the shared error shape that Open311 clients know by another name.
_FIELD_NAMES = {
    "attributes.point_id": "attribute[point_id]",
    "attributes.grid_id": "attribute[grid_id]",
}
# Errors without a field that are about a request header.
_HEADER_OF_CODE = {
    "idempotency_key_reused": "Idempotency-Key",
    "idempotency_key_missing": "Idempotency-Key",
}


class Open311Error(Exception):
    """An error to answer in GeoReport v2's format: HTTP status and one entry per problem."""

    def __init__(
        self,
        status_code: int,
        field: str,
        message_zh: str,
        message_en: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{field}: {message_en}")
        self.status_code = status_code
        self.descriptions = [describe(field, message_zh, message_en)]
        self.headers = dict(headers or {})

    @classmethod
    def many(cls, status_code: int, descriptions: Sequence[str]) -> Open311Error:
        """Build one error carrying several problems (already described)."""
        error = cls(status_code, "", "", "")
        error.descriptions = list(descriptions)
        return error


def describe(field: str, message_zh: str, message_en: str) -> str:
    """Return the bilingual description of a problem with `field` (Chinese first)."""
    if not field:
        return f"{message_zh} / {message_en}"
    return f"{field}：{message_zh} / {field}: {message_en}"


def _describe_details(
    details: Sequence[ErrorDetail], names: Mapping[str, str] | None = None
) -> list[str]:
    names = {**_FIELD_NAMES, **(names or {})}
    return [describe(names.get(d.field, d.field), d.message_zh, d.message_en) for d in details]


def invalid_form(exc: ValidationError, names: Mapping[str, str] | None = None) -> Open311Error:
    """Translate a failed check of the POST form into a 400 naming each field (as `names` says)."""
    errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
    return Open311Error.many(400, _describe_details(validation_details(errors), names))


def from_api_error(exc: ApiError) -> Open311Error:
    """Translate a shared ApiError (e.g. from reused intake code) into GeoReport v2's format."""
    body = exc.body
    status = 400 if exc.status_code == 422 and body.code == "validation_failed" else exc.status_code
    if body.details:
        descriptions = _describe_details(body.details)
    else:
        descriptions = [
            describe(_HEADER_OF_CODE.get(body.code, ""), body.message_zh, body.message_en)
        ]
    error = Open311Error.many(status, descriptions)
    error.headers = exc.headers
    return error


def format_of(request: Request) -> Format:
    """Return the format the resource's suffix asked for (JSON when it names none we serve)."""
    return Format.XML if request.url.path.endswith(".xml") else Format.JSON


class Open311Route(APIRoute):
    """A route that answers its errors in GeoReport v2's format."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler so that every error it raises is rendered the Open311 way."""
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Open311Error as exc:
                error = exc
            except ApiError as exc:
                error = from_api_error(exc)
            except RequestValidationError as exc:
                error = Open311Error.many(400, _describe_details(validation_details(exc.errors())))
            response = error_response(format_of(request), error.status_code, error.descriptions)
            response.headers.update(error.headers)
            return response

        return answer
