"""Intake's rows of the authorization matrix (README, "Authorization"): who may send reports
and check-ins, and who may use the Open311 door. Every route declares one of them.

School staff report and check in, each inside their own subtree; the phone page, its
settings and Open311's reads are public; only a registered Open311 client (its api_key)
files Open311 requests, and county operators register those clients.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from services.hazard_intake.open311 import clients
from shared.auth.access import AccessTable, grant, open311_client, public
from shared.dependencies import Db
from shared.vocabulary import Role

CO, SH, T = Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD, Role.TEACHER

ACCESS = AccessTable(
    "hazard_intake",
    [
        grant("reports", "submit", "上报隐患", CO, SH, T),
        grant("check-ins", "submit", "提交巡查、晨午检或值班签到", CO, SH, T),
        grant("risk points", "read", "查看风险点", CO, SH, T),
        public("phone page", "read", "打开手机页面"),
        public("Open311 services", "read", "查看 Open311 服务"),
        public("Open311 requests", "read", "查看 Open311 请求"),
        open311_client("Open311 requests", "file", "提交 Open311 请求"),
        grant("Open311 clients", "manage", "管理 Open311 客户端", CO),
    ],
)


def admit(resource: str, action: str) -> Any:
    """Return the dependency admitting callers of one row (for a route's `dependencies`)."""
    return ACCESS.admit(resource, action)


async def _open311_client(request: Request, db: Db) -> dict[str, Any]:
    """Return the Open311 client whose api_key the form carries (403 for anyone else)."""
    form = await request.form()
    api_key = form.get("api_key")
    return await clients.authenticate(db, api_key if isinstance(api_key, str) else None)


Open311Client = Annotated[
    dict[str, Any], Depends(ACCESS.mark(_open311_client, "Open311 requests", "file"))
]
