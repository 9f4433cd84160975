"""Event categories with their topics, audiences and sentences; the shapes of sessions."""

from __future__ import annotations

from typing import NamedTuple

from outreach.accounts.models import OrganisationKind


class _Category(NamedTuple):
    slug: str
    name: str
    name_en: str
    colour: str
    topics: tuple[str, ...]
    audiences: tuple[str, ...]
    sentences: tuple[str, ...]


# fmt: off
_CATEGORIES = (
    _Category(
        "health-screening", "健康义诊", "Health screening", "#c62828",
        ("健康义诊", "免费测血压血糖", "中医养生讲座", "口腔健康检查", "老年人免费体检",
         "家庭医生签约咨询", "心理健康讲座", "眼科义诊"),
        ("社区居民", "60岁以上老人", "慢性病患者及家属"),
        ("社区卫生服务中心的医生现场问诊，免费测量血压、血糖。",
         "中医科专家讲解四季养生知识，并提供体质辨识。", "请携带既往病历和正在服用的药品清单。",
         "检查结果当场告知，需要转诊的居民由家庭医生跟进。"),
    ),
    _Category(
        "ecology", "生态环保", "Ecology", "#2e7d32",
        ("垃圾分类宣传", "旧物交换集市", "社区植树", "节水节电小课堂", "河道清洁行动",
         "阳台种菜分享会"),
        ("社区居民", "亲子家庭", "志愿者"),
        ("志愿者讲解厨余垃圾与其他垃圾的分类方法。", "参加者可凭分类积分兑换环保袋和绿植。",
         "活动提供手套和工具，请穿方便活动的衣服。", "一起把闲置物品交换给需要的邻居。"),
    ),
    _Category(
        "legal-advice", "法律咨询", "Legal advice", "#4527a0",
        ("律师进社区", "反诈骗宣讲", "婚姻家事法律咨询", "劳动权益咨询", "遗嘱与继承讲座",
         "物业纠纷调解"),
        ("社区居民", "老年人", "务工人员"),
        ("执业律师现场解答婚姻、继承、劳动等法律问题。",
         "民警结合真实案例讲解常见电信诈骗手法。", "咨询内容严格保密，可携带相关材料。",
         "人民调解员现场协助化解邻里纠纷。"),
    ),
    _Category(
        "culture-sports", "文体活动", "Culture and sports", "#ef6c00",
        ("广场舞展演", "书法兴趣班", "社区电影放映", "乒乓球友谊赛", "京剧票友会", "太极拳晨练",
         "合唱团排练", "摄影作品展"),
        ("社区居民", "文艺爱好者", "青少年"),
        ("欢迎各年龄段的居民参加，无需基础。", "活动现场提供饮用水，请自带水杯。",
         "优秀作品将在社区宣传栏展出。", "由专业老师带领，循序渐进。"),
    ),
    _Category(
        "education", "教育培训", "Learning", "#1565c0",
        ("老年人智能手机课堂", "青少年编程体验", "家庭教育讲座", "职业技能培训", "科普进社区",
         "亲子阅读会"),
        ("老年人", "中小学生及家长", "待业青年"),
        ("手把手教会挂号、缴费、视频通话等常用功能。", "课程结束后颁发结业证书。",
         "请自带手机或笔记本电脑，现场有少量设备可借用。", "讲师为区教育系统的骨干教师。"),
    ),
    _Category(
        "volunteering", "志愿服务", "Volunteering", "#00838f",
        ("志愿者招募", "便民维修服务", "理发义剪", "爱心衣物捐赠", "助老陪伴行动"),
        ("志愿者", "社区居民"),
        ("师傅现场免费修理小家电、磨刀、修伞。", "志愿服务时长可记入北京志愿者平台。",
         "捐赠衣物请清洗干净后打包带来。", "欢迎有一技之长的居民加入志愿服务队。"),
    ),
    _Category(
        "safety", "安全宣传", "Safety", "#6d4c41",
        ("消防安全演练", "燃气安全检查", "应急救护培训", "电动自行车安全讲座", "防汛知识宣传"),
        ("社区居民", "物业及商户", "学生"),
        ("消防员演示灭火器和消防栓的使用方法。", "红十字会讲师教授心肺复苏和海姆立克急救法。",
         "演练期间请听从现场工作人员指挥。", "现场发放家庭应急包和安全手册。"),
    ),
    _Category(
        "elderly-care", "为老服务", "Elderly care", "#ad1457",
        ("老年餐桌开放日", "助浴助洁服务", "老年人防跌倒讲座", "银龄生日会", "养老政策解读"),
        ("60岁以上老人", "老人家属"),
        ("养老照料中心介绍居家养老服务和补贴申请流程。", "康复师讲解居家防跌倒的小改造。",
         "行动不便的老人可由家属陪同参加。", "活动后为本月过生日的老人送上蛋糕。"),
    ),
)
# fmt: on
# How an organisation's kind leans towards categories (index into _CATEGORIES); others even.
_CATEGORY_LEANING = {
    OrganisationKind.HEALTH_CENTRE: {0: 12, 7: 4},
    OrganisationKind.SCHOOL: {4: 10, 6: 3, 3: 3},
    OrganisationKind.STREET_OFFICE: {1: 2, 6: 2},
}
_CANCELLATION_REASONS = ("因天气原因取消", "场地临时维修，活动取消", "主讲人临时有事，活动取消")
_SLOT_LABELS = ("内科", "中医科", "口腔科", "眼科", "康复科", "心理咨询")

# Local start times (hour, minute) and lengths (minutes) of sessions, with their weights.
_STARTS = ((8, 30), (9, 0), (9, 30), (10, 0), (14, 0), (14, 30), (15, 0), (19, 0))
_START_WEIGHTS = (2, 4, 3, 3, 3, 4, 2, 1)
_LENGTHS = (60, 90, 120, 180)
_CAPACITIES = (None, 0, 10, 15, 20, 30, 40, 50, 80, 100, 200)
_CAPACITY_WEIGHTS = (12, 1, 10, 10, 18, 15, 10, 10, 6, 5, 3)
