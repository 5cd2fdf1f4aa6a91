"""GeoReport v2 bodies in JSON and XML (UTF-8, Chinese kept as is); no I/O here.

The XML follows the spec's element names: a list becomes its root (`services`,
`service_requests`, `errors`, `attributes`, `values`) holding one element per entry (`service`,
`request`, `error`, `attribute`, `value`); None becomes an empty element, booleans `true`/`false`,
times ISO 8601 with the China offset (+08:00).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from services.hazard_intake.open311.models import Format

DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")
XML_MEDIA_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
}

# Characters XML 1.0 cannot carry at all (not even escaped): dropped rather than sent broken.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def wire_time(value: datetime) -> str:
    """Return a time as GeoReport v2 wants it: ISO 8601 with its offset (China time)."""
    return value.astimezone(DISPLAY_ZONE).isoformat(timespec="seconds")


def to_wire(content: Any, *, exclude_none: bool = False) -> Any:
    """Turn models, lists and times into plain JSON values, keeping the field order."""
    if isinstance(content, BaseModel):
        return to_wire(content.model_dump(exclude_none=exclude_none), exclude_none=exclude_none)
    if isinstance(content, dict):
        return {
            key: to_wire(value, exclude_none=exclude_none)
            for key, value in content.items()
            if not (exclude_none and value is None)
        }
    if isinstance(content, list | tuple):
        return [to_wire(value, exclude_none=exclude_none) for value in content]
    if isinstance(content, datetime):
        return wire_time(content)
    return content


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _element(name: str, value: Any) -> ET.Element:
    element = ET.Element(name)
    if isinstance(value, dict):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list):
        item = ITEM_NAMES.get(name, "item")
        for child in value:
            element.append(_element(item, child))
    elif value is not None:
        element.text = _text(value)
    return element


def xml_bytes(root: str, content: Any) -> bytes:
    """Return `content` (plain values, see `to_wire`) as a UTF-8 XML document under `root`."""
    body = ET.tostring(_element(root, content), encoding="unicode")
    return (XML_DECLARATION + body).encode()


def respond(
    fmt: Format, root: str, content: Any, *, status_code: int = 200, exclude_none: bool = False
) -> Response:
    """Answer `content` in the format the resource's suffix asked for."""
    plain = to_wire(content, exclude_none=exclude_none)
    if fmt is Format.XML:
        return Response(xml_bytes(root, plain), status_code=status_code, media_type=XML_MEDIA_TYPE)
    return JSONResponse(plain, status_code=status_code)


def error_response(fmt: Format, status_code: int, descriptions: Sequence[str]) -> Response:
    """Answer GeoReport v2 errors: [{code, description}] or <errors><error>…</error></errors>."""
    errors = [{"code": status_code, "description": text} for text in descriptions]
    return respond(fmt, "errors", errors, status_code=status_code)
