"""Demo data: Chaoyang District's townships, communities, venues, organisations and campaigns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select

from outreach.accounts.models import Organisation, OrganisationKind
from outreach.database import db
from outreach.events import scheduling
from outreach.events.models import Category, Event, EventSession, EventStatus, SessionStatus
from outreach.localtime import local_midnight, local_today, local_zone
from outreach.places.models import Community, Township, TownshipKind, Venue
from outreach.registrations.models import Slot
from outreach.text import slugify

M = TypeVar("M")

KINDS = ("townships", "communities", "venues", "organisations", "categories", "events", "sessions")

# Derived names: each community has a service station (venue) and a residents' committee.
STATION = "服务站"
STATION_EN = " Service Station"
COMMITTEE = "居委会"
COMMITTEE_EN = " Residents' Committee"


# ---------------------------------------------------------------------------------------------
# Places


@dataclass(frozen=True)
class CommunitySeed:
    """A community, with the address and position of its service station."""

    name: str
    name_en: str
    address: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class TownshipSeed:
    """A street (街道) or township (乡) and its communities."""

    name: str
    name_en: str
    kind: TownshipKind
    communities: tuple[CommunitySeed, ...]


@dataclass(frozen=True)
class VenueSeed:
    """A venue other than a community service station; community None for township-level."""

    name: str
    name_en: str
    township: str
    community: str | None
    address: str
    latitude: float
    longitude: float


STREET, RURAL = TownshipKind.STREET, TownshipKind.TOWNSHIP

TOWNSHIPS: tuple[TownshipSeed, ...] = (
    TownshipSeed("望京街道", "Wangjing Subdistrict", STREET, (
        CommunitySeed("大西洋新城社区", "Daxiyang Xincheng Community",
                      "朝阳区大西洋新城南区12号楼底商", 39.9885, 116.4630),
        CommunitySeed("花家地北里社区", "Huajiadi Beili Community",
                      "朝阳区花家地北里6号楼一层", 39.9830, 116.4700),
        CommunitySeed("南湖东园社区", "Nanhu Dongyuan Community",
                      "朝阳区南湖东园122号楼东侧", 40.0050, 116.4690),
        CommunitySeed("望花路东里社区", "Wanghualu Dongli Community",
                      "朝阳区望花路东里8号院内", 39.9915, 116.4760),
    )),
    TownshipSeed("六里屯街道", "Liulitun Subdistrict", STREET, (
        CommunitySeed("炫特社区", "Xuante Community",
                      "朝阳区炫特嘉园3号楼一层", 39.9270, 116.4975),
        CommunitySeed("晨光社区", "Chenguang Community",
                      "朝阳区晨光家园南门东侧", 39.9310, 116.4920),
        CommunitySeed("碧水社区", "Bishui Community",
                      "朝阳区碧水庄园西门北侧", 39.9290, 116.4880),
        CommunitySeed("甜水园社区", "Tianshuiyuan Community",
                      "朝阳区甜水园北里16号楼一层", 39.9320, 116.4830),
    )),
    TownshipSeed("小红门乡", "Xiaohongmen Township", RURAL, (
        CommunitySeed("鸿博家园社区", "Hongbo Jiayuan Community",
                      "朝阳区小红门乡鸿博家园一期综合楼", 39.8270, 116.4680),
        CommunitySeed("龙爪树社区", "Longzhaoshu Community",
                      "朝阳区小红门乡龙爪树北路2号", 39.8430, 116.4560),
        CommunitySeed("肖村社区", "Xiaocun Community",
                      "朝阳区小红门乡肖村桥东南角", 39.8400, 116.4440),
        CommunitySeed("红寺社区", "Hongsi Community",
                      "朝阳区小红门乡红寺东路6号", 39.8460, 116.4700),
    )),
    TownshipSeed("十八里店乡", "Shibalidian Township", RURAL, (
        CommunitySeed("周庄嘉园社区", "Zhouzhuang Jiayuan Community",
                      "朝阳区十八里店乡周庄嘉园东里9号楼", 39.8580, 116.5050),
        CommunitySeed("吕家营社区", "Lüjiaying Community",
                      "朝阳区十八里店乡吕家营南里3号", 39.8560, 116.4880),
        CommunitySeed("十里河社区", "Shilihe Community",
                      "朝阳区十八里店乡十里河村东口", 39.8670, 116.4680),
        CommunitySeed("老君堂社区", "Laojuntang Community",
                      "朝阳区十八里店乡老君堂村委会旁", 39.8500, 116.5210),
    )),
    TownshipSeed("南磨房乡", "Nanmofang Township", RURAL, (
        CommunitySeed("双龙南里社区", "Shuanglong Nanli Community",
                      "朝阳区南磨房乡双龙南里126号楼", 39.8770, 116.4870),
        CommunitySeed("赛洛城社区", "Sailuocheng Community",
                      "朝阳区南磨房乡赛洛城会所一层", 39.8710, 116.4970),
        CommunitySeed("百子湾家园社区", "Baiziwan Jiayuan Community",
                      "朝阳区百子湾路百子湾家园208号楼", 39.8900, 116.4960),
        CommunitySeed("世纪东方城社区", "Shiji Dongfangcheng Community",
                      "朝阳区南磨房乡世纪东方城东门", 39.8800, 116.4780),
    )),
    TownshipSeed("三里屯街道", "Sanlitun Subdistrict", STREET, (
        CommunitySeed("北三里社区", "Beisanli Community",
                      "朝阳区北三里屯5号楼一层", 39.9400, 116.4520),
        CommunitySeed("幸福二村社区", "Xingfu Ercun Community",
                      "朝阳区幸福二村40号楼南侧", 39.9390, 116.4440),
        CommunitySeed("中纺里社区", "Zhongfangli Community",
                      "朝阳区中纺里12号楼一层", 39.9300, 116.4470),
    )),
)  # fmt: skip

VENUES: tuple[VenueSeed, ...] = (
    VenueSeed("六里屯社区卫生服务中心", "Liulitun Community Health Service Centre",
              "六里屯街道", "甜水园社区", "朝阳区甜水园北里甲1号", 39.9335, 116.4845),
    VenueSeed("芳草国际学校", "Fangcao International School",
              "六里屯街道", None, "朝阳区甜水园东街8号", 39.9300, 116.4810),
    VenueSeed("北京市东方德才学校", "Beijing Dongfang Decai School",
              "十八里店乡", None, "朝阳区十八里店乡周庄嘉园东里22号", 39.8610, 116.5080),
    VenueSeed("三里屯太古里", "Taikoo Li Sanlitun",
              "三里屯街道", None, "朝阳区三里屯路19号", 39.9345, 116.4545),
)  # fmt: skip

# Every venue: each community's service station, then the others.
ALL_VENUES: tuple[VenueSeed, ...] = tuple(
    VenueSeed(c.name + STATION, c.name_en + STATION_EN, t.name, c.name,
              c.address, c.latitude, c.longitude)
    for t in TOWNSHIPS
    for c in t.communities
) + VENUES  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Organisations and categories


@dataclass(frozen=True)
class OrganisationSeed:
    """Who runs events; community committees are derived from the communities."""

    name: str
    name_en: str
    kind: OrganisationKind


@dataclass(frozen=True)
class CategorySeed:
    """A kind of event, with an explicit readable slug and a colour."""

    slug: str
    name: str
    name_en: str
    colour: str


ORGANISATIONS: tuple[OrganisationSeed, ...] = (
    OrganisationSeed("区发展改革委", "District Development and Reform Commission",
                     OrganisationKind.DISTRICT_DEPARTMENT),
    OrganisationSeed("区教委", "District Education Commission",
                     OrganisationKind.DISTRICT_DEPARTMENT),
    OrganisationSeed("六里屯社区卫生服务中心", "Liulitun Community Health Service Centre",
                     OrganisationKind.HEALTH_CENTRE),
    OrganisationSeed("望京街道办事处", "Wangjing Subdistrict Office",
                     OrganisationKind.STREET_OFFICE),
    OrganisationSeed("三里屯街道办事处", "Sanlitun Subdistrict Office",
                     OrganisationKind.STREET_OFFICE),
    OrganisationSeed("芳草国际学校", "Fangcao International School", OrganisationKind.SCHOOL),
    OrganisationSeed("北京市东方德才学校", "Beijing Dongfang Decai School",
                     OrganisationKind.SCHOOL),
) + tuple(
    OrganisationSeed(c.name + COMMITTEE, c.name_en + COMMITTEE_EN,
                     OrganisationKind.COMMUNITY_COMMITTEE)
    for t in TOWNSHIPS
    for c in t.communities
)  # fmt: skip

CATEGORIES: tuple[CategorySeed, ...] = (
    CategorySeed("ecology", "生态环保", "Ecology", "#2e7d32"),
    CategorySeed("health-screening", "健康义诊", "Health screening", "#c62828"),
    CategorySeed("education-exchange", "教育交流", "Education exchange", "#1565c0"),
    CategorySeed("culture-sports", "文体活动", "Culture and sports", "#b84f00"),
    CategorySeed("deputy-reception", "人大代表接待", "Meet your deputy", "#6a1b9a"),
    CategorySeed("waste-sorting", "垃圾分类", "Waste sorting", "#00838f"),
    CategorySeed("safety", "安全宣传", "Safety", "#5d4037"),
)


# ---------------------------------------------------------------------------------------------
# Events and their sessions


@dataclass(frozen=True)
class SessionSeed:
    """Sessions at a venue: `day` days after the load date, repeated `count` times `every` days.

    Times are local wall-clock times ("HH:MM"); all-day sessions ignore them.
    """

    venue: str
    day: int
    start: str = "09:00"
    end: str = "11:00"
    capacity: int | None = None
    every: int = 7
    count: int = 1
    all_day: bool = False
    cancellation_reason: str = ""


@dataclass(frozen=True)
class EventSeed:
    """An event, identified by (organisation, title), and its sessions."""

    organisation: str
    category: str
    title: str
    summary: str
    description: str
    audience: str
    sessions: tuple[SessionSeed, ...]
    status: EventStatus = EventStatus.PUBLISHED
    # Slots: each label in windows of `slot_minutes` across each session, `slot_capacity` each.
    slots: tuple[str, ...] = ()
    slot_minutes: int = 30
    slot_capacity: int = 6
    one_registration_per_event: bool = False
    # English texts (title, summary, description, audience), for the events that have them.
    english: tuple[str, str, str, str] | None = None


@dataclass(frozen=True)
class RoutineSeed:
    """An everyday event each listed community's committee runs at its own service station.

    `{community}` in the texts becomes the community's name; the first day is staggered so
    the communities do not all meet on the same evening.
    """

    category: str
    title: str
    summary: str
    description: str
    audience: str
    communities: tuple[str, ...]
    first_day: int
    start: str
    end: str
    capacity: int | None
    count: int

    def expand(self) -> tuple[EventSeed, ...]:
        """One event per community, run by that community's committee."""
        return tuple(
            EventSeed(
                organisation=community + COMMITTEE,
                category=self.category,
                title=self.title.format(community=community),
                summary=self.summary.format(community=community),
                description=self.description.format(community=community),
                audience=self.audience,
                sessions=(
                    SessionSeed(
                        community + STATION,
                        self.first_day + index % 6,
                        self.start,
                        self.end,
                        self.capacity,
                        count=self.count,
                    ),
                ),
            )
            for index, community in enumerate(self.communities)
        )


ECOLOGY_DAY = EventSeed(
    organisation="区发展改革委",
    category="ecology",
    title="全国生态日·绿色生活进社区",
    summary="区发展改革委把生态文明宣传摊位摆到望京、小红门、十八里店、南磨房的社区门口，"
    "现场学习绿色低碳生活小窍门。",
    description=(
        "8月15日是全国生态日。围绕经济社会发展全面绿色转型，区发展改革委联合各街乡，"
        "把宣传摊位搬进社区，一站一站地和居民聊聊身边的节能、节水和减塑。\n\n"
        "摊位上有展板和短片，工作人员会演示用咖啡渣给盆栽追肥、用旧衣物做收纳袋等小办法，"
        "并免费发放分装好的咖啡渣和环保购物袋，发完为止。\n\n"
        "现场还有垃圾分类趣味问答，答对三题可领取小礼品。无需报名，欢迎带上孩子一起来。"
    ),
    audience="社区居民，亲子家庭",
    sessions=(
        SessionSeed("大西洋新城社区服务站", 2, "09:30", "11:30"),
        SessionSeed("花家地北里社区服务站", 2, "14:30", "16:30"),
        SessionSeed("鸿博家园社区服务站", 3, "09:30", "11:30"),
        SessionSeed("龙爪树社区服务站", 4, "09:30", "11:30"),
        SessionSeed("周庄嘉园社区服务站", 4, "14:30", "16:30"),
        SessionSeed("吕家营社区服务站", 5, "09:30", "11:30"),
        SessionSeed("双龙南里社区服务站", 6, "09:30", "11:30"),
        SessionSeed("赛洛城社区服务站", 6, "14:30", "16:30"),
        SessionSeed("百子湾家园社区服务站", 7, "09:30", "11:30"),
    ),
)

SCREENING = EventSeed(
    organisation="六里屯社区卫生服务中心",
    category="health-screening",
    title="医师节专家义诊进社区",
    summary="六里屯社区卫生服务中心专家团队连续三天走进炫特、晨光、碧水社区，"
    "提供问诊、慢病咨询和用药指导。",
    description=(
        "迎接中国医师节，六里屯社区卫生服务中心组织脑卒中与综合病区、骨伤与骨关节病区、"
        "中医科和全科门诊的医生，连续三天到社区服务站坐诊，每天服务一个社区。\n\n"
        "现场提供常见病问诊、血压血糖测量、慢性病随访和用药指导；家庭医生团队可办理签约、"
        "更新健康档案，需要进一步检查的居民可当场预约转诊到医联体医院。\n\n"
        "请携带身份证、医保卡、近期检查报告或正在服用的药品清单。每场名额有限，请提前报名；"
        "行动不便的老人可由家属陪同前来。"
    ),
    audience="辖区居民，慢性病患者和老年人优先",
    sessions=(
        SessionSeed("炫特社区服务站", 4, "08:30", "11:30", capacity=30),
        SessionSeed("晨光社区服务站", 5, "08:30", "11:30", capacity=40),
        SessionSeed("碧水社区服务站", 6, "08:30", "11:30", capacity=20),
    ),
    slots=("中医科", "骨伤与骨关节", "脑卒中", "全科"),
    one_registration_per_event=True,
)

YOUTH_EXCHANGE = EventSeed(
    organisation="区教委",
    category="education-exchange",
    title="京墨青少年融情交流营·校园开放日",
    summary="新疆墨玉县的学生走进芳草国际学校和北京市东方德才学校，与朝阳同学一起唱歌、"
    "画画、体验校本课程。",
    description=(
        "区教委与和田地区墨玉县教育局共同举办京墨青少年融情交流营，两地孩子在朝阳的两所学校"
        "结伴度过半天时光。\n\n"
        "在芳草国际学校，校园小讲解员带大家参观校园，两地学生合唱一首歌、合作完成一幅长卷画；"
        "在北京市东方德才学校，同学们一起体验衍纸和彩绳编织课程，并轮流展示才艺。\n\n"
        "每校为本校学生家长开放少量观摩名额，请提前报名，入校时出示报名码并佩戴访客证。"
    ),
    audience="本校学生家长",
    sessions=(
        SessionSeed("芳草国际学校", 9, "09:00", "11:30", capacity=40),
        SessionSeed("北京市东方德才学校", 10, "14:00", "16:30", capacity=40),
    ),
)

GREEN_LIFE = EventSeed(
    organisation="区发展改革委",
    category="ecology",
    title="绿色生活季·全国生态日北京宣传日",
    summary="三里屯太古里户外展区全天开放：生态文明大讲堂、亲子手工、环保宣传品领取。",
    description=(
        "区发展改革委协助市发展改革委在三里屯太古里举办绿色生活季户外宣传，展区连续两天全天开放。"
        "\n\n"
        "展区分为绿色出行、家电以旧换新、绿电与可再生能源三个主题区；上午十点和下午三点"
        "各有一场生态文明大讲堂，由专家讲解家庭节能的实用做法。\n\n"
        "亲子手工区用旧纸盒、瓶盖做小手工，作品可以带回家。环保宣传品在服务台领取。"
        "无需报名，随到随看。"
    ),
    audience="市民游客，亲子家庭",
    english=(
        "Green Living Season: National Ecology Day at Sanlitun",
        "An open-air exhibition at Taikoo Li Sanlitun, open all day: talks on ecology, crafts "
        "for parents and children, and free green living kits.",
        "The district's Development and Reform Commission helps the city hold an open-air "
        "Green Living Season exhibition at Taikoo Li Sanlitun, open all day on two days.\n\n"
        "It has three areas: green travel, trading in old appliances, and clean power. At 10 "
        "a.m. and 3 p.m. an expert gives a talk on saving energy at home.\n\n"
        "In the crafts corner children make things from old boxes and bottle caps and take "
        "them home. Free kits are handed out at the service desk. No registration needed.",
        "Residents, visitors and families",
    ),
    sessions=(
        SessionSeed("三里屯太古里", 13, all_day=True),
        SessionSeed("三里屯太古里", 14, all_day=True),
    ),
)

WEEKLY_CLINIC = EventSeed(
    organisation="六里屯社区卫生服务中心",
    category="health-screening",
    title="每周健康义诊日",
    summary="每周一个上午，全科和中医科医生免费为居民量血压、测血糖、解答用药问题。",
    description=(
        "六里屯社区卫生服务中心每周固定一个上午开设健康义诊，由全科和中医科医生轮流坐诊。\n\n"
        "义诊内容包括血压血糖测量、慢病随访、中医体质辨识和用药咨询；家庭医生签约居民"
        "可顺便更新随访记录。\n\n"
        "请空腹前来测血糖的居民尽量在九点前到达。每次限30人，报名后按所选时段就诊。"
    ),
    audience="辖区居民",
    sessions=(SessionSeed("六里屯社区卫生服务中心", 1, "08:30", "11:00", 30, count=4),),
)

WASTE_SORTING = EventSeed(
    organisation="望京街道办事处",
    category="waste-sorting",
    title="垃圾分类小课堂",
    summary="垃圾分类指导员讲解厨余垃圾、可回收物、有害垃圾的分类要点和常见误区。",
    description=(
        "望京街道邀请垃圾分类指导员到社区开课，用实物和图卡讲清楚四类垃圾怎么分。\n\n"
        "课堂会重点说说大家最容易弄错的几样东西：大骨头、用过的纸巾、过期药品、"
        "外卖餐盒。课后有分类小游戏，答对可领取厨余垃圾袋一卷。\n\n"
        "每场限25人，报名后请准时到场；楼门长和志愿者优先。"
    ),
    audience="社区居民，楼门长和志愿者",
    sessions=(
        SessionSeed("大西洋新城社区服务站", 3, "14:30", "16:00", 25,
                    cancellation_reason="活动室临时检修，本场取消，请参加下一场。"),
        SessionSeed("南湖东园社区服务站", 5, "14:30", "16:00", 25),
        SessionSeed("望花路东里社区服务站", 8, "14:30", "16:00", 25),
        SessionSeed("花家地北里社区服务站", 10, "14:30", "16:00", 25),
        SessionSeed("大西洋新城社区服务站", 12, "14:30", "16:00", 25),
        SessionSeed("望花路东里社区服务站", 15, "19:00", "20:00", 25),
    ),
)  # fmt: skip

DEPUTY_RECEPTION = EventSeed(
    organisation="三里屯街道办事处",
    category="deputy-reception",
    title="人大代表接待日",
    summary="区人大代表到社区服务站面对面听取居民意见建议，可提前登记想反映的事项。",
    description=(
        "为密切代表与群众的联系，三里屯街道组织辖区的区人大代表轮流到社区接待居民。\n\n"
        "社区环境、停车、养老助餐、老旧小区改造等身边事都可以谈；代表会记录在案，"
        "并在会后跟进办理情况，向反映人答复。\n\n"
        "每场接待名额有限，请提前报名并简要写明想反映的事项；未报名的居民也可现场排队。"
    ),
    audience="辖区居民",
    sessions=(
        SessionSeed("北三里社区服务站", 8, "09:00", "11:00", 15),
        SessionSeed("幸福二村社区服务站", 15, "09:00", "11:00", 15),
        SessionSeed("中纺里社区服务站", 22, "09:00", "11:00", 15),
    ),
)

FIRE_SAFETY_DRAFT = EventSeed(
    organisation="望京街道办事处",
    category="safety",
    title="冬季消防安全讲座",
    summary="（筹备中）消防站讲解冬季用电、用气和电动自行车充电安全。",
    description="讲座内容和主讲人仍在确认，暂不对外发布。\n\n确认后将开放报名。",
    audience="社区居民",
    sessions=(SessionSeed("大西洋新城社区服务站", 20, "19:00", "20:30", 50),),
    status=EventStatus.DRAFT,
)

SQUARE_DANCE = RoutineSeed(
    category="culture-sports",
    title="{community}广场舞晚练",
    summary="社区文体队每周一次的广场舞晚练，有老师带跳基础步伐，新老队员都欢迎。",
    description=(
        "{community}文体队的广场舞晚练在社区服务站前的小广场进行，每周一次，每次一个半小时。"
        "\n\n"
        "前半小时由老师带大家练基础步伐和新曲目，之后自由跳；第一次来的居民不用担心跟不上。"
        "\n\n"
        "请穿运动鞋、自带水杯。音响音量按社区公约控制，八点半准时结束；遇雨雪天气暂停，"
        "以社区群通知为准。"
    ),
    audience="社区居民",
    communities=("肖村社区", "红寺社区", "十里河社区", "老君堂社区", "世纪东方城社区",
                 "晨光社区", "幸福二村社区"),
    first_day=1,
    start="19:00",
    end="20:30",
    capacity=None,
    count=4,
)  # fmt: skip

EVENTS: tuple[EventSeed, ...] = (
    ECOLOGY_DAY,
    SCREENING,
    YOUTH_EXCHANGE,
    GREEN_LIFE,
    WEEKLY_CLINIC,
    WASTE_SORTING,
    DEPUTY_RECEPTION,
    FIRE_SAFETY_DRAFT,
    *SQUARE_DANCE.expand(),
)


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass
class SeedReport:
    """How many rows of each kind the seed created."""

    created: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the command's output."""
        if not any(self.created.values()):
            return "Demo data already loaded; nothing to add."
        return "Created " + ", ".join(f"{n} {kind}" for kind, n in self.created.items() if n)


def is_empty() -> bool:
    """Whether the database holds no places yet."""
    return db.session.scalar(select(Township.id).limit(1)) is None


def seed(reset: bool = False) -> SeedReport:
    """Load the demo; rows that already exist are kept. Flushes, never commits."""
    if reset:
        delete_all()
    report = SeedReport(created=dict.fromkeys(KINDS, 0))
    venues = _seed_places(report)
    organisations = {
        o.name: _get_or_create(
            report,
            "organisations",
            Organisation,
            slugify(o.name),
            name=o.name,
            name_en=o.name_en,
            kind=o.kind,
        )
        for o in ORGANISATIONS
    }
    categories = {
        c.slug: _get_or_create(
            report,
            "categories",
            Category,
            c.slug,
            name=c.name,
            name_en=c.name_en,
            colour=c.colour,
        )
        for c in CATEGORIES
    }
    db.session.flush()
    _seed_events(report, venues, organisations, categories)
    db.session.flush()
    return report


def delete_all() -> None:
    """Delete every row of every table, children before parents. Flushes, never commits."""
    db.session.flush()
    # Reverse dependency order covers sessions → events → … → townships, and any table
    # added later (registrations, memberships) without this function having to know of it.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    # Objects of deleted rows must not linger: SQLite may give their ids to new rows.
    db.session.expunge_all()


def _get_or_create(report: SeedReport, counted_as: str, model: type[M], slug: str, **fields) -> M:
    """The row with this slug, created (and counted in the report) when missing."""
    found = db.session.scalar(select(model).where(model.slug == slug))
    if found is None:
        found = model(slug=slug, **fields)
        db.session.add(found)
        report.created[counted_as] += 1
    return found


def _seed_places(report: SeedReport) -> dict[str, Venue]:
    """Townships, communities and venues; returns the venues by name."""
    townships: dict[str, Township] = {}
    communities: dict[str, Community] = {}
    for t in TOWNSHIPS:
        townships[t.name] = _get_or_create(
            report,
            "townships",
            Township,
            slugify(t.name),
            name=t.name,
            name_en=t.name_en,
            kind=t.kind,
        )
        for c in t.communities:
            communities[c.name] = _get_or_create(
                report,
                "communities",
                Community,
                slugify(c.name),
                name=c.name,
                name_en=c.name_en,
                township=townships[t.name],
            )
    return {
        v.name: _get_or_create(
            report,
            "venues",
            Venue,
            slugify(v.name),
            name=v.name,
            name_en=v.name_en,
            address=v.address,
            township=townships[v.township],
            community=communities[v.community] if v.community else None,
            latitude=Decimal(f"{v.latitude:.6f}"),
            longitude=Decimal(f"{v.longitude:.6f}"),
        )
        for v in ALL_VENUES
    }


def _seed_events(
    report: SeedReport,
    venues: dict[str, Venue],
    organisations: dict[str, Organisation],
    categories: dict[str, Category],
) -> None:
    """Every event not yet run by its organisation, with its sessions dated from today."""
    today = local_today()
    for spec in EVENTS:
        organisation = organisations[spec.organisation]
        if _has_event(organisation, spec.title):
            continue
        event = _event(spec, organisation, categories[spec.category])
        for session_spec in spec.sessions:
            _add_sessions(event, session_spec, today, venues[session_spec.venue])
        for event_session in event.sessions:
            event_session.slots.extend(_slots(spec, event_session))
        report.created["events"] += 1
        report.created["sessions"] += len(event.sessions)


def _has_event(organisation: Organisation, title: str) -> bool:
    """Whether the organisation already runs an event of this title."""
    statement = select(Event.id).where(
        Event.organisation_id == organisation.id, Event.title == title
    )
    return db.session.scalar(statement.limit(1)) is not None


ENGLISH_FIELDS = ("title_en", "summary_en", "description_en", "audience_en")


def _event(spec: EventSeed, organisation: Organisation, category: Category) -> Event:
    """A new event from its seed, added to the session, without sessions yet."""
    event = Event(
        organisation=organisation,
        category=category,
        title=spec.title,
        summary=spec.summary,
        description=spec.description,
        audience=spec.audience,
        status=spec.status,
        **dict(zip(ENGLISH_FIELDS, spec.english or (), strict=False)),
        one_registration_per_event=spec.one_registration_per_event,
    )
    db.session.add(event)
    return event


def _slots(spec: EventSeed, event_session: EventSession) -> list[Slot]:
    """Each of the seed's specialties in half-hour (or other) windows across the session."""
    if not spec.slots or event_session.all_day:
        return []
    step = timedelta(minutes=spec.slot_minutes)
    windows = []
    start = event_session.starts_at
    while start < event_session.ends_at:
        windows.append((start, min(start + step, event_session.ends_at)))
        start += step
    return [
        Slot(
            label=label,
            starts_at=begins,
            ends_at=ends,
            capacity=spec.slot_capacity,
            position=position,
        )
        for position, (label, (begins, ends)) in enumerate(
            ((label, window) for label in spec.slots for window in windows), start=1
        )
    ]


def _sessions(spec: SessionSeed, today: date, venue: Venue) -> list[scheduling.NewSession]:
    """The sessions one SessionSeed stands for, dated from `today` in local time, stored UTC."""
    zone = local_zone()
    found = []
    for number in range(spec.count):
        day = today + timedelta(days=spec.day + number * spec.every)
        if spec.all_day:
            starts_at, ends_at = local_midnight(day), local_midnight(day + timedelta(days=1))
        else:
            starts_at = datetime.combine(day, time.fromisoformat(spec.start), zone)
            ends_at = datetime.combine(day, time.fromisoformat(spec.end), zone)
        found.append(
            scheduling.NewSession(
                starts_at=starts_at.astimezone(UTC),
                ends_at=ends_at.astimezone(UTC),
                venue=venue,
                all_day=spec.all_day,
                capacity=spec.capacity,
            )
        )
    return found


def _add_sessions(event: Event, spec: SessionSeed, today: date, venue: Venue) -> None:
    """Add a SessionSeed's sessions through the one path; a seed with a reason is called off.

    Nobody is audited or told: there is no actor, and nobody has registered yet.
    """
    added = scheduling.add_sessions(None, event, _sessions(spec, today, venue), audited=False)
    if not spec.cancellation_reason:
        return
    for event_session in added:
        scheduling.change_session(
            None,
            event_session,
            audited=False,
            signalled=False,
            status=SessionStatus.CANCELLED,
            cancellation_reason=spec.cancellation_reason,
        )
