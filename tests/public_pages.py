"""Every public page of one small world, for tests that visit them all: the display modes'
switch (test_display.py), text and target sizes and reflow in a phone browser
(browser/test_display_browser.py). A new public page belongs in PAGES and in `public_pages`.

The world has what makes pages long and wide: long Chinese and English names, an address, a
description of several paragraphs, a session with time slots (its registration form), a
confirmed registration (its code and QR code) and a waitlisted one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

# Page names, known at collection time; `public_pages` gives each its path.
PAGES = (
    "home",
    "choose community",
    "township",
    "community",
    "organisation",
    "category",
    "event",
    "event with open form",
    "form with errors",
    "event calendar page",
    "subscribe page",
    "personal subscribe page",
    "confirmation",
    "manage",
    "waitlisted manage",
    "cancel page",
    "not found",
    "api reference",
)


@dataclass(frozen=True)
class PublicPage:
    """A public page: its name, its path, whether a browser opens its registration forms (the
    form is folded in a <details> until the resident asks for it), and whether it then sends
    the first one empty (the page answered shows the form's errors)."""

    name: str
    path: str
    open_forms: bool = False
    send_empty_form: bool = False


@dataclass(frozen=True)
class World:
    """The rows the pages show, for tests that look for them."""

    event: object
    event_session: object
    registration: object
    pages: dict[str, PublicPage]


def build_world(make) -> World:
    """Build the world with the `make` factory and name its public pages."""
    township = make.township(
        "朝阳区六里屯街道办事处", slug="liu-li-tun", name_en="Liulitun Subdistrict"
    )
    community = make.community(
        township, "炫特嘉园社区居民委员会", slug="xuan-te", name_en="Xuante Garden Community"
    )
    venue = make.venue(
        community,
        "炫特嘉园社区党群服务中心一层多功能活动室",
        address="北京市朝阳区六里屯街道炫特嘉园小区12号楼东侧底商（近公交站）",
    )
    category = make.category(
        "健康义诊", slug="health", name_en="Free health screening", colour="#c2185b"
    )
    organisation = make.organisation(
        "朝阳区六里屯社区卫生服务中心", slug="liulitun-health", name_en="Liulitun Health Centre"
    )
    event = make.event(
        "医师节专家义诊进社区：脑卒中、骨伤、中医、全科",
        category=category,
        organisation=organisation,
        summary="三甲医院专家免费义诊，测血压、血糖，现场答疑。",
        description=(
            "请携带身份证和医保卡。\n\n需要空腹抽血的居民，前一晚十点后请勿进食。\n\n"
            "如遇雨天，改在社区服务站二层会议室。"
        ),
        audience="六十岁以上居民及家属",
        max_party_size=4,
    )
    event_session = make.event_session(event, venue, capacity=20)
    for label in ("中医科", "骨伤与骨关节", "脑卒中", "全科"):
        make.slot(event_session, label, capacity=5)
    slot = event_session.slots[0]
    registration = make.registration(event_session, party_size=3, slot_id=slot.id)
    full = make.event_session(event, venue, capacity=1, start=time(14))
    make.registration(full)
    waitlisted = make.registration(full, name="李大爷")
    pages = {
        "home": PublicPage("home", "/"),
        "choose community": PublicPage(
            "choose community", f"/my-community?township={township.slug}"
        ),
        "township": PublicPage("township", f"/townships/{township.slug}"),
        "community": PublicPage("community", f"/communities/{community.slug}"),
        "organisation": PublicPage("organisation", f"/organisations/{organisation.slug}"),
        "category": PublicPage("category", f"/categories/{category.slug}"),
        "event": PublicPage("event", f"/events/{event.id}"),
        "event with open form": PublicPage(
            "event with open form", f"/events/{event.id}", open_forms=True
        ),
        "form with errors": PublicPage(
            "form with errors", f"/events/{event.id}", open_forms=True, send_empty_form=True
        ),
        "event calendar page": PublicPage("event calendar page", f"/events/{event.id}/calendar"),
        "subscribe page": PublicPage("subscribe page", f"/subscribe/community/{community.slug}"),
        "personal subscribe page": PublicPage(
            "personal subscribe page", f"/subscribe/me/{registration.feed_token}"
        ),
        "confirmation": PublicPage("confirmation", f"/r/{registration.manage_token}?new=1"),
        "manage": PublicPage("manage", f"/r/{registration.manage_token}"),
        "waitlisted manage": PublicPage("waitlisted manage", f"/r/{waitlisted.manage_token}"),
        "cancel page": PublicPage("cancel page", f"/r/{registration.manage_token}/cancel"),
        "not found": PublicPage("not found", "/events/999999"),
        "api reference": PublicPage("api reference", "/developers/api"),
    }
    assert set(pages) == set(PAGES)
    return World(event, event_session, registration, pages)
