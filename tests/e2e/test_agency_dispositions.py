"""Agencies answer back (处置反馈): a disposition on a hazard referred to the agency joins the
hazard's timeline once, in Chinese, and the status does not change; another agency, or a hazard
never referred to the caller's agency, is 404; a bad body is 422 naming the field."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.client import ApiClient
from tests.support.platform import Platform
from tests.support.school import PASSWORD, School, hazard, new_school, notice, report
from tests.support.waiting import wait_until

DISPATCHED = {
    "kind": "dispatched",
    "note": "已派民警到校门口处置，驱散聚集人员",
    "officer": "民警张明",
    "reference": "J2026112300018",
}


@pytest.fixture
async def police(platform: Platform, http: httpx.AsyncClient) -> ApiClient:
    # The demo police station: campus security, traffic and bullying in the demo county.
    return await ApiClient.login(platform, http, "demo-police")


@pytest.fixture
async def school(admin: ApiClient) -> School:
    return await new_school(admin, grade="orange", category="campus_security")


def dispositions(hazard_id: str) -> str:
    return f"/v1/hazards/{hazard_id}/dispositions"


async def referred(agency: ApiClient, hazard_id: str) -> dict[str, Any]:
    """Wait until the hazard was referred to the agency (its dispositions answer 200)."""

    async def probe() -> dict[str, Any] | None:
        response = await agency.get("agency_integration", dispositions(hazard_id))
        return dict(response.json()) if response.status_code == 200 else None

    return await wait_until(probe, timeout=60, what=f"hazard {hazard_id} referred to the agency")


async def timeline_of(client: ApiClient, hazard_id: str, count: int) -> list[dict[str, Any]]:
    """Wait until the hazard's timeline holds `count` agency dispositions; return them."""

    async def probe() -> list[dict[str, Any]] | None:
        body = (await client.get("hazard_cases", f"/v1/hazards/{hazard_id}")).json()
        found = [e for e in body["timeline"] if e["action"] == "agency_disposition"]
        return found if len(found) >= count else None

    return await wait_until(probe, timeout=60, what=f"{count} dispositions on the timeline")


async def test_police_disposition_joins_the_timeline_once_and_leaves_the_status(
    platform: Platform, admin: ApiClient, police: ApiClient, school: School
) -> None:
    teacher = await school.login(admin, school.keeper)
    head = await school.login(admin, school.head)
    hazard_id = await report(
        teacher, school, "校门口有校外人员聚集滋事", category="campus_security"
    )
    before = await hazard(head, hazard_id, status="assigned")
    assert (await referred(police, hazard_id))["items"] == []
    # The police station's feed lists it among what it has yet to answer.
    waiting = (await police.get("agency_integration", "/v1/referrals", unanswered="true")).json()
    (listed,) = [item for item in waiting["items"] if item["hazard_id"] == hazard_id]
    assert listed["description"] == "校门口有校外人员聚集滋事"
    assert (listed["category_label_zh"], listed["dispositions"]) == ("校园周边治安", 0)
    assert (await head.get("agency_integration", "/v1/referrals")).status_code == 403

    key = uuid.uuid4().hex
    first = await police.post("agency_integration", dispositions(hazard_id), DISPATCHED, key=key)
    assert first.status_code == 201, first.text
    recorded = first.json()
    assert recorded["hazard_id"] == hazard_id
    assert recorded["agency_name"] == "城关派出所"
    assert recorded["kind_label_zh"] == "已出警"
    assert recorded["recorded_by"]["name"] == "城关派出所值班室"
    assert recorded["reference"] == "J2026112300018"

    # The same request again replays the first answer; nothing is recorded twice.
    again = await police.post("agency_integration", dispositions(hazard_id), DISPATCHED, key=key)
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == recorded
    reused = await police.post(
        "agency_integration", dispositions(hazard_id), {**DISPATCHED, "note": "另一条"}, key=key
    )
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert (await police.get("agency_integration", dispositions(hazard_id))).json() == {
        "items": [recorded]
    }

    # The school head sees it on the hazard's timeline, in Chinese; the status is unchanged.
    (entry,) = await timeline_of(head, hazard_id, 1)
    assert entry["note_zh"] == (
        "城关派出所：已出警（民警张明，编号 J2026112300018） — 已派民警到校门口处置，驱散聚集人员"
    )
    assert entry["note_en"].startswith("城关派出所: Officers dispatched (民警张明, ref. J2026")
    assert entry["actor"]["name"] == "城关派出所值班室"
    assert entry["details"]["agency_id"] == "demo-agency-police"
    assert entry["details"]["kind"] == "dispatched"
    assert entry["details"]["disposition_id"] == recorded["disposition_id"]
    assert entry["responsible"] == before["assignee"]

    # A later answer joins after it: the first still appears once.
    handled = {"kind": "handled", "note": "聚集人员已劝离，已加强上下学时段巡逻"}
    second = await police.post("agency_integration", dispositions(hazard_id), handled)
    assert second.status_code == 201, second.text
    entries = await timeline_of(head, hazard_id, 2)
    assert [e["details"]["kind"] for e in entries] == ["dispatched", "handled"]
    assert entries[1]["note_zh"] == "城关派出所：已处置完毕 — 聚集人员已劝离，已加强上下学时段巡逻"
    after = await hazard(head, hazard_id)
    assert after["status"] == before["status"] == "assigned"
    assert after["assignee"] == before["assignee"]
    assert after["rectify_by"] == before["rectify_by"]
    assert len([e for e in after["timeline"] if e["action"] == "agency_disposition"]) == 2
    feed = (await police.get("agency_integration", "/v1/referrals")).json()["items"]
    (answered,) = [item for item in feed if item["hazard_id"] == hazard_id]
    assert (answered["dispositions"], answered["last_kind_label_zh"]) == (2, "已处置完毕")
    waiting = (await police.get("agency_integration", "/v1/referrals", unanswered="true")).json()
    assert hazard_id not in [item["hazard_id"] for item in waiting["items"]]

    # The person who answers for the hazard is told of each answer, once.
    told = await notice(teacher, hazard_id, "agency_answer")
    assert told["title_zh"] in ("城关派出所：已出警", "城关派出所：已处置完毕")

    async def both_told() -> list[dict[str, Any]] | None:
        items = (await teacher.get("notifications", "/v1/notifications", limit=200)).json()
        mine = [
            n
            for n in items["items"]
            if n["hazard_id"] == hazard_id and n["kind"] == "agency_answer"
        ]
        return mine if len(mine) >= 2 else None

    answers = await wait_until(both_told, timeout=60, what="both answers in the inbox")
    assert sorted(n["title_zh"] for n in answers) == [
        "城关派出所：已出警",
        "城关派出所：已处置完毕",
    ]


async def test_other_agencies_and_hazards_not_referred_are_out_of_reach(
    platform: Platform, http: httpx.AsyncClient, admin: ApiClient, police: ApiClient, school: School
) -> None:
    tag = uuid.uuid4().hex[:6]
    created = await admin.post(
        "agency_integration",
        "/v1/agencies",
        {"name": f"城关市场监管所{tag}", "kind": "market_regulation", "categories": ["fire"]},
    )
    assert created.status_code == 201, created.text
    agency_id = created.json()["agency_id"]

    # An agency login must name its agency.
    person = {"name": f"监管联络员{tag}", "grid_id": "demo-county", "post": "联络员"}
    login = {"username": f"market-{tag}", "password": PASSWORD, "role": "agency"}
    untied = await admin.post("grid_registry", "/v1/people", {**person, "account": login})
    assert untied.status_code == 422, untied.text
    assert untied.json()["error"]["details"][0]["field"] == "account.agency_id"
    tied = await admin.post(
        "grid_registry", "/v1/people", {**person, "account": {**login, "agency_id": agency_id}}
    )
    assert tied.status_code == 201, tied.text
    regulator = await ApiClient.login(platform, http, login["username"], PASSWORD)

    teacher = await school.login(admin, school.keeper)
    security = await report(teacher, school, "校门口有人兜售管制刀具", category="campus_security")
    fire = await report(teacher, school, "实验楼灭火器过期", category="fire")
    await referred(police, security)
    await referred(regulator, fire)

    # Each agency reaches only what was referred to it: the other hazard is 404, never 403.
    for agency, hazard_id in ((regulator, security), (police, fire)):
        posted = await agency.post("agency_integration", dispositions(hazard_id), DISPATCHED)
        assert posted.status_code == 404, posted.text
        assert posted.json()["error"]["code"] == "not_found"
        listed = await agency.get("agency_integration", dispositions(hazard_id))
        assert listed.status_code == 404, listed.text
    unknown = await police.post("agency_integration", dispositions(uuid.uuid4().hex), DISPATCHED)
    assert unknown.status_code == 404

    # The regulator answers its own hazard.
    inspected = {"kind": "inspected", "note": "已现场检查，责令学校更换过期灭火器"}
    ok = await regulator.post("agency_integration", dispositions(fire), inspected)
    assert ok.status_code == 201, ok.text
    assert ok.json()["agency_kind"] == "market_regulation"
    head = await school.login(admin, school.head)
    (entry,) = await timeline_of(head, fire, 1)
    assert entry["note_zh"] == f"城关市场监管所{tag}：已检查 — 已现场检查，责令学校更换过期灭火器"

    # Staff of the school are not an agency.
    refused = await head.post("agency_integration", dispositions(fire), inspected)
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"kind": "arrested"}, "kind", "enum"),
        ({"note": "长" * 2001}, "note", "string_too_long"),
        ({"note": "   "}, "note", "string_too_short"),
        ({"reference": "J" * 65}, "reference", "string_too_long"),
        ({"acted_at": "2026-11-23T09:10:00"}, "acted_at", "invalid"),
        ({"priority": "high"}, "priority", "extra_forbidden"),
    ],
)
async def test_a_bad_disposition_is_refused_naming_the_field(
    police: ApiClient, change: dict[str, Any], field: str, code: str
) -> None:
    # Validation comes before the hazard is looked up, so any hazard id will do.
    response = await police.post(
        "agency_integration", dispositions(uuid.uuid4().hex), {**DISPATCHED, **change}
    )
    assert response.status_code == 422, response.text
    (detail,) = response.json()["error"]["details"]
    assert (detail["field"], detail["code"]) == (field, code)
    assert detail["message_zh"]
    assert detail["message_en"]


async def test_a_disposition_dated_ahead_of_now_or_without_a_key_is_refused(
    platform: Platform, http: httpx.AsyncClient, police: ApiClient
) -> None:
    ahead = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    response = await police.post(
        "agency_integration", dispositions(uuid.uuid4().hex), {**DISPATCHED, "acted_at": ahead}
    )
    assert response.status_code == 422, response.text
    (detail,) = response.json()["error"]["details"]
    assert (detail["field"], detail["code"]) == ("acted_at", "in_future")
    assert "处置时间不能晚于当前时间" in detail["message_zh"]

    no_key = await http.post(
        platform.url("agency_integration") + dispositions(uuid.uuid4().hex),
        headers=police.headers,
        json=DISPATCHED,
    )
    assert no_key.status_code == 400
    assert no_key.json()["error"]["code"] == "idempotency_key_missing"
