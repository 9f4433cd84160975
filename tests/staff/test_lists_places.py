"""The places page in keyset pages: townships, communities and venues by name, searched,
stable while places are added, one query per kind of thing."""

from __future__ import annotations

import pytest

from tests.staff.walk import links, rows, walk, walk_back

VENUE = r"/staff/places/venues/(\d+)/edit"
COMMUNITY = r"/staff/places/communities/(\d+)/edit"
TOWNSHIP = r"/staff/places/townships/(\d+)/edit"


@pytest.fixture
def small_pages(app):
    app.config["STAFF_PER_PAGE"] = 3


@pytest.fixture
def venues(make):
    township = make.township("六里屯街道")
    community = make.community(township, "炫特社区")
    # Two venues share a name: the id breaks the tie, so neither is lost between pages.
    names = ["甲服务站", "乙服务站", "丙服务站", "丁服务站", "丁服务站", "戊服务站", "己服务站"]
    made = [
        make.venue(community if i % 2 else None, name, township=township)
        for i, name in enumerate(names)
    ]
    return sorted(made, key=lambda v: (v.name, v.id))


def test_venues_come_in_name_order_across_pages_and_back(client, admin, small_pages, venues):
    pages, urls = walk(client, "/staff/places?kind=venues", VENUE)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [int(i) for p in pages for i in p] == [v.id for v in venues]
    back = walk_back(client, urls[-1], VENUE)
    assert back == [pages[1], pages[0]]


def test_a_place_added_between_page_loads_neither_repeats_nor_hides_rows(
    client, admin, small_pages, venues, make
):
    first = client.get("/staff/places?kind=venues")
    seen = rows(first, VENUE)
    # A venue that sorts before everything on the next page arrives meanwhile.
    make.venue(None, "丁服务站", township=venues[0].township)
    make.venue(None, "一号服务站", township=venues[0].township)
    url = links(first)["next"]
    while url:
        response = client.get(url)
        seen += rows(response, VENUE)
        url = links(response).get("next")
    assert len(seen) == len(set(seen))
    assert {v.id for v in venues} <= {int(i) for i in seen}


def test_each_kind_of_place_has_its_own_list(client, admin, small_pages, place):
    townships = client.get("/staff/places")
    assert len(rows(townships, TOWNSHIP)) == 2 and "六里屯街道" in townships.text
    assert "New community here" in townships.text
    communities = walk(client, "/staff/places?kind=communities", COMMUNITY)[0]
    assert sum(len(p) for p in communities) == 3
    venue_text = client.get("/staff/places?kind=venues").text
    assert "望京实验学校" in venue_text and "炫特社区服务站" not in venue_text  # 4th by name
    assert client.get("/staff/places?kind=nonsense").status_code == 200


def test_search_finds_places_by_either_name_page_by_page(client, admin, small_pages, make):
    township = make.township("望京街道")
    for number in range(5):
        make.venue(None, f"望京{number}号服务站", township=township, name_en=f"Hall {number}")
    make.venue(None, "六里屯服务站", township=township, name_en="Liulitun")
    pages, _urls = walk(client, "/staff/places?kind=venues&q=望京", VENUE)
    assert [len(p) for p in pages] == [3, 2]
    assert len(rows(client.get("/staff/places?kind=venues&q=hall+3"), VENUE)) == 1
    assert len(rows(client.get("/staff/places?kind=venues&q=50%25"), VENUE)) == 0
    empty = client.get("/staff/places?kind=venues&q=%5F")
    assert empty.status_code == 200 and "No place has that name." in empty.text


@pytest.mark.parametrize(
    "cursor", ["nonsense", "", "a" * 2000, "WyJhIiwgWzFdXQ", "%00", "..", "WyJ4Il0.AAAA"]
)
def test_a_bad_cursor_is_a_clear_400_in_the_users_language(client, admin, venues, cursor):
    response = client.get(f"/staff/places?kind=venues&cursor={cursor}")
    if cursor == "":
        assert response.status_code == 200
        return
    assert response.status_code == 400
    if cursor == "%00":  # refused before any view, as every NUL byte is
        return
    assert "This page link is out of date or damaged" in response.text
    client.set_cookie("lang", "zh")
    assert "翻页链接已过期" in client.get(f"/staff/places?kind=venues&cursor={cursor}").text


def test_a_cursor_of_another_list_is_refused(client, admin, small_pages, venues, place):
    next_venues = links(client.get("/staff/places?kind=venues"))["next"]
    cursor = next_venues.split("cursor=")[1]
    assert client.get(f"/staff/places?kind=communities&cursor={cursor}").status_code == 400


def test_a_page_of_venues_costs_one_query_whatever_its_length(
    app, client, admin, make, count_queries
):
    township = make.township("望京街道")
    for number in range(12):
        community = make.community(township, f"社区{number}")
        make.venue(community, f"服务站{number}")
    with count_queries() as few:
        client.get("/staff/places?kind=venues")
    app.config["STAFF_PER_PAGE"] = 3
    with count_queries() as more:
        client.get("/staff/places?kind=venues")
    assert len(few) == len(more)
    assert sum("FROM venue" in s for s in few) == 1
