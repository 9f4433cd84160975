"""Name material for places, organisations and people, and unique slugs.

Place names are made of characters whose pinyin we know, so slugs need no lookup.
"""

from __future__ import annotations

from outreach.places.models import TownshipKind

_PLACE_TEXT = (
    "望:wang 京:jing 花:hua 家:jia 南:nan 北:bei 东:dong 西:xi 湖:hu 园:yuan 新:xin 城:cheng "
    "安:an 和:he 平:ping 华:hua 兴:xing 福:fu 康:kang 宁:ning 泰:tai 祥:xiang 瑞:rui "
    "丰:feng 盛:sheng 嘉:jia 龙:long 凤:feng 金:jin 玉:yu 春:chun 秋:qiu 阳:yang "
    "光:guang 明:ming 清:qing 水:shui 河:he 山:shan 林:lin 松:song 柏:bai 桃:tao 杨:yang "
    "柳:liu 梅:mei 兰:lan 竹:zhu 石:shi 桥:qiao 门:men 台:tai 庄:zhuang 营:ying 屯:tun "
    "坊:fang 塔:ta 寺:si 亭:ting 苑:yuan 景:jing 晨:chen 朝:chao 星:xing 月:yue 云:yun "
    "天:tian 德:de 惠:hui 民:min 欣:xin 悦:yue 翠:cui 青:qing 红:hong 紫:zi 白:bai "
    "高:gao 双:shuang 万:wan 永:yong 广:guang 泉:quan 溪:xi 海:hai 洋:yang 瑶:yao "
    "芳:fang 草:cao 劲:jin 潘:pan 垡:fa 甜:tian 井:jing 亮:liang 马:ma"
)
_PLACE_CHARS = [tuple(pair.split(":")) for pair in _PLACE_TEXT.split()]
_TOWNSHIP_SUFFIXES = {
    TownshipKind.STREET: ("街道", "jie-dao", "Subdistrict"),
    TownshipKind.TOWNSHIP: ("乡", "xiang", "Township"),
}
_COMMUNITY_SUFFIXES = (
    ("社区", "she-qu", "Community"),
    ("北里社区", "bei-li-she-qu", "Beili Community"),
    ("南里社区", "nan-li-she-qu", "Nanli Community"),
    ("东里社区", "dong-li-she-qu", "Dongli Community"),
    ("西里社区", "xi-li-she-qu", "Xili Community"),
    ("家园社区", "jia-yuan-she-qu", "Jiayuan Community"),
    ("新村社区", "xin-cun-she-qu", "Xincun Community"),
    ("花园社区", "hua-yuan-she-qu", "Huayuan Community"),
)
_VILLAGE_SUFFIX = ("村", "cun", "Village")
_STATION = ("服务站", "fu-wu-zhan", "Service Station")
_COMMUNITY_VENUES = (
    ("党群服务中心", "dang-qun-fu-wu-zhong-xin", "Community Centre"),
    ("文化活动室", "wen-hua-huo-dong-shi", "Culture Room"),
    ("老年活动中心", "lao-nian-huo-dong-zhong-xin", "Seniors' Centre"),
    ("健身广场", "jian-shen-guang-chang", "Fitness Square"),
    ("图书室", "tu-shu-shi", "Reading Room"),
    ("卫生服务站", "wei-sheng-fu-wu-zhan", "Health Station"),
    ("议事厅", "yi-shi-ting", "Meeting Hall"),
    ("儿童之家", "er-tong-zhi-jia", "Children's Home"),
)
_TOWNSHIP_VENUES = (
    ("社区卫生服务中心", "she-qu-wei-sheng-fu-wu-zhong-xin", "Community Health Centre"),
    ("文化中心", "wen-hua-zhong-xin", "Culture Centre"),
    ("体育中心", "ti-yu-zhong-xin", "Sports Centre"),
    ("中心小学", "zhong-xin-xiao-xue", "Central Primary School"),
    ("图书馆", "tu-shu-guan", "Library"),
    ("市民活动中心", "shi-min-huo-dong-zhong-xin", "Civic Centre"),
    ("购物中心广场", "gou-wu-zhong-xin-guang-chang", "Shopping Centre Plaza"),
    ("公园", "gong-yuan", "Park"),
    ("养老照料中心", "yang-lao-zhao-liao-zhong-xin", "Elderly Care Centre"),
    ("便民服务大厅", "bian-min-fu-wu-da-ting", "Service Hall"),
)
_DISTRICT_BODIES = (
    ("区卫生健康委员会", "qu-wei-sheng-jian-kang-wei-yuan-hui", "District Health Commission"),
    ("区民政局", "qu-min-zheng-ju", "District Civil Affairs Bureau"),
    ("区司法局", "qu-si-fa-ju", "District Justice Bureau"),
    ("区文化和旅游局", "qu-wen-hua-he-lv-you-ju", "District Culture and Tourism Bureau"),
    ("区教育委员会", "qu-jiao-yu-wei-yuan-hui", "District Education Commission"),
    ("区生态环境局", "qu-sheng-tai-huan-jing-ju", "District Ecology and Environment Bureau"),
    ("区体育局", "qu-ti-yu-ju", "District Sports Bureau"),
    ("区科学技术协会", "qu-ke-xue-ji-shu-xie-hui", "District Science Association"),
    ("区妇女联合会", "qu-fu-nv-lian-he-hui", "District Women's Federation"),
    ("区残疾人联合会", "qu-can-ji-ren-lian-he-hui", "District Disabled Persons' Federation"),
    ("区消防救援支队", "qu-xiao-fang-jiu-yuan-zhi-dui", "District Fire and Rescue"),
    ("区图书馆", "qu-tu-shu-guan", "District Library"),
    ("区文化馆", "qu-wen-hua-guan", "District Cultural Centre"),
    ("区城市管理委员会", "qu-cheng-shi-guan-li-wei-yuan-hui", "District Urban Management"),
    ("区退役军人事务局", "qu-tui-yi-jun-ren-shi-wu-ju", "District Veterans Affairs Bureau"),
    ("区市场监督管理局", "qu-shi-chang-jian-du-guan-li-ju", "District Market Regulation"),
)
_OTHER_BODIES = (
    ("区志愿者联合会", "qu-zhi-yuan-zhe-lian-he-hui", "District Volunteers' Federation"),
    ("区红十字会", "qu-hong-shi-zi-hui", "District Red Cross"),
    ("区老年协会", "qu-lao-nian-xie-hui", "District Seniors' Association"),
    ("区青少年活动中心", "qu-qing-shao-nian-huo-dong-zhong-xin", "District Youth Centre"),
)

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志文丹萍慧颖雪梅琳晨宇浩然子轩欣怡"
)
_EN_GIVEN = ("Anna", "David", "Emma", "James", "Laura", "Maria", "Olivia", "Peter", "Sofia")
_EN_FAMILY = ("Brown", "Garcia", "Kim", "Martin", "Müller", "Nguyen", "Rossi", "Smith", "Tanaka")
# Mainland mobile prefixes that the app's validator (phonenumbers) accepts for any 8 digits.
_MOBILE_PREFIXES = tuple(
    str(p)
    for p in (*range(130, 140), 150, 151, 152, 153, 155, 156, 157, 158, 159, 166, 173, 175,
              176, 177, 178, *range(180, 190), 191, 193, 195, 196, 197, 198, 199)
)  # fmt: skip


class _Slugs:
    """Unique slugs per table the way the app makes them: `base`, `base-2`, `base-3`, …"""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def __call__(self, base: str) -> str:
        base = base[:72].rstrip("-")
        slug, number = base, 1
        while slug in self.taken:
            number += 1
            slug = f"{base}-{number}"
        self.taken.add(slug)
        return slug
