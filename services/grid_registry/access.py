"""The registry's rows of the authorization matrix (README, "Authorization"): which roles may
read or change which part of the registry. Every route declares one of them with `admit`.

Managers (county operators, school heads) keep the registry; teachers read the places they
report on and who answers for them; an agency's liaison reads nothing here but their own
log-in. Where in the grid each may reach is their token's subtree, checked where each object
is loaded (404 outside it).
"""

from __future__ import annotations

from typing import Any

from shared.auth.access import AccessTable, grant, public
from shared.vocabulary import Role

CO, SH, T, AG = Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD, Role.TEACHER, Role.AGENCY

ACCESS = AccessTable(
    "grid_registry",
    [
        public("token", "issue", "登录"),
        grant("own account", "read", "查看本人账号", CO, SH, T, AG),
        grant("grids", "read", "查看网格", CO, SH, T),
        grant("grids", "write", "修改网格", CO, SH),
        grant("people", "read", "查看人员", CO, SH),
        grant("people", "write", "登记人员", CO, SH),
        grant("risk points", "read", "查看风险点", CO, SH, T),
        grant("risk points", "write", "登记风险点", CO, SH),
        grant("assignments", "read", "查看任职记录", CO, SH),
        grant("assignments", "write", "设置或结束任职", CO, SH),
        grant("responsibility", "read", "查询责任人", CO, SH, T),
        grant("coverage", "read", "查看网格覆盖情况", CO, SH),
        grant("duty lists", "read", "查看岗位责任清单", CO, SH, T),
        grant("duty lists", "write", "修改岗位责任清单", CO, SH),
        grant("QR codes", "manage", "生成、撤销或打印二维码", CO, SH),
        grant("QR codes", "resolve", "扫码查看风险点", CO, SH, T),
        grant("Excel lists", "read", "下载 Excel 模板或导出清单", CO, SH),
        grant("Excel lists", "import", "导入 Excel 清单", CO, SH),
        grant("audit trail", "read", "查看变更记录", CO, SH),
        grant("subtree", "republish", "重新发布网格数据", CO),
    ],
)


def admit(resource: str, action: str) -> Any:
    """Return the dependency admitting callers of one row (for a route's `dependencies`)."""
    return ACCESS.admit(resource, action)
