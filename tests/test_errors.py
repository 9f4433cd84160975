"""Bad input: readable 400/404 pages and JSON errors in the user's language, never a 500."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "url",
    [
        "/?from=2026-02-30",
        "/?from=yesterday",
        "/?to=2026-1-5",
        "/?from=2026-05-02&to=2026-05-01",
        "/?page=0",
        "/?page=-1",
        "/?page=abc",
        "/?page=99999999999999999999",
        "/communities/x?page=1.5",
        "/?to=9999-12-31",
        "/?from=0001-01-01",
        "/api/v1/events?to=9999-12-31",
    ],
)
def test_malformed_parameters_give_a_readable_400(client, make, url):
    make.community(slug="x")
    response = client.get(url)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "<h1>请求有误</h1>" in text or url.startswith("/api/")
    assert "Traceback" not in text


def test_400_message_follows_the_language(client):
    text = client.get("/?from=nope&lang=en").get_data(as_text=True)
    assert "is not a date; use the form YYYY-MM-DD" in text


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/communities/nowhere", "没有这个社区。"),
        ("/townships/nowhere", "没有这个街道或乡。"),
        ("/organisations/nobody", "没有这个单位。"),
        ("/categories/nothing", "没有这个活动类别。"),
        ("/events/999999", "没有这个活动，或活动尚未发布。"),
        ("/?community=nowhere", "没有这个社区。"),
        ("/?category=nothing", "没有这个活动类别。"),
        ("/no/such/page", "您要找的页面不存在。"),
        ("/events/abc", "您要找的页面不存在。"),
    ],
)
def test_unknown_slugs_and_ids_give_a_404_page_in_the_users_language(client, url, message):
    response = client.get(url)
    assert response.status_code == 404
    assert message in response.get_data(as_text=True)


def test_404_page_in_english(client):
    response = client.get("/communities/nowhere", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "There is no such community." in response.get_data(as_text=True)


def test_wrong_method_is_405_not_500(client):
    assert client.post("/").status_code in (400, 405)
    assert client.delete("/api/v1/places").status_code == 405


def test_an_unexpected_error_shows_a_generic_page_without_details(new_app):
    app = new_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret internals" not in text
    assert "系统出了点问题" in text


@pytest.mark.parametrize(
    "url", ["/?community=%00", "/communities/a%00b", "/r/%00", "/api/v1/events?category=x%00"]
)
def test_nul_bytes_are_a_400_not_a_database_error(client, url):
    assert client.get(url).status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/events/99999999999999999999",
        "/sessions/99999999999999999999.ics",
        "/api/v1/events/99999999999999999999",
        "/api/v1/sessions/99999999999999999999",
        "/staff/events/99999999999999999999/edit",
    ],
)
def test_huge_ids_are_404_not_an_overflow(client, url):
    assert client.get(url).status_code in (404, 302)


def test_nul_bytes_in_a_json_body_are_refused(client, make):
    event_session = make.event_session()
    response = client.post(
        f"/api/v1/sessions/{event_session.id}/registrations",
        json={"name": "a\u0000b", "phone": "13800138000", "party_size": 1, "consent": True},
    )
    assert response.status_code in (400, 422)


def test_a_form_sent_without_its_token_says_why_in_the_readers_language(client, make):
    """The CSRF refusal is a 400 page a resident can act on, not Flask-WTF's English."""
    make.community(slug="xuante")
    chinese = client.post("/my-community", data={"community": "xuante"})
    assert chinese.status_code == 400
    text = chinese.get_data(as_text=True)
    assert "表单已过期，或不是从本网站提交的。请返回上一页，刷新后重新提交。" in text
    assert "CSRF" not in text
    english = client.post("/my-community?lang=en", data={"community": "xuante"})
    assert "This form has expired or did not come from this site." in english.get_data(as_text=True)


def test_full_width_and_other_scripts_digits_are_not_ids(client, make):
    """/events/１ must not be a second address of /events/1: only ASCII digits name a row."""
    event_session = make.event_session()
    event_id = event_session.event_id
    assert client.get(f"/events/{event_id}").status_code == 200
    full_width = "".join(chr(0xFF10 + int(digit)) for digit in str(event_id))
    arabic_indic = "".join(chr(0x0660 + int(digit)) for digit in str(event_id))
    for other in (full_width, arabic_indic):
        assert client.get(f"/events/{other}").status_code == 404
        assert client.get(f"/api/v1/events/{other}").status_code == 404
    # Numbers in the query are ASCII too: a full-width page or page size is refused plainly.
    assert client.get("/?page=" + chr(0xFF12)).status_code == 400
    assert client.get("/api/v1/events?per_page=" + chr(0xFF15)).status_code == 400


def test_wrong_method_names_the_allowed_ones_in_every_format(client):
    # RFC 9110: a 405 carries Allow. Found by schemathesis sending TRACE to the API.
    api = client.open("/api/v1/places", method="TRACE")
    assert api.status_code == 405 and api.is_json
    assert set(api.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    page = client.put("/")
    assert page.status_code == 405 and "GET" in page.headers["Allow"]
