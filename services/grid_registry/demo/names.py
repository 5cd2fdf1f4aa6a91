"""The synthetic city's catalogue: names of people, places and schools; school kinds, posts,
zones and the risk points that fit them.

Everything is drawn from the character lists below with the caller's `random.Random`, so a seed
always gives the same names. No list of real people is used: names are a common surname
(weighted roughly by how often it occurs nationally) and one or two given-name characters.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from shared.refs import PersonRef
from shared.vocabulary import HazardCategory, RiskGrade

# Single-character surnames and their rough frequency (per mille); compound surnames are left
# out so that every name has two or three characters.
SURNAMES: dict[str, int] = {
    "王": 71, "李": 70, "张": 67, "刘": 51, "陈": 46, "杨": 32, "黄": 25, "赵": 22, "吴": 20,
    "周": 20, "徐": 15, "孙": 14, "马": 13, "朱": 13, "胡": 12, "郭": 12, "何": 11, "林": 10,
    "高": 10, "罗": 9, "郑": 9, "梁": 9, "谢": 8, "宋": 7, "唐": 7, "许": 7, "韩": 7, "邓": 7,
    "冯": 7, "曹": 7, "彭": 6, "曾": 6, "肖": 6, "田": 6, "董": 5, "潘": 5, "袁": 5, "蔡": 5,
    "蒋": 5, "余": 5, "于": 5, "杜": 5, "叶": 5, "程": 4, "魏": 4, "苏": 4, "吕": 4, "丁": 4,
    "任": 4, "卢": 4, "姚": 4, "沈": 4, "钟": 4, "姜": 4, "崔": 4, "谭": 4, "陆": 3, "范": 3,
    "汪": 3, "廖": 3, "石": 3, "金": 3, "韦": 3, "贾": 3, "夏": 3, "付": 3, "方": 3, "邹": 3,
    "熊": 3, "白": 3, "孟": 3, "秦": 3, "邱": 3, "侯": 3, "江": 3, "尹": 3, "薛": 3, "闫": 3,
    "段": 2, "雷": 2, "龙": 2, "黎": 2, "史": 2, "陶": 2, "贺": 2, "毛": 2, "郝": 2, "顾": 2,
    "龚": 2, "邵": 2, "覃": 2, "莫": 2, "万": 2, "钱": 2, "严": 2, "赖": 2, "蒙": 1, "欧": 1,
}  # fmt: skip
_SURNAME_LIST = list(SURNAMES)
_SURNAME_WEIGHTS = list(SURNAMES.values())

MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国文志海峰成东亮晨博轩泽宏毅昊振松柏坤彬锋栋盛"
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞燕玲婷雪琳颖倩慧洁梅琴云莉兰红萍丹佳欣怡月蕾晶悦雯瑶璐薇莹秀英玉凤琼"
)
NEUTRAL_CHARS = "子文一嘉思雨晓明俊安宁清秋春小永金新世家立"

# Syllables of fictional place names (a township 石塘镇, a village 龙岭).
PLACE_FIRST = "东西南北新大小上下龙凤石沙白青黄金长平安和兴福永太富宝清云高马古旺红双水"
PLACE_SECOND = "塘岭坪桥江河湾洲山田冲坑口头溪林坡寨岗坝源滩"
SIDES = "东西南北"
FLOORS = "一二三四五"
PRIVATE_BRANDS = (
    "启明", "育才", "博雅", "明德", "英华", "蓝天", "阳光", "小太阳", "童乐", "贝贝", "金色童年",
    "新世纪", "智慧树", "七彩", "春苗", "爱心", "博文", "星光", "彩虹", "育英", "睿思", "小博士",
    "花蕾", "晨曦",
)  # fmt: skip


def person_name(rng: random.Random, female_share: float = 0.5) -> str:
    """Return a plausible Chinese name: a surname and one or two given-name characters."""
    surname = rng.choices(_SURNAME_LIST, weights=_SURNAME_WEIGHTS)[0]
    chars = FEMALE_CHARS if rng.random() < female_share else MALE_CHARS
    if rng.random() < 0.25:
        return surname + rng.choice(chars)
    first = rng.choice(NEUTRAL_CHARS) if rng.random() < 0.3 else rng.choice(chars)
    return surname + first + rng.choice(chars)


def place_name(rng: random.Random) -> str:
    """Return a two-character fictional place name, e.g. 石塘."""
    return rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND)


def brand_name(rng: random.Random) -> str:
    """Return the brand of a private school or kindergarten, e.g. 启明."""
    return rng.choice(PRIVATE_BRANDS)


@dataclass(frozen=True)
class ZoneKind:
    """A kind of zone inside a school (L4) or around it (outside) and its usual risk points."""

    key: str
    name: str  # may hold {side} or {place}
    points: tuple[str, ...]  # "name|category", names may hold {floor}, {side} or {grid}


def _kind(key: str, name: str, *points: str) -> ZoneKind:
    return ZoneKind(key, name, points)


ZONE_KINDS: dict[str, ZoneKind] = {
    kind.key: kind
    for kind in (
        _kind(
            "teaching", "教学楼",
            "教学楼{floor}楼{side}侧消防通道|fire", "教学楼{side}楼梯|buildings",
            "教学楼{floor}楼走廊栏杆|buildings", "教学楼{floor}楼配电箱|fire",
            "教学楼{floor}楼卫生间|bullying", "教学楼{floor}楼教室窗户|buildings",
            "教学楼{floor}楼多媒体设备|facilities", "教学楼楼顶天台|buildings",
            "教学楼{side}侧楼梯转角|bullying", "教学楼一楼大厅|three_defences",
        ),
        _kind(
            "lab", "实验楼",
            "化学实验室危化品柜|hazardous_chemicals", "危化品储存室|hazardous_chemicals",
            "物理实验室电源|facilities", "生物实验室|hazardous_chemicals",
            "实验楼{side}侧消防通道|fire", "实验楼通风橱|hazardous_chemicals",
            "实验废液回收桶|hazardous_chemicals",
        ),
        _kind(
            "canteen", "学校食堂",
            "食堂后厨|food_hygiene", "食品留样柜|food_hygiene", "食堂燃气管道及灶具|fire",
            "食材储藏间|food_hygiene", "餐具消毒间|food_hygiene", "食堂就餐区|facilities",
            "食堂排烟管道|fire",
        ),
        _kind(
            "dorm", "学生宿舍",
            "宿舍楼消防通道|fire", "宿舍楼{floor}楼用电线路|dormitories", "宿舍楼门禁|three_defences",
            "宿舍楼{floor}楼阳台护栏|dormitories", "宿舍楼{side}楼梯|buildings",
            "宿舍值班室|dormitories", "宿舍楼{floor}楼盥洗室|dormitories",
        ),
        _kind(
            "playground", "操场",
            "单双杠等体育器材|facilities", "篮球架|facilities", "操场跑道|facilities",
            "主席台|buildings", "操场{side}侧围墙|buildings", "足球门|facilities",
        ),
        _kind(
            "gate", "校门",
            "校门口值守岗亭|three_defences", "一键报警装置|three_defences",
            "校门防冲撞设施|three_defences", "校门监控摄像头|three_defences",
            "访客登记处|campus_security", "校门电动伸缩门|facilities",
        ),
        _kind(
            "library", "图书馆",
            "阅览室消防设施|fire", "书库电气线路|fire", "图书馆书架|facilities", "电子阅览室|facilities",
        ),
        _kind(
            "admin", "行政楼",
            "档案室|fire", "校园监控室|three_defences", "行政楼消防通道|fire", "心理辅导室|psychological",
        ),
        _kind(
            "gym", "体育馆",
            "体育器材室|facilities", "体育馆看台|buildings", "游泳池|drowning", "体育馆消防通道|fire",
        ),
        _kind("power", "配电房", "配电房|fire", "变压器|facilities", "水泵房|facilities", "备用发电机|fire"),
        _kind("garage", "车棚", "电动车充电区|fire", "教职工停车场|traffic", "自行车棚|buildings"),
        _kind("clinic", "卫生室", "药品柜|other", "传染病隔离观察室|other", "晨午检登记台|other"),
        _kind(
            "complex", "综合楼",
            "音乐教室|facilities", "美术教室|facilities", "心理咨询室|psychological",
            "综合楼{side}楼梯|buildings", "计算机教室|fire",
        ),
        _kind(
            "play", "户外活动区",
            "大型玩具滑梯|facilities", "沙池|facilities", "攀爬架|facilities",
            "户外活动区塑胶地面|facilities", "种植园水池|drowning",
        ),
        _kind("nap", "午睡室", "午睡室床铺|dormitories", "午睡室电源插座|fire", "午睡室通风设施|other"),
        # Outside the school (一格三员).
        _kind(
            "gate_area", "校门口周边",
            "校门口上下学路段|traffic", "校门口流动摊贩|food_hygiene", "接送车辆停靠区|traffic",
            "校门口人行横道|traffic", "校门口减速带|traffic",
        ),
        _kind(
            "route", "{side}侧上学路段",
            "{side}侧上学路段交叉路口|traffic", "校车停靠点|traffic", "无护栏临崖路段|traffic",
            "上学路段路灯|campus_security", "上学路段偏僻小巷|bullying",
        ),
        _kind(
            "water", "学校{side}侧河道",
            "{grid}岸边|drowning", "{grid}警示牌|drowning", "{grid}救生圈及竹竿|drowning",
            "{grid}浅滩|drowning",
        ),
        _kind(
            "pond", "{place}水塘",
            "{grid}塘边|drowning", "{grid}警示牌|drowning", "{grid}防护栏|drowning",
        ),
        _kind(
            "shops", "周边商铺",
            "周边网吧|campus_security", "周边小卖部|food_hygiene", "周边出租屋|campus_security",
            "周边娱乐场所|campus_security", "周边文具店|other",
        ),
    )
}  # fmt: skip

# Posts and the duties they usually take: who heads a zone (the first post the school has
# wins, else a teacher; OUTSIDE_HEADS around the school), who answers for a point of a
# category, who leads a school.
ZONE_HEADS: dict[str, tuple[str, ...]] = {
    "teaching": ("教务主任", "保教主任", "年级组长", "班主任"), "lab": ("实验室管理员", "科任教师"),
    "canteen": ("食堂管理员",), "dorm": ("班主任",), "playground": ("体育教师",), "gate": ("保安",),
    "admin": ("分管安全副校长", "分管安全副园长"), "gym": ("体育教师",), "power": ("保安",),
    "garage": ("保安",), "clinic": ("校医", "保健医生"), "play": ("保育员",), "nap": ("保育员",),
    "library": ("科任教师",), "complex": ("科任教师",), "gate_area": ("保安",),
}  # fmt: skip
POINT_HEADS: dict[str, tuple[str, ...]] = {
    "food_hygiene": ("食堂管理员",), "hazardous_chemicals": ("实验室管理员",),
    "three_defences": ("保安",), "campus_security": ("保安",), "traffic": ("保安",),
    "facilities": ("体育教师",), "drowning": ("值周教师",), "psychological": ("校医",),
}  # fmt: skip
OUTSIDE_HEADS = ("值周教师", "分管安全副校长", "分管安全副园长")
TEACHERS = ("值周教师", "班主任", "科任教师", "体育教师", "年级组长", "保育员")
LEADERS = ("校长", "园长", "分管安全副校长", "分管安全副园长", "教务主任", "保教主任")
BUREAU_LEADERS = ("局长", "副局长", "副局长", "副局长")
BUREAU_STAFF = ("安全科科长", "安全科干事", "安全科干事", "督导室主任", "指挥中心值班员", "指挥中心值班员")  # fmt: skip
# Zones where more risk points gather.
BUSY = {"teaching": 4, "canteen": 2, "lab": 2, "dorm": 2, "gate_area": 2}

CHECK_ITEMS: dict[HazardCategory, tuple[str, ...]] = {
    HazardCategory.FIRE: ("通道是否畅通", "灭火器是否在有效期内", "应急照明是否正常", "疏散指示标志是否完好", "电气线路有无私拉乱接"),
    HazardCategory.BUILDINGS: ("墙体有无裂缝", "扶手栏杆是否牢固", "地面是否湿滑", "门窗是否完好", "课间是否有教师值守"),
    HazardCategory.FACILITIES: ("器材是否牢固", "有无锈蚀松动", "防护垫是否到位", "使用登记是否完整", "警示标识是否清晰"),
    HazardCategory.THREE_DEFENCES: ("保安是否在岗", "监控是否正常运行", "一键报警是否畅通", "防卫器械是否齐全", "访客是否登记"),
    HazardCategory.TRAFFIC: ("护学岗是否到位", "减速带与警示标志", "有无违停车辆", "交通信号是否正常", "校车是否超员"),
    HazardCategory.FOOD_HYGIENE: ("生熟是否分开", "留样是否满48小时", "从业人员健康证", "食材进货查验记录", "餐具是否消毒", "有无过期食品"),
    HazardCategory.CAMPUS_SECURITY: ("有无闲散人员聚集", "巡逻是否到位", "照明是否正常", "有无接纳未成年人", "经营是否合规"),
    HazardCategory.HAZARDOUS_CHEMICALS: ("双人双锁是否落实", "领用登记是否完整", "是否分类存放", "通风是否良好", "废液是否按规定处置"),
    HazardCategory.DORMITORIES: ("有无违规电器", "床铺护栏是否牢固", "查寝是否落实", "宿管是否在岗", "安全出口是否畅通"),
    HazardCategory.DROWNING: ("警示牌是否完好", "救生设备是否齐全", "护栏是否完好", "巡查是否落实", "有无学生逗留"),
    HazardCategory.BULLYING: ("巡查是否到位", "有无学生聚集滞留", "监控是否覆盖", "求助渠道是否公示"),
    HazardCategory.PSYCHOLOGICAL: ("档案是否保密", "值班是否落实", "预约记录是否完整", "危机学生是否跟进"),
    HazardCategory.OTHER: ("物品存放是否规范", "记录是否完整", "责任人是否明确", "卫生是否达标"),
}  # fmt: skip

# Four-colour grades: few red, more orange, most yellow or blue; the categories that kill
# (drowning, chemicals, fire) are graded higher.
GRADES = (RiskGrade.RED, RiskGrade.ORANGE, RiskGrade.YELLOW, RiskGrade.BLUE)
GRADE_WEIGHTS = (2, 13, 40, 45)
SEVERE_GRADE_WEIGHTS = (8, 27, 40, 25)
SEVERE = {HazardCategory.DROWNING, HazardCategory.HAZARDOUS_CHEMICALS, HazardCategory.FIRE}


def zone_name(kind: ZoneKind, rng: random.Random) -> str:
    """Return the name of a zone of this kind, e.g. 学校东侧河道."""
    return kind.name.format(side=rng.choice(SIDES), place=place_name(rng))


def point_name(template: str, grid_name: str, rng: random.Random) -> tuple[str, HazardCategory]:
    """Fill a risk point template for a grid; return the name and the hazard category."""
    name, category = template.split("|")
    filled = name.format(floor=rng.choice(FLOORS), side=rng.choice(SIDES), grid=grid_name)
    return filled, HazardCategory(category)


def point_names(
    rng: random.Random, kind: ZoneKind, grid_name: str, count: int, used: set[str]
) -> list[tuple[str, HazardCategory]]:
    """Return `count` risk point names for a grid of this kind, none of them in `used`."""
    templates = rng.sample(kind.points, min(count, len(kind.points)))
    templates += rng.choices(kind.points, k=count - len(templates))
    points = []
    for template in templates:
        for _ in range(5):  # placeholders drawn again give another floor or side
            name, category = point_name(template, grid_name, rng)
            if name not in used:
                break
        if name in used:
            name = f"{name}（{len(used)}）"
        used.add(name)
        points.append((name, category))
    return points


def grade_for(category: HazardCategory, rng: random.Random) -> RiskGrade:
    """Return a four-colour grade for a risk point of this category."""
    weights = SEVERE_GRADE_WEIGHTS if category in SEVERE else GRADE_WEIGHTS
    return rng.choices(GRADES, weights=weights)[0]


def check_items(category: HazardCategory, rng: random.Random) -> list[str]:
    """Return three check items for a risk point of this category."""
    items = CHECK_ITEMS[category]
    return [items[index] for index in sorted(rng.sample(range(len(items)), 3))]


@dataclass(frozen=True)
class SchoolType:
    """A kind of school: its name, share of the city, staff size and number of zones."""

    suffix: str
    weight: int
    staff: tuple[int, int]
    zones: tuple[int, int]
    female: float  # share of women among its teachers
    private_share: float


# Shares roughly as in a city's statistics: kindergartens and small village schools are many,
# high schools few (and run by the city); about one school in seven is private.
SCHOOL_TYPES: dict[str, SchoolType] = {
    "kindergarten": SchoolType("幼儿园", 36, (4, 7), (6, 8), 0.95, 0.33),
    "village_primary": SchoolType("小学", 29, (4, 7), (6, 8), 0.65, 0.0),
    "primary": SchoolType("小学", 15, (9, 18), (8, 10), 0.7, 0.05),
    "middle": SchoolType("初级中学", 12, (10, 20), (9, 10), 0.55, 0.05),
    "high": SchoolType("高级中学", 3, (20, 40), (10, 10), 0.5, 0.05),
    "nine_year": SchoolType("九年一贯制学校", 5, (10, 20), (9, 10), 0.6, 0.2),
}
VILLAGE_KINDS = ("village_primary", "nine_year")
DORM_SHARE = {"high": 1.0, "middle": 0.7, "nine_year": 0.7, "primary": 0.15, "village_primary": 0.1}
DIGITS = "零一二三四五六七八九"


def cn_number(number: int) -> str:
    """Return 1..99 in Chinese numerals (第十二中学)."""
    tens, ones = divmod(number, 10)
    if tens == 0:
        return DIGITS[ones]
    return f"{DIGITS[tens] if tens > 1 else ''}十{DIGITS[ones] if ones else ''}"


def school_name(rng: random.Random, kind: str, owner: str, private: bool, serial: int) -> str:
    """Return a school's name in its township or city (`owner`); `serial` counts its kind there."""
    suffix = SCHOOL_TYPES[kind].suffix
    if private:
        return f"{owner}{brand_name(rng)}{'学校' if kind == 'nine_year' else suffix}"
    if owner.endswith(("市", "县")):  # run by the city or county: numbered
        numbered = {"middle": "中学", "nine_year": "实验学校"}.get(kind, suffix)
        return f"{owner}第{cn_number(serial)}{numbered}"
    if kind in VILLAGE_KINDS or (kind == "kindergarten" and serial > 1):
        return f"{owner}{place_name(rng)}{suffix}"
    if serial == 1:
        return f"{owner}{'中学' if kind == 'middle' else '中心' + suffix}"
    return f"{owner}第{cn_number(serial)}{suffix}"


def zone_plan(rng: random.Random, kind: str) -> tuple[list[str], list[str]]:
    """Return the zone kinds inside a school of this kind and the outside grids around it."""
    if kind == "kindergarten":
        zones = ["teaching", "canteen", "play", "gate"]
        optional = ["nap", "clinic", "power", "garage", "admin"]
    else:
        zones = ["teaching", "canteen", "playground", "gate"]
        if kind in ("middle", "high", "nine_year") or rng.random() < 0.3:
            zones.append("lab")
        if rng.random() < DORM_SHARE[kind]:
            zones.append("dorm")
        optional = ["library", "admin", "gym", "power", "garage", "clinic", "complex"]
    wanted = rng.randint(*SCHOOL_TYPES[kind].zones) - len(zones)
    zones += rng.sample(optional, max(0, min(wanted, len(optional))))
    around = ["route", "shops", rng.choice(("water", "pond"))]
    return zones, ["gate_area", *rng.sample(around, 1 if rng.random() < 0.8 else 2)]


def staff_posts(rng: random.Random, kind: str, zones: list[str]) -> list[tuple[str, float]]:
    """Return the posts of a school's staff with the share of women for each."""
    school_type, kindergarten = SCHOOL_TYPES[kind], kind == "kindergarten"
    female = school_type.female
    lead = ("园长", "分管安全副园长", "保教主任", "保健医生")
    if not kindergarten:
        lead = ("校长", "分管安全副校长", "教务主任", "校医")
    size = rng.randint(*school_type.staff)
    posts = [(lead[0], 0.4), (lead[1], 0.5), ("保安", 0.05), ("食堂管理员", 0.5)]
    if size >= 8:
        posts.append((lead[2], female))
    if size >= 12:
        posts += [(lead[3], 0.7), ("值周教师", female)]
    if size >= 16:
        posts.append(("保安", 0.05))
    if not kindergarten:
        if "lab" in zones and size >= 8:
            posts.append(("实验室管理员", 0.5))
        if size >= 7:
            posts += [("体育教师", 0.25)] * (1 + size // 25)
        if size >= 20:
            posts += [("年级组长", female)] * min(6, size // 10)
    teachers = ("班主任", "保育员") if kindergarten else ("班主任", "科任教师")
    posts += [(teachers[i % 2], female) for i in range(max(2, size - len(posts)))]
    # The community's two grid persons (一格三员 outside the school) are registered here too.
    return [*posts, ("社区网格员", 0.6), ("社区民警", 0.15)]


@dataclass
class Staff:
    """A school's people by post, and who of them fits a duty."""

    rng: random.Random
    by_post: dict[str, list[PersonRef]]

    def add(self, post: str, person: PersonRef) -> None:
        """Add a person under their post."""
        self.by_post.setdefault(post, []).append(person)

    def all(self, posts: tuple[str, ...]) -> list[PersonRef]:
        """Return everyone holding one of these posts, in post order."""
        return [person for post in posts for person in self.by_post.get(post, [])]

    def first(self, posts: tuple[str, ...]) -> PersonRef:
        """Return the first person of the first of these posts the school has."""
        return self.all(posts)[0]

    def pick(self, preferred: tuple[str, ...], fallback: tuple[str, ...]) -> PersonRef:
        """Return someone of the first preferred post the school has, else any fallback post."""
        for post in preferred:
            if post in self.by_post:
                return self.rng.choice(self.by_post[post])
        return self.rng.choice(self.all(fallback))

    def duty_cycle(self, size: int) -> tuple[PersonRef, ...]:
        """Return the teachers of a weekly duty rotation (值周), two to `size`."""
        teachers = self.all(TEACHERS)
        return tuple(self.rng.sample(teachers, min(size, len(teachers))))
