"""Words every service uses the same way: hazard categories, risk grades, grid levels, roles,
agencies and their answers.

Each value carries its Chinese and English labels, so that pages, exports and error messages
name things the way schools do.
"""

from __future__ import annotations

from enum import StrEnum


class HazardCategory(StrEnum):
    """What kind of hazard (the seeds' list, plus the four special campaigns)."""

    FACILITIES = "facilities"
    BUILDINGS = "buildings"
    THREE_DEFENCES = "three_defences"
    FIRE = "fire"
    TRAFFIC = "traffic"
    FOOD_HYGIENE = "food_hygiene"
    CAMPUS_SECURITY = "campus_security"
    HAZARDOUS_CHEMICALS = "hazardous_chemicals"
    DORMITORIES = "dormitories"
    DROWNING = "drowning"
    BULLYING = "bullying"
    PSYCHOLOGICAL = "psychological"
    OTHER = "other"


CATEGORY_LABELS: dict[HazardCategory, tuple[str, str]] = {
    HazardCategory.FACILITIES: ("设施设备", "Facilities and equipment"),
    HazardCategory.BUILDINGS: ("校舍建筑", "School buildings"),
    HazardCategory.THREE_DEFENCES: ("三防建设（人防、物防、技防）", "The three defences"),
    HazardCategory.FIRE: ("消防安全", "Fire safety"),
    HazardCategory.TRAFFIC: ("交通与校车安全", "Traffic and school bus"),
    HazardCategory.FOOD_HYGIENE: ("食品卫生", "Food hygiene"),
    HazardCategory.CAMPUS_SECURITY: ("校园周边治安", "Security around campus"),
    HazardCategory.HAZARDOUS_CHEMICALS: ("易燃易爆及危险化学品", "Hazardous chemicals"),
    HazardCategory.DORMITORIES: ("宿舍安全", "Dormitories"),
    HazardCategory.DROWNING: ("防溺水", "Drowning"),
    HazardCategory.BULLYING: ("校园欺凌", "Bullying"),
    HazardCategory.PSYCHOLOGICAL: ("心理健康", "Psychological health"),
    HazardCategory.OTHER: ("其他", "Other"),
}


class RiskGrade(StrEnum):
    """The four-colour risk grade of a risk point (风险分级)."""

    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"


RISK_GRADE_LABELS: dict[RiskGrade, tuple[str, str]] = {
    RiskGrade.RED: ("红色（重大风险）", "Red (major)"),
    RiskGrade.ORANGE: ("橙色（较大风险）", "Orange (high)"),
    RiskGrade.YELLOW: ("黄色（一般风险）", "Yellow (medium)"),
    RiskGrade.BLUE: ("蓝色（低风险）", "Blue (low)"),
}


class GridLevel(StrEnum):
    """Level of a grid in the tree (seeds: four levels county-wide, plus outside-school grids)."""

    BUREAU = "L1"  # county/city education bureau
    TOWNSHIP = "L2"  # township, or a county-run school
    SCHOOL = "L3"  # school or kindergarten, public or private
    ZONE = "L4"  # responsibility zone inside a school
    OUTSIDE = "outside"  # around a school: the route home, the river bank, the shops at the gate


GRID_LEVEL_LABELS: dict[GridLevel, tuple[str, str]] = {
    GridLevel.BUREAU: ("一级网格（教育局）", "Level 1 (education bureau)"),
    GridLevel.TOWNSHIP: ("二级网格（乡镇/县直学校）", "Level 2 (township or county-run school)"),
    GridLevel.SCHOOL: ("三级网格（学校/幼儿园）", "Level 3 (school or kindergarten)"),
    GridLevel.ZONE: ("四级网格（校内责任区）", "Level 4 (zone inside a school)"),
    GridLevel.OUTSIDE: ("校外网格", "Outside-school grid"),
}


class Role(StrEnum):
    """What a user may do; where they may do it comes from their grid scope."""

    COUNTY_OPERATOR = "county_operator"  # command centre and bureau staff: the whole subtree
    SCHOOL_HEAD = "school_head"  # school leaders: manage their school's subtree
    TEACHER = "teacher"  # reports hazards, acts on what is assigned to them
    AGENCY = "agency"  # police, market regulation, ...: their feed and their answers


class HazardStatus(StrEnum):
    """Where a hazard is in the closed loop (发现-上报-整改-验证-销号)."""

    REPORTED = "reported"
    ASSIGNED = "assigned"
    RECTIFYING = "rectifying"
    RECTIFIED = "rectified"
    CLOSED = "closed"
    REJECTED = "rejected"
    MERGED = "merged"


HAZARD_STATUS_LABELS: dict[HazardStatus, tuple[str, str]] = {
    HazardStatus.REPORTED: ("已上报", "Reported"),
    HazardStatus.ASSIGNED: ("已分派", "Assigned"),
    HazardStatus.RECTIFYING: ("整改中", "Rectifying"),
    HazardStatus.RECTIFIED: ("已整改待验证", "Rectified, awaiting verification"),
    HazardStatus.CLOSED: ("已销号", "Verified and closed"),
    HazardStatus.REJECTED: ("不予受理", "Rejected"),
    HazardStatus.MERGED: ("已合并", "Merged"),
}


class AgencyKind(StrEnum):
    """Which kind of agency (the seeds name police and market regulation first)."""

    POLICE = "police"
    MARKET_REGULATION = "market_regulation"
    TRANSPORT = "transport"
    FIRE = "fire"
    OTHER = "other"


AGENCY_KIND_LABELS: dict[AgencyKind, tuple[str, str]] = {
    AgencyKind.POLICE: ("公安", "Police"),
    AgencyKind.MARKET_REGULATION: ("市场监管", "Market regulation"),
    AgencyKind.TRANSPORT: ("交通运输", "Transport"),
    AgencyKind.FIRE: ("消防救援", "Fire and rescue"),
    AgencyKind.OTHER: ("其他部门", "Other agency"),
}


class DispositionKind(StrEnum):
    """How an agency answered a hazard it was sent (处置反馈)."""

    DISPATCHED = "dispatched"
    INSPECTED = "inspected"
    CASE_FILED = "case_filed"
    HANDLED = "handled"
    RETURNED = "returned"


DISPOSITION_KIND_LABELS: dict[DispositionKind, tuple[str, str]] = {
    DispositionKind.DISPATCHED: ("已出警", "Officers dispatched"),
    DispositionKind.INSPECTED: ("已检查", "Inspected"),
    DispositionKind.CASE_FILED: ("已立案", "Case filed"),
    DispositionKind.HANDLED: ("已处置完毕", "Handled on the agency's side"),
    DispositionKind.RETURNED: (
        "退回（非本单位职责）",
        "Returned: not this agency's responsibility",
    ),
}
