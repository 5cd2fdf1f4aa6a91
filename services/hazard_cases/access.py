"""The case service's rows of the authorization matrix (README, "Authorization"): who may read
hazards, take which action on them, and read the lists, figures, deadlines and parked messages.
Every route declares one of them with `admit`; the actions of a hazard, which the body names,
are checked with `check_action` before the hazard is read.

Which hazards each may see is `hazards/visibility.py` (managers their subtree, teachers what
they reported or must rectify); who of those granted may take a step on one hazard (the person
assigned, someone other than the rectifier, the level above) is `hazards/lifecycle.py`.
"""

from __future__ import annotations

from typing import Any

from shared.auth import Principal
from shared.auth.access import AccessTable, Rule, grant
from shared.vocabulary import Role

CO, SH, T = Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD, Role.TEACHER

# The actions of a hazard (hazards/lifecycle.py `Action`), each a row of its own.
ACTIONS: list[Rule] = [
    grant("hazard actions", "assign", "分派隐患", CO, SH, routed=False),
    grant("hazard actions", "accept", "签收隐患", CO, SH, T, routed=False),
    grant("hazard actions", "submit_rectification", "提交整改结果", CO, SH, T, routed=False),
    grant("hazard actions", "verify", "验收销号", CO, SH, routed=False),
    grant("hazard actions", "fail_verification", "判定验收不通过", CO, SH, routed=False),
    grant("hazard actions", "reopen", "重新打开隐患", CO, SH, routed=False),
    grant("hazard actions", "reject", "判定不是隐患", CO, SH, routed=False),
    grant("hazard actions", "merge", "合并隐患", CO, SH, routed=False),
    grant("hazard actions", "record_interim", "登记临时管控措施", CO, SH, T, routed=False),
    grant("hazard actions", "approve_extension", "批准延期", CO, SH, routed=False),
    grant("hazard actions", "supervise", "督办隐患", CO, SH, routed=False),
]

# Whoever may take any of them: admitted to the route, which checks the action named.
ACTING = frozenset[Role]().union(*(action.roles for action in ACTIONS))

ACCESS = AccessTable(
    "hazard_cases",
    [
        grant("hazards", "read", "查看隐患", CO, SH, T),
        grant("hazards", "act", "处理隐患", *ACTING),
        *ACTIONS,
        grant("hazard lists", "read", "查看隐患清单", CO, SH),
        grant("figures", "read", "查看统计数据", CO, SH),
        grant("deadline policies", "read", "查看整改时限", CO, SH),
        grant("deadline policies", "write", "设置整改时限", CO),
        grant("parked messages", "manage", "处理失败的消息", CO),
    ],
)


def admit(resource: str, action: str) -> Any:
    """Return the dependency admitting callers of one row (for a route's `dependencies`)."""
    return ACCESS.admit(resource, action)


def check_action(principal: Principal, action: str) -> None:
    """Answer 403 unless the caller's roles may ever take `action` on a hazard."""
    ACCESS.check(principal, "hazard actions", action)
