"""Sharing an event into a chat: the text to paste into a WeChat group, and the share image."""

from __future__ import annotations

import io
import re
from datetime import time, timedelta
from html import unescape

import pytest
import zxingcpp
from PIL import Image

from outreach.database import db
from outreach.events.models import EventStatus, SessionStatus
from outreach.localtime import local_today
from tests.test_posters import FAR, district, screening  # noqa: F401 (fixtures)


def share_text(response) -> str:
    """The text in the page's box, as it is copied."""
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return unescape(re.search(r'<textarea id="share-text"[^>]*>(.*?)</textarea>', page, re.S)[1])


def png(response) -> Image.Image:
    assert response.status_code == 200 and response.mimetype == "image/png"
    return Image.open(io.BytesIO(response.data))


@pytest.fixture
def clinic(make, district):  # noqa: F811
    """A one-morning clinic at 晨光社区服务站."""
    event = make.event("健康义诊", summary="测血压、血糖")
    make.event_session(event, district["chenguang_hall"], day=FAR, start=time(9), hours=2.5)
    return event


# ---------------------------------------------------------------------------------------------
# The text


def test_one_session_is_one_line_ready_for_a_wechat_group(client, clinic):
    assert share_text(client.get(f"/events/{clinic.id}/share")) == (
        f"【健康义诊】5月1日（周三）09:00–11:30 · 晨光社区服务站 "
        f"报名：http://localhost/events/{clinic.id}"
    )
    english = share_text(client.get(f"/events/{clinic.id}/share?lang=en"))
    assert english == (
        "健康义诊: Wed 1 May, 09:00–11:30 · 晨光社区服务站. "
        f"Register: http://localhost/events/{clinic.id}?lang=en"
    )


def test_a_campaign_names_its_next_sessions_a_line_each(client, screening):  # noqa: F811
    assert share_text(client.get(f"/events/{screening.id}/share")) == "\n".join(
        [
            "【医师节专家义诊进社区】",
            "5月1日（周三）08:30–11:30 · 大西洋新城社区服务站",
            "5月2日（周四）08:30–11:30 · 炫特社区服务站",
            "5月3日（周五）08:30–11:30 · 晨光社区服务站",
            f"报名：http://localhost/events/{screening.id}",
        ]
    )


def test_a_weekly_series_is_written_compactly_and_the_rest_counted(client, make, district):  # noqa: F811
    event = make.event("太极拳晨练")
    hall = district["xuante_hall"]
    for week in range(9):
        make.event_session(event, hall, day=FAR + timedelta(weeks=week), start=time(7))
    called_off = make.event_session(
        event, district["chenguang_hall"], day=FAR, status=SessionStatus.CANCELLED
    )
    text = share_text(client.get(f"/events/{event.id}/share"))
    assert text.splitlines()[1:3] == [
        "5月1日、8日、15日、22日、29日，6月5日（周三）07:00–09:00 · 炫特社区服务站",
        "另有3场，详见下方链接",
    ]
    assert "晨光" not in text  # a cancelled session is not offered, unless chosen:
    chosen = share_text(client.get(f"/events/{event.id}/share?session={called_off.id}"))
    assert chosen.startswith(
        "【太极拳晨练】5月1日（周三）09:00–11:00（已取消） · 晨光社区服务站 详情："
    )


def test_shared_from_a_session_or_a_community(client, screening, district):  # noqa: F811
    chosen = screening.sessions[1]
    text = share_text(client.get(f"/events/{screening.id}/share?session={chosen.id}"))
    assert text == (
        "【医师节专家义诊进社区】5月2日（周四）08:30–11:30 · 炫特社区服务站 "
        f"报名：http://localhost/events/{screening.id}#session-{chosen.id}"
    )
    text = share_text(client.get(f"/events/{screening.id}/share?community=chenguang"))
    assert "5月3日（周五）08:30–11:30 · 晨光社区服务站" in text and "炫特" not in text


@pytest.mark.parametrize(
    "query", ["session=999999", "session=abc", "session=-1", "community=nowhere"]
)
def test_unknown_sessions_and_communities_are_not_found(client, screening, query):  # noqa: F811
    assert client.get(f"/events/{screening.id}/share?{query}").status_code == 404
    assert client.get(f"/events/{screening.id}/share.png?{query}").status_code == 404


def test_a_session_of_another_event_is_not_found(client, screening, clinic):  # noqa: F811
    other = clinic.sessions[0].id
    assert client.get(f"/events/{screening.id}/share?session={other}").status_code == 404


@pytest.mark.parametrize("url", ["/events/999999/share", "/events/999999/share.png"])
def test_unknown_and_draft_events_have_nothing_to_share(client, make, district, url):  # noqa: F811
    assert client.get(url).status_code == 404
    draft = make.event("草稿活动", status=EventStatus.DRAFT)
    make.event_session(draft, district["xuante_hall"], day=FAR)
    response = client.get(url.replace("999999", str(draft.id)))
    assert response.status_code == 404 and "草稿活动" not in response.get_data(as_text=True)


def test_the_link_is_the_configured_address_never_the_host_header(app, client, clinic):
    app.config["BASE_URL"] = "https://events.example.cn"
    response = client.get(f"/events/{clinic.id}/share", headers={"Host": "events.example.cn"})
    assert share_text(response).endswith(f"报名：https://events.example.cn/events/{clinic.id}")
    app.config["EXTRA_TRUSTED_HOSTS"] = ("intranet.local",)
    forged = client.get(f"/events/{clinic.id}/share", headers={"Host": "intranet.local"})
    assert "intranet.local" not in forged.get_data(as_text=True)
    image = client.get(f"/events/{clinic.id}/share.png", headers={"Host": "intranet.local"})
    assert decoded(png(image)) == f"https://events.example.cn/events/{clinic.id}"


def test_titles_are_escaped_on_the_page_and_kept_whole_in_the_text(client, make, district):  # noqa: F811
    event = make.event("<b>义诊</b> & 咨询")
    make.event_session(event, district["xuante_hall"], day=FAR)
    response = client.get(f"/events/{event.id}/share")
    assert "<b>义诊</b>" not in response.get_data(as_text=True)
    assert share_text(response).startswith("【<b>义诊</b> & 咨询】")


def test_cancelled_and_finished_events_say_so(client, make, district, clinic):  # noqa: F811
    clinic.status = EventStatus.CANCELLED
    clinic.cancellation_reason = "因天气原因"
    db.session.flush()
    assert share_text(client.get(f"/events/{clinic.id}/share")) == "\n".join(
        [
            "【健康义诊】",
            "本活动已取消（因天气原因）",
            "5月1日（周三）09:00–11:30 · 晨光社区服务站",
            f"详情：http://localhost/events/{clinic.id}",
        ]
    )
    past = make.event("健康讲座")
    held = make.event_session(past, district["xuante_hall"], day=local_today() - timedelta(2))
    assert share_text(client.get(f"/events/{past.id}/share")) == "\n".join(
        ["【健康讲座】", "本活动的场次均已结束。", f"详情：http://localhost/events/{past.id}"]
    )
    text = share_text(client.get(f"/events/{past.id}/share?session={held.id}"))
    assert "（已结束） · 炫特社区服务站 详情：" in text


def test_the_event_page_links_to_its_share_page(client, clinic):
    page = client.get(f"/events/{clinic.id}?lang=en").get_data(as_text=True)
    assert f'href="/events/{clinic.id}/share?lang=en">Share in a WeChat group</a>' in page


def test_the_share_page_offers_a_copy_button_and_the_image(client, clinic):
    page = client.get(f"/events/{clinic.id}/share").get_data(as_text=True)
    assert 'data-copy="share-text"' in page and "readonly" in page
    assert f'src="/events/{clinic.id}/share.png?lang=zh"' in page
    assert "下载图片" in page


# ---------------------------------------------------------------------------------------------
# The image


def decoded(image: Image.Image) -> str:
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, "the share image's code does not decode"
    return found[0].text


def test_the_image_is_a_small_png_for_chat_apps_with_the_events_code(client, screening):  # noqa: F811
    response = client.get(f"/events/{screening.id}/share.png")
    image = png(response)
    assert image.size == (1080, 1440)
    assert len(response.data) < 120_000
    assert decoded(image) == f"http://localhost/events/{screening.id}"
    english = png(client.get(f"/events/{screening.id}/share.png?lang=en"))
    assert decoded(english) == f"http://localhost/events/{screening.id}?lang=en"


def test_the_image_is_drawn_once_per_data_version_and_revalidated(client, clinic, count_queries):
    url = f"/events/{clinic.id}/share.png"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public")
    with count_queries() as statements:
        again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    assert len(statements) == 1  # the data version; no drawing
    clinic.title = "健康义诊（改期）"
    clinic.updated_at = clinic.updated_at + timedelta(seconds=1)
    db.session.flush()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_without_the_fonts_the_page_offers_the_text_alone(app, client, clinic, tmp_path):
    app.config["FONT_BOLD"] = str(tmp_path / "missing.ttc")
    page = client.get(f"/events/{clinic.id}/share").get_data(as_text=True)
    assert "share.png" not in page and "【健康义诊】" in page
    assert client.get(f"/events/{clinic.id}/share.png").status_code == 404
