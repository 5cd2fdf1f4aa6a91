"""Who may change the registry: managers, inside their own subtree."""

from __future__ import annotations

from shared.auth import Principal
from shared.errors import ApiError
from shared.vocabulary import Role

MANAGERS = (Role.COUNTY_OPERATOR, Role.SCHOOL_HEAD)


def require_manager(principal: Principal) -> None:
    """Answer 403 unless the caller manages a part of the grid."""
    if not principal.has_role(*MANAGERS):
        raise ApiError(
            403,
            "forbidden",
            "只有教育局或学校管理员可以修改网格信息",
            "Only bureau or school administrators may change the registry",
        )
