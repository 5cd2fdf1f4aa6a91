"""The four Excel lists schools keep: their columns, Chinese headers, allowed values, examples.

One definition serves the template, the reader and the export, so a template, an uploaded
list and an exported list always have the same columns. Allowed values are matched loosely
(full-width or half-width, any case, with or without the words in brackets): schools type
"红", "红色", "红色（重大风险）" or "red" and mean the same grade.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from services.grid_registry.excel.models import MAX_ROWS, ExcelKind
from shared.responsibility import SLOT_LABELS, Duty, SlotKind
from shared.vocabulary import (
    CATEGORY_LABELS,
    GRID_LEVEL_LABELS,
    RISK_GRADE_LABELS,
    GridLevel,
    RiskGrade,
    Role,
)

ValueKind = Literal["text", "code", "enum", "phone", "username", "password", "date", "list"]

INSTRUCTIONS_SHEET = "说明"

# What the cells of enumerated columns are written as (export, dropdowns), by stored value.
LEVEL_LABELS = {
    GridLevel.BUREAU: "一级",
    GridLevel.TOWNSHIP: "二级",
    GridLevel.SCHOOL: "三级",
    GridLevel.ZONE: "四级",
    GridLevel.OUTSIDE: "校外",
}
GRADE_LABELS = {
    RiskGrade.RED: "红色",
    RiskGrade.ORANGE: "橙色",
    RiskGrade.YELLOW: "黄色",
    RiskGrade.BLUE: "蓝色",
}
DUTY_LABELS = {Duty.HEAD: "网格长", Duty.MEMBER: "网格员", Duty.OVERLAY: "包乡包校"}
ROLE_LABELS = {
    Role.COUNTY_OPERATOR: "教育局管理员",
    Role.SCHOOL_HEAD: "学校管理员",
    Role.TEACHER: "教师",
    Role.AGENCY: "联动部门",
}
TARGET_LABELS = {"grid": "网格", "point": "风险点"}


def normalize(text: str) -> str:
    """Return text as compared with allowed values: NFKC, no spaces, case-folded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _aliases(labels: Mapping[Any, str], *more: Mapping[Any, str]) -> dict[str, str]:
    """Map every accepted spelling to its stored value: the value, the label, more names."""
    accepted: dict[str, str] = {}
    for value, label in labels.items():
        accepted[normalize(str(value))] = str(value)
        accepted[normalize(label)] = str(value)
    for names in more:
        for name, value in names.items():
            accepted[normalize(name)] = str(value)
    return accepted


def _bilingual(labels: Mapping[Any, tuple[str, str]]) -> dict[str, str]:
    """Accept "红色（重大风险）", its part before the brackets, and the English label."""
    names: dict[str, str] = {}
    for value, (zh, en) in labels.items():
        names[zh] = value
        names[zh.split("（")[0]] = value
        names[en] = value
    return names


@dataclass(frozen=True)
class Column:
    """One column of a list: its header, how its cells are read, and what it accepts."""

    key: str
    header: str
    kind: ValueKind = "text"
    required: bool = False
    max_length: int = 100
    labels: Mapping[Any, str] = field(default_factory=dict)  # stored value -> written label
    aliases: Mapping[str, str] = field(default_factory=dict)  # normalized spelling -> value
    width: int = 18
    note: str = ""
    example: str = ""

    @property
    def choices(self) -> list[str]:
        """Return the labels offered in the dropdown (enumerated columns only)."""
        return list(self.labels.values())


@dataclass(frozen=True)
class Template:
    """A list: its sheet, its columns, and which column holds the row's own code."""

    kind: ExcelKind
    title: str
    sheet: str
    columns: tuple[Column, ...]
    code_key: str | None = "code"

    def column(self, key: str) -> Column:
        """Return the column with this key."""
        return next(c for c in self.columns if c.key == key)


def _code(key: str, header: str, note: str, example: str, *, required: bool = True) -> Column:
    return Column(key, header, "code", required, 64, width=20, note=note, example=example)


CODE_NOTE = "本单位自定的唯一编码；也可填写系统中已有对象的 ID"

GRIDS = Template(
    ExcelKind.GRIDS,
    "网格",
    "网格",
    (
        _code("code", "网格编码", CODE_NOTE, "CG-01"),
        Column("name", "网格名称", required=True, width=28, example="城关镇第一小学"),
        Column(
            "level",
            "层级",
            "enum",
            required=True,
            labels=LEVEL_LABELS,
            aliases=_aliases(
                LEVEL_LABELS,
                _bilingual(GRID_LEVEL_LABELS),
                {f"{n}": f"L{n}" for n in range(1, 5)},
                {"一级网格": "L1", "二级网格": "L2", "三级网格": "L3", "四级网格": "L4"},
            ),
            width=10,
            note="一级=教育局，二级=乡镇/县直学校，三级=学校/幼儿园，四级=校内责任区，校外=校外网格；也可填 L1–L4、outside",
            example="三级",
        ),
        _code(
            "parent",
            "上级网格编码",
            "上级网格的编码（本表中的或系统中已有的）；只有一级网格可以不填。下级的层级必须低于上级",
            "CG",
            required=False,
        ),
        Column(
            "duty_phone",
            "值班电话",
            "phone",
            width=18,
            note="网格的值班或联系电话，可不填",
            example="0898-12345678",
        ),
    ),
)

PEOPLE = Template(
    ExcelKind.PEOPLE,
    "人员",
    "人员",
    (
        _code("code", "人员编码", CODE_NOTE, "P-0001"),
        Column("name", "姓名", required=True, max_length=50, width=12, example="王芳"),
        _code("grid", "所属网格编码", "人员所在的网格（须已在系统中，请先导入网格）", "CG-01"),
        Column("post", "岗位", required=True, max_length=50, example="班主任"),
        Column("phone", "手机号", "phone", width=16, note="可不填", example="13800000000"),
        Column(
            "username",
            "登录用户名",
            "username",
            max_length=64,
            note="需要登录时填写：3–64 位字母、数字或 . _ -；不能与他人重复",
        ),
        Column(
            "password",
            "初始密码",
            "password",
            max_length=128,
            width=14,
            note="新建登录账号时必填，至少 8 位；已有账号不会被修改",
        ),
        Column(
            "role",
            "角色",
            "enum",
            labels=ROLE_LABELS,
            aliases=_aliases(ROLE_LABELS, {"外部单位": Role.AGENCY, "老师": Role.TEACHER}),
            width=14,
            note="填写登录用户名时必填；只能授予不高于自己的角色",
        ),
        _code(
            "agency",
            "所属联动单位编号",
            "角色为联动部门（公安、市场监管等）时必填：该单位在联动平台中的编号；其他角色不填",
            "",
            required=False,
        ),
    ),
)

RISK_POINTS = Template(
    ExcelKind.RISK_POINTS,
    "风险点",
    "风险点",
    (
        _code("code", "风险点编码", CODE_NOTE, "RP-0001"),
        Column("name", "风险点名称", required=True, width=30, example="教学楼三楼东侧消防通道"),
        _code("grid", "所在网格编码", "风险点所在的网格（须已在系统中）", "CG-01-JX"),
        Column(
            "category",
            "类别",
            "enum",
            required=True,
            labels={k: zh for k, (zh, _) in CATEGORY_LABELS.items()},
            aliases=_aliases(
                {k: zh for k, (zh, _) in CATEGORY_LABELS.items()}, _bilingual(CATEGORY_LABELS)
            ),
            width=22,
            example="消防安全",
        ),
        Column(
            "risk_grade",
            "风险等级",
            "enum",
            required=True,
            labels=GRADE_LABELS,
            aliases=_aliases(
                GRADE_LABELS,
                _bilingual(RISK_GRADE_LABELS),
                {"红": "red", "橙": "orange", "黄": "yellow", "蓝": "blue"},
                {zh.split("（")[1].rstrip("）"): v for v, (zh, _) in RISK_GRADE_LABELS.items()},
            ),
            width=10,
            note="红/橙/黄/蓝（重大/较大/一般/低风险）",
            example="红色",
        ),
        Column(
            "check_items",
            "检查项",
            "list",
            max_length=2000,
            width=40,
            note="巡检时要检查的内容，多项用分号（；）或换行分隔，最多 50 项",
            example="通道是否畅通；灭火器是否在有效期内；应急照明是否正常",
        ),
    ),
)

ASSIGNMENTS = Template(
    ExcelKind.ASSIGNMENTS,
    "责任分工",
    "责任分工",
    (
        Column(
            "target_kind",
            "对象类型",
            "enum",
            required=True,
            labels=TARGET_LABELS,
            aliases=_aliases(TARGET_LABELS, {"risk_point": "point"}),
            width=10,
            example="网格",
        ),
        _code("target", "对象编码", "网格编码或风险点编码（须已在系统中）", "CG-01-JX"),
        Column(
            "duty",
            "职责",
            "enum",
            required=True,
            labels=DUTY_LABELS,
            aliases=_aliases(
                DUTY_LABELS, {"责任人": Duty.HEAD, "包乡": Duty.OVERLAY, "包校": Duty.OVERLAY}
            ),
            width=10,
            note="网格长（风险点的责任人）；网格员只用于校外网格（一格三员）；包乡包校只由教育局设置",
            example="网格长",
        ),
        Column(
            "slot",
            "时段",
            "enum",
            labels={k: zh for k, (zh, _) in SLOT_LABELS.items()},
            aliases=_aliases(
                {k: zh for k, (zh, _) in SLOT_LABELS.items()},
                {en: k for k, (_, en) in SLOT_LABELS.items()},
                {"全天": SlotKind.ALWAYS},
            ),
            width=12,
            note="不填即全天候；同一对象同一时段的网格长只有一人，新的接替旧的",
            example="全天候",
        ),
        _code("person", "人员编码", "负责人的人员编码（须已在系统中）", "P-0001"),
        Column(
            "valid_from",
            "生效日期",
            "date",
            width=14,
            note="不填即从导入时起；不能早于今天（过去的责任记录不能改写）",
        ),
    ),
    code_key=None,
)

TEMPLATES: dict[ExcelKind, Template] = {
    t.kind: t for t in (GRIDS, PEOPLE, RISK_POINTS, ASSIGNMENTS)
}

GENERAL_NOTES = (
    "第 1 行是表头（列的顺序可以调整，多余的列会被忽略），第 2 行是示例，可以直接覆盖。",
    "标红的列必填。下拉列表中是可选的值。",
    "建议的导入顺序：网格 → 人员 → 风险点 → 责任分工。表与表之间用编码互相引用。",
    "先检查、后写入：只要有一处错误，就不会写入任何数据，并列出每处错误所在的行和列。",
    "同一文件重复导入不会产生重复数据：已有且内容相同的行显示为“未变化”。",
    "导出的文件与本模板的列相同，修改后可以直接再导入。已有网格的层级和上级不能通过导入更改。",
    f"每个文件最多 {MAX_ROWS:,} 行、10 MB。",
)
