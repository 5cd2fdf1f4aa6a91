"""The shared field types refuse what later reads, exports and consumers could not handle."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Query
from openpyxl import Workbook
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from shared.errors import install_error_handlers, validation_details
from shared.fields import (
    MAX_SKIP,
    Day,
    Id,
    Int64,
    Moment,
    MomentOrLocal,
    SingleLineText,
    Skip,
    Text,
    TimeZoneName,
    Token,
    check_interval,
    without_control_characters,
)
from shared.responsibility import Calendar

FAR_PAST_WITH_OFFSET = "0001-01-01T00:00:00+14:00"
CONTROL = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f"]


class Thing(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: SingleLineText = Field(min_length=1, max_length=5)
    nickname: SingleLineText | None = Field(None, max_length=3)
    description: Text = Field("", max_length=20)
    items: list[Annotated[SingleLineText, Field(max_length=3)]] = Field([], max_length=2)


def errors(model: type[BaseModel], data: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        # As FastAPI reports a body's errors: under "body".
        found = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        return [(d.field, d.code) for d in validation_details(found)]
    return []


@pytest.mark.parametrize("char", CONTROL)
def test_text_refuses_control_characters(char: str) -> None:
    assert errors(Thing, {"name": f"a{char}b"}) == [("name", "string_pattern_mismatch")]
    assert errors(Thing, {"name": "ab", "description": f"a{char}b"}) == [
        ("description", "string_pattern_mismatch")
    ]


def test_text_keeps_line_breaks_and_tabs_but_a_single_line_does_not() -> None:
    assert errors(Thing, {"name": "ab", "description": "一\n二\r\n三\t四"}) == []
    for char in ("\n", "\r", "\t"):
        assert errors(Thing, {"name": f"a{char}b"}) == [("name", "string_pattern_mismatch")]
    assert errors(Thing, {"name": "ab", "items": ["x\ny"]}) == [
        ("items.0", "string_pattern_mismatch")
    ]


def test_text_refuses_what_xml_cannot_carry() -> None:
    assert errors(Thing, {"name": "a\uffffb"}) == [("name", "string_pattern_mismatch")]
    assert errors(Thing, {"name": "a\ud800b"}) == [("name", "string_unicode")]


def test_text_lengths_are_those_of_the_field() -> None:
    assert errors(Thing, {"name": "王芳"}) == []
    assert errors(Thing, {"name": "abcdef"}) == [("name", "string_too_long")]
    assert errors(Thing, {"name": ""}) == [("name", "string_too_short")]
    assert errors(Thing, {"name": "ab", "nickname": "abcd"}) == [("nickname", "string_too_long")]
    assert errors(Thing, {"name": "ab", "items": ["abcd"]}) == [("items.0", "string_too_long")]
    assert errors(Thing, {"name": "ab", "description": "x" * 21}) == [
        ("description", "string_too_long")
    ]


def test_pattern_errors_are_bilingual() -> None:
    with pytest.raises(ValidationError) as caught:
        Thing.model_validate({"name": "a\x0bb"})
    (detail,) = validation_details(caught.value.errors())
    assert detail.field == "name"
    assert "控制字符" in detail.message_zh
    assert "control characters" in detail.message_en


def test_without_control_characters_cleans_legacy_values() -> None:
    assert without_control_characters("王\x0b芳\x00") == "王芳"
    assert without_control_characters("一\n二\t三") == "一\n二\t三"
    assert without_control_characters("一\n二\t三", multi_line=False) == "一二三"
    # What is left can be written to a workbook (openpyxl refuses control characters).
    Workbook().active.append([without_control_characters("".join(map(chr, range(0x20))))])  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "value",
    ["demo-point-fire-exit", "0f6c2b9a1d8e4f7a9b3c5d2e1f0a6b7c", "h0000001", "a:b.c_d", "x" * 64],
)
def test_ids_of_every_kind_we_make_are_accepted(value: str) -> None:
    assert TypeAdapter(Id).validate_python(value) == value


@pytest.mark.parametrize(
    "value", ["", "x" * 65, "-leading", "a b", "a/b", "../etc", "a\x00", "编号"]
)
def test_ids_are_bounded_and_shaped(value: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Id).validate_python(value)


def test_tokens_are_url_safe() -> None:
    assert TypeAdapter(Token).validate_python("Zk3v9Qe1c2XbT0aLmN8pRs4W")
    for value in ("short", "a" * 129, "has space in it", "abc/def/ghi"):
        with pytest.raises(ValidationError):
            TypeAdapter(Token).validate_python(value)


def test_integers_fit_storage_and_paging() -> None:
    assert TypeAdapter(Skip).validate_python(MAX_SKIP) == MAX_SKIP
    assert TypeAdapter(Int64).validate_python(2**63 - 1) == 2**63 - 1
    for adapter, value in ((Skip, MAX_SKIP + 1), (Skip, -1), (Int64, 2**63), (Int64, -(2**63) - 1)):
        with pytest.raises(ValidationError):
            TypeAdapter(adapter).validate_python(value)


def test_days_are_bounded() -> None:
    adapter: TypeAdapter[date] = TypeAdapter(Day)
    assert adapter.validate_python("2000-01-01") == date(2000, 1, 1)
    assert adapter.validate_python("2100-12-31") == date(2100, 12, 31)
    for value in ("1999-12-31", "2101-01-01", "9999-12-31", "0001-01-01"):
        with pytest.raises(ValidationError, match="2000-01-01"):
            adapter.validate_python(value)


def test_moments_need_an_offset_and_are_bounded() -> None:
    adapter: TypeAdapter[datetime] = TypeAdapter(Moment)
    assert adapter.validate_python("2026-11-23T09:40:00+08:00").utcoffset() == timedelta(hours=8)
    assert adapter.validate_python("2100-12-31T23:59:59Z")
    with pytest.raises(ValidationError, match="offset"):
        adapter.validate_python("2026-11-23T09:40:00")
    for value in (
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "2000-01-01T00:00:00+08:00",  # 1999-12-31T16:00Z
        "2101-01-01T00:00:00Z",
    ):
        with pytest.raises(ValidationError, match="2100-12-31"):
            adapter.validate_python(value)
    extreme = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    with pytest.raises(ValidationError):
        adapter.validate_python(extreme)


def test_moments_without_offset_where_a_standard_allows_it_are_bounded_by_their_day() -> None:
    adapter: TypeAdapter[datetime] = TypeAdapter(MomentOrLocal)
    assert adapter.validate_python("2026-11-23T09:40:00").tzinfo is None
    assert adapter.validate_python("2026-11-23T09:40:00+08:00").tzinfo is not None
    for value in ("0001-01-01T00:00:00", "9999-12-31T23:59:59", FAR_PAST_WITH_OFFSET):
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


def test_time_zones_must_load() -> None:
    adapter: TypeAdapter[str] = TypeAdapter(TimeZoneName)
    for name in ("Asia/Shanghai", "UTC", "Asia/Urumqi", "Etc/GMT-8"):
        assert adapter.validate_python(name) == name
    for name in (
        "Mars/Olympus_Mons",
        "",
        "../../etc/passwd",
        "/etc/localtime",
        "localtime",
        "a\x00b",
    ):
        with pytest.raises(ValidationError):
            adapter.validate_python(name)


def test_intervals_refuse_an_end_before_the_start() -> None:
    day = date(2026, 10, 1)
    assert check_interval(day, day, inclusive=True) == day
    assert check_interval(None, day, inclusive=False) == day
    with pytest.raises(ValueError, match="end must not be before"):
        check_interval(day, day - timedelta(days=1), inclusive=True)
    with pytest.raises(ValueError, match="end must be after"):
        check_interval(day, day, inclusive=False)


def test_a_calendar_refuses_an_unknown_zone_and_an_inverted_holiday() -> None:
    assert errors(Calendar, {"timezone": "Mars/Olympus_Mons"}) == [("timezone", "invalid")]
    holiday = {"name": "国庆节", "start": "2026-10-07", "end": "2026-10-01"}
    assert errors(Calendar, {"holidays": [holiday]}) == [("holidays.0.end", "invalid")]
    assert errors(Calendar, {"holidays": [{**holiday, "name": "国庆\x0b节"}]}) == [
        ("holidays.0.name", "string_pattern_mismatch"),
        ("holidays.0.end", "invalid"),
    ]
    assert (
        errors(
            Calendar, {"timezone": "Asia/Shanghai", "holidays": [{**holiday, "end": "2026-10-07"}]}
        )
        == []
    )


async def test_query_parameters_answer_422_in_the_shared_shape() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/things/{thing_id}")
    async def things(
        thing_id: Id,
        skip: Annotated[Skip, Query()] = 0,
        at: Annotated[Moment | None, Query()] = None,
    ) -> dict[str, str]:
        return {"ok": "yes"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/things/a1", params={"skip": 10})).status_code == 200
        for path, params, field in (
            ("/things/a1", {"skip": 2**63}, "skip"),
            ("/things/a1", {"at": "9999-12-31T23:59:59-14:00"}, "at"),
            ("/things/a1", {"at": "0001-01-01T00:00:00+14:00"}, "at"),
            ("/things/a%20b", {}, "thing_id"),
        ):
            response = await client.get(path, params=params)
            assert response.status_code == 422, (path, params)
            (detail,) = response.json()["error"]["details"]
            assert detail["field"] == field
            assert detail["message_zh"]
            assert detail["message_en"]
