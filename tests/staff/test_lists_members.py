"""An organisation's members (by username) and open invitations (newest first) in keyset
pages of their own, on one page: each list's pager keeps the other's place."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.staff.walk import rows

MEMBER = r'/members/(\d+)/role"'
INVITATION = r'/invitations/(\d+)/withdraw"'
_PAGER = r'<nav class="pager" aria-label="{}">(.*?)</nav>'


@pytest.fixture
def small_pages(app):
    app.config["STAFF_PER_PAGE"] = 3


@pytest.fixture
def centre(make):
    """An organisation of seven members and five open invitations."""
    organisation = make.organisation("六里屯社区卫生服务中心", slug="centre")
    names = ["zhao", "qian", "sun", "li", "zhou", "wu", "zheng"]
    members = [make.staff(name, organisation=organisation, role="checker") for name in names]
    invitations = [make.invitation(organisation, f"guest{n}") for n in range(5)]
    return organisation, sorted(members, key=lambda m: (m.username, m.id)), invitations


def _pager(response, label: str = "Pages of members") -> dict[str, str]:
    """The links of one of the page's two pagers."""
    found = re.search(_PAGER.format(label), response.text, re.S)
    if found is None:
        return {}
    links = re.findall(r'rel="(\w+)" href="([^"]+)"', found.group(1))
    return {rel: html.unescape(href) for rel, href in links}


def _walk(client, url: str, rel: str = "next") -> tuple[list[list[str]], list[str]]:
    pages, urls = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(rows(response, MEMBER))
        urls.append(url)
        url = _pager(response).get(rel)
        assert len(pages) < 20
    return pages, urls


def test_members_come_in_username_order_across_pages_and_back(client, admin, small_pages, centre):
    organisation, members, _invitations = centre
    pages, urls = _walk(client, f"/staff/organisations/{organisation.slug}")
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [int(i) for p in pages for i in p] == [m.id for m in members]
    back, _urls = _walk(client, urls[-1], "prev")
    assert back == [pages[2], pages[1], pages[0]]


def test_invitations_have_their_own_pager_that_keeps_the_members_page(
    client, admin, small_pages, centre
):
    organisation, members, invitations = centre
    first = client.get(f"/staff/organisations/{organisation.slug}")
    members_next = _pager(first)["next"]
    on_second = client.get(members_next)
    later = _pager(on_second, "Pages of invitations")["next"]
    query = parse_qs(urlsplit(later).query)
    assert set(query) == {"cursor", "invitations"}  # the members' place is kept
    response = client.get(later)
    assert rows(response, MEMBER) == rows(on_second, MEMBER)
    seen = rows(first, INVITATION) + rows(response, INVITATION)
    newest_first = sorted(invitations, key=lambda i: (i.created_at, i.id), reverse=True)
    assert [int(i) for i in seen] == [i.id for i in newest_first]


def test_a_member_added_between_page_loads_neither_repeats_nor_hides_rows(
    client, admin, small_pages, centre, make
):
    organisation, members, _invitations = centre
    first = client.get(f"/staff/organisations/{organisation.slug}")
    seen = rows(first, MEMBER)
    make.staff("aaa.first", organisation=organisation, role="checker")
    last = make.staff("zzz.last", organisation=organisation, role="checker")
    rest, _urls = _walk(client, _pager(first)["next"])
    seen += [i for page in rest for i in page]
    assert len(seen) == len(set(seen))
    assert {m.id for m in members} | {last.id} == {int(i) for i in seen}


@pytest.mark.parametrize("parameter", ["cursor", "invitations"])
def test_a_damaged_cursor_is_a_400(client, admin, centre, parameter):
    organisation, _members, _invitations = centre
    response = client.get(f"/staff/organisations/{organisation.slug}?{parameter}=x.y")
    assert response.status_code == 400


def test_a_cursor_of_another_organisation_is_refused(client, admin, small_pages, centre, make):
    organisation, _members, _invitations = centre
    other = make.organisation("望京街道办事处", slug="other")
    for name in ("a1", "a2", "a3", "a4"):
        make.staff(name, organisation=other, role="checker")
    foreign = _pager(client.get("/staff/organisations/other"))["next"].split("?", 1)[1]
    response = client.get(f"/staff/organisations/{organisation.slug}?{foreign}")
    assert response.status_code == 400


def test_only_managers_of_the_organisation_open_its_members(client, login_as, team):
    url = "/staff/organisations/centre"
    login_as(team["checker"])
    assert client.get(url).status_code == 403
    login_as(team["outsider"])
    assert client.get(url).status_code == 403
    login_as(team["manager"])
    assert len(rows(client.get(url), MEMBER)) == 2
