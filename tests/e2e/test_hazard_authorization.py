"""Who may touch which hazard: a matrix of roles at three levels (county, school, teacher) ×
endpoints × a hazard inside or outside their subtree. Nothing crosses a subtree."""

from __future__ import annotations

import httpx

from tests.support.client import ApiClient
from tests.support.school import hazard, new_school, report

# Expected status per (endpoint, actor) for school A's hazard, reported by and assigned to A's
# keeper. "verify" is not allowed while assigned: 409 proves the caller got past the scope
# check (404) without changing anything; a role that may never verify (teachers, agencies) is
# 403 whatever the hazard, as is an agency on any hazard (README, "Authorization").
MATRIX: dict[str, dict[str, int]] = {
    "read": {
        "county": 200,
        "head_a": 200,
        "keeper_a": 200,
        "teacher_a": 404,
        "head_b": 404,
        "keeper_b": 404,
        "police": 403,
    },
    "act": {
        "county": 409,
        "head_a": 409,
        "keeper_a": 403,
        "teacher_a": 403,
        "head_b": 404,
        "keeper_b": 403,
        "police": 403,
    },
    "list": {
        "county": 200,
        "head_a": 200,
        "keeper_a": 403,
        "teacher_a": 403,
        "head_b": 404,
        "keeper_b": 403,
        "police": 403,
    },
    "policy_read": {
        "county": 200,
        "head_a": 200,
        "keeper_a": 403,
        "teacher_a": 403,
        "head_b": 404,
        "keeper_b": 403,
        "police": 403,
    },
    "policy_write": {
        "county": 200,
        "head_a": 403,
        "keeper_a": 403,
        "teacher_a": 403,
        "head_b": 403,
        "keeper_b": 403,
        "police": 403,
    },
}


async def test_no_role_reaches_across_subtrees(admin: ApiClient, http: httpx.AsyncClient) -> None:
    school_a, school_b = await new_school(admin), await new_school(admin)
    actors = {
        "county": admin,
        "head_a": await school_a.login(admin, school_a.head),
        "keeper_a": await school_a.login(admin, school_a.keeper),
        "teacher_a": await school_a.login(admin, school_a.zone_head),
        "head_b": await school_b.login(admin, school_b.head),
        "keeper_b": await school_b.login(admin, school_b.keeper),
        "police": await ApiClient.login(admin.platform, http, "demo-police"),
    }
    hazard_a = await report(actors["keeper_a"], school_a, "矩阵测试：A 校隐患")
    hazard_b = await report(actors["keeper_b"], school_b, "矩阵测试：B 校隐患")
    await hazard(admin, hazard_a, status="assigned")
    await hazard(admin, hazard_b, status="assigned")
    base = admin.platform.url("hazard_cases")
    policy = (await admin.get("hazard_cases", f"/v1/deadline-policies/{school_a.school_id}")).json()

    found: dict[str, dict[str, int]] = {endpoint: {} for endpoint in MATRIX}
    for name, actor in actors.items():
        found["read"][name] = (
            await actor.get("hazard_cases", f"/v1/hazards/{hazard_a}")
        ).status_code
        found["act"][name] = (
            await actor.post(
                "hazard_cases", f"/v1/hazards/{hazard_a}/actions", {"action": "verify"}
            )
        ).status_code
        found["list"][name] = (
            await actor.get("hazard_cases", "/v1/hazard-lists/open", grid_id=school_a.school_id)
        ).status_code
        found["policy_read"][name] = (
            await actor.get("hazard_cases", f"/v1/deadline-policies/{school_a.school_id}")
        ).status_code
        found["policy_write"][name] = (
            await actor.http.put(
                f"{base}/v1/deadline-policies/{school_a.school_id}",
                json=policy["policy"],
                headers=actor.headers,
            )
        ).status_code
    for endpoint, expected in MATRIX.items():
        assert found[endpoint] == expected, (endpoint, found[endpoint])

    # Lists of hazards never carry another subtree's hazards.
    for name in ("head_b", "keeper_b"):
        items = (await actors[name].get("hazard_cases", "/v1/hazards", limit=200)).json()["items"]
        ids = {item["hazard_id"] for item in items}
        assert hazard_a not in ids
        assert hazard_b in ids
    teacher_items = (await actors["teacher_a"].get("hazard_cases", "/v1/hazards")).json()["items"]
    assert hazard_a not in {item["hazard_id"] for item in teacher_items}
    assert (await actors["police"].get("hazard_cases", "/v1/hazards")).status_code == 403
