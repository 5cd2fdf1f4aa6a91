"""The Open311 services: one per hazard category, with the attributes that place a request."""

from __future__ import annotations

from services.hazard_intake.open311.models import AttributeRead, ServiceDefinitionRead, ServiceRead
from shared.vocabulary import CATEGORY_LABELS, HazardCategory

# (group, keywords) per category: groups as a county's 311 desk sorts calls.
_BUILDINGS = "校舍与设施 / Buildings and facilities"
_FIRE = "消防与危化品 / Fire and chemicals"
_AROUND = "校园周边 / Around campus"
_PEOPLE = "学生身心 / Students' wellbeing"
_SHEETS: dict[HazardCategory, tuple[str, str]] = {
    HazardCategory.FACILITIES: (_BUILDINGS, "设施,设备,电路,护栏,facilities,equipment"),
    HazardCategory.BUILDINGS: (_BUILDINGS, "校舍,墙体,楼梯,危房,buildings,stairs"),
    HazardCategory.THREE_DEFENCES: (_BUILDINGS, "人防,物防,技防,监控,defences,cctv"),
    HazardCategory.FIRE: (_FIRE, "消防,灭火器,消防通道,fire,extinguisher"),
    HazardCategory.TRAFFIC: (_AROUND, "交通,校车,接送,traffic,school bus"),
    HazardCategory.FOOD_HYGIENE: ("食品卫生 / Food hygiene", "食堂,食品,留样,canteen,food"),
    HazardCategory.CAMPUS_SECURITY: (_AROUND, "治安,校门,周边,security,gate"),
    HazardCategory.HAZARDOUS_CHEMICALS: (_FIRE, "危化品,实验室,燃气,chemicals,gas"),
    HazardCategory.DORMITORIES: (_BUILDINGS, "宿舍,床铺,dormitory"),
    HazardCategory.DROWNING: (_AROUND, "溺水,河道,水塘,drowning,river"),
    HazardCategory.BULLYING: (_PEOPLE, "欺凌,霸凌,bullying"),
    HazardCategory.PSYCHOLOGICAL: (_PEOPLE, "心理,情绪,psychological"),
    HazardCategory.OTHER: ("其他 / Other", "其他,other"),
}

# Reports of these concern named children: their text is never shown on the public GET.
PRIVATE_CATEGORIES = frozenset({HazardCategory.BULLYING, HazardCategory.PSYCHOLOGICAL})

POINT_ATTRIBUTE = "point_id"
GRID_ATTRIBUTE = "grid_id"

ATTRIBUTES = (
    AttributeRead(
        variable=True,
        code=POINT_ATTRIBUTE,
        datatype="string",
        required=False,
        datatype_description=(
            "风险点二维码标签上的编号，如 demo-point-fire-exit；须在本客户端的辖区内 / "
            "The risk point code on its QR label, e.g. demo-point-fire-exit; inside your "
            "jurisdiction"
        ),
        order=1,
        description="风险点编号 / Risk point code",
    ),
    AttributeRead(
        variable=True,
        code=GRID_ATTRIBUTE,
        datatype="string",
        required=False,
        datatype_description=(
            "无风险点时填写网格编号（与风险点二选一）；都不填则归入本客户端的辖区网格 / "
            "A grid id when no risk point applies (not both); neither files into your "
            "jurisdiction's grid"
        ),
        order=2,
        description="网格编号 / Grid id",
    ),
)
ATTRIBUTE_CODES = frozenset(attribute.code for attribute in ATTRIBUTES)


def category_of(service_code: str) -> HazardCategory | None:
    """Return the hazard category a service code names, or None."""
    try:
        return HazardCategory(service_code)
    except ValueError:
        return None


def service_name(category: HazardCategory) -> str:
    """Return the service's name (the category's Chinese label)."""
    return CATEGORY_LABELS[category][0]


def services() -> list[ServiceRead]:
    """Return every service, one per hazard category, in the vocabulary's order."""
    result = []
    for category in HazardCategory:
        zh, en = CATEGORY_LABELS[category]
        group, keywords = _SHEETS[category]
        result.append(
            ServiceRead(
                service_code=category.value,
                service_name=zh,
                description=f"上报{zh}类隐患 / Report a hazard: {en}",
                metadata=True,
                type="realtime",
                keywords=keywords,
                group=group,
            )
        )
    return result


def definition(category: HazardCategory) -> ServiceDefinitionRead:
    """Return the definition of a category's service: where a request may be placed."""
    return ServiceDefinitionRead(service_code=category.value, attributes=list(ATTRIBUTES))
