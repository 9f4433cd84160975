"""Statistics of small scenarios: rates of sessions not yet ended, places bounded by slots,
CSV cells that could be formulas, escaped chart labels, venues outside communities, and the
chart drawing itself."""

from __future__ import annotations

import re
from datetime import date

import pytest

from outreach.database import db
from outreach.stats import charts
from tests.stats.support import RANGE, book, chart_labels, figures_by_label, read_csv, text_of
from tests.web import login


def test_rates_wait_for_the_session_to_end(client, make):
    centre = make.organisation()
    manager = make.staff(organisation=centre, role="manager")
    tomorrow = make.event_session(make.event(organisation=centre), capacity=10)
    make.registration(tomorrow, 3)
    login(client, manager)
    rows = figures_by_label(client.get("/staff/stats/categories.csv"))
    assert rows["Total"] == ["1", "0", "10", "30.0", "1", "3", "0", "0", "", "", "0"] + ["0"] * 5
    assert "—" in text_of(client.get("/staff/stats"))


def test_slots_bound_the_places_of_a_session_without_its_own_capacity(client, make):
    centre = make.organisation()
    manager = make.staff(organisation=centre, role="manager")
    event_session = make.event_session(make.event(organisation=centre), capacity=None)
    morning, afternoon = make.slot(event_session, "上午", 6), make.slot(event_session, "下午", 6)
    make.registration(event_session, 3, slot_id=morning.id)
    make.registration(event_session, 3, slot_id=afternoon.id)
    login(client, manager)
    total = figures_by_label(client.get("/staff/stats/categories.csv"))["Total"]
    assert total[2:6] == ["12", "50.0", "2", "6"]


def test_csv_defuses_formulas_in_names(client, make):
    township = make.township("+1街道")
    community = make.community(township, "@SUM(A1)社区")
    centre = make.organisation()
    manager = make.staff(organisation=centre, role="manager")
    event = make.event('=HYPERLINK("http://example.com")', organisation=centre,
                       category=make.category("-2类别", name_en=None))  # fmt: skip
    make.event_session(event, make.venue(community))
    login(client, manager)
    cells = []
    for table in ("events", "communities", "townships", "categories"):
        _heading, rows = read_csv(client.get(f"/staff/stats/{table}.csv"))
        cells += [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://example.com")' in cells
    assert "'@SUM(A1)社区" in cells and "'+1街道" in cells and "'-2类别" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_chart_labels_are_escaped(client, make):
    community = make.community(name='<script>alert("x")</script>&社区')
    centre = make.organisation()
    manager = make.staff(organisation=centre, role="manager")
    event = make.event("<b>义诊</b>", organisation=centre)
    make.registration(make.event_session(event, make.venue(community), capacity=5), 2)
    login(client, manager)
    for url in ("/staff/stats", f"/staff/stats/events/{event.id}"):
        page = text_of(client.get(url))
        assert "<script>alert" not in page and "<b>义诊</b>" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;社区" in page


@pytest.fixture
def spread(make, client):
    """A campaign across two townships: eight communities and each township's own venue
    (a school, a clinic); people came to three communities and to one township venue."""
    shibali = make.township("十八里店乡", slug="shibalidian", name_en="Shibalidian Township")
    liulitun = make.township("六里屯街道", slug="liulitun", name_en="Liulitun Street")
    centre = make.organisation(slug="centre")
    manager = make.staff("manager", organisation=centre, role="manager")
    campaign = make.event("垃圾分类宣传周", organisation=centre)
    day = date(2025, 8, 20)
    communities = [
        make.community(shibali if n % 2 else liulitun, f"第{n}社区", slug=f"c{n}") for n in range(8)
    ]
    for number, community in enumerate(communities):
        event_session = make.event_session(campaign, make.venue(community), day=day, capacity=50)
        if number < 3:
            book(event_session, number + 1)
    school = make.event_session(campaign, make.venue(None, "乡中心小学", township=shibali), day=day)
    book(school, 4)
    make.event_session(campaign, make.venue(None, "街道卫生服务中心", township=liulitun), day=day)
    db.session.commit()
    login(client, manager)
    return campaign


@pytest.mark.parametrize("where", ["overview", "campaign"])
def test_venues_outside_communities_are_named_by_their_township(client, spread, where):
    if where == "overview":
        page_url, csv_url = f"/staff/stats?{RANGE}", f"/staff/stats/communities.csv?{RANGE}"
    else:
        page_url = f"/staff/stats/events/{spread.id}"
        csv_url = f"/staff/stats/events/{spread.id}/communities.csv"
    page = text_of(client.get(page_url))
    school = "Shibalidian Township · Venues outside a community"
    clinic = "Liulitun Street · Venues outside a community"
    # The table lists every line, the two township venues each under their own name.
    table = re.search(r'<section class="stats-table" id="table-communities">.*?</section>',
                      page, re.S).group(0)  # fmt: skip
    assert f'<th scope="row">{school}</th>' in table
    assert f'<th scope="row">{clinic}</th>' in table
    assert table.count("<tr>") == 2 + 10 + 1  # two heading rows, ten lines, the total
    # The chart leaves out the lines nobody came to: five of the ten have no bar.
    assert chart_labels(page) == [school, "第2社区", "第1社区", "第0社区"]
    assert "communities without anyone are left out" in page
    _heading, rows = read_csv(client.get(csv_url))
    labels = [row[0] for row in rows]
    assert school in labels and clinic in labels and len(labels) == 11  # and the total


def test_venues_outside_communities_are_named_in_chinese(client, spread):
    client.set_cookie("lang", "zh")
    page = text_of(client.get(f"/staff/stats/events/{spread.id}"))
    assert "十八里店乡 · 不属于社区的场地" in chart_labels(page)
    assert "六里屯街道 · 不属于社区的场地" in page


def test_column_chart_draws_a_bar_per_value_and_a_round_axis():
    drawn = charts.column_chart(
        "c",
        "T",
        "D",
        ["a", "b", "c"],
        [charts.Series("S", [0, 7, 3]), charts.Series("U", [1, 2, 3])],
    )
    assert drawn.count('<rect class="bar"') == 6
    assert ">8</text>" in drawn  # the axis goes up to a round 8 (steps of 2) above 7
    assert charts.nice_ceiling(7) == (8, 2)
    assert charts.nice_ceiling(0) == (1.0, 1.0)
    assert charts.nice_ceiling(1234) == (1500, 500)


def test_long_labels_are_cut_to_fit():
    long = "朝阳区六里屯街道炫特社区居民委员会服务站东区活动室"
    cut = charts.fit(long, 120)
    assert cut.endswith("…") and charts.text_width(cut) <= 120 and long.startswith(cut[:-1])
    assert charts.fit("短", 120) == "短"


def test_percentages_read_as_babel_writes_them_in_both_languages():
    """The page formats its rates itself, once per cell, rather than through Babel: the text
    must stay what Babel's format_percent gives, halves rounded to even included."""
    from babel.numbers import format_percent

    from outreach.stats.presentation import percent

    rates = [part / whole for whole in range(1, 120) for part in range(0, 2 * whole + 1)]
    rates += [0.0005, 0.0015, 0.8335, 0.00049999, 12.3455, 123.4567]
    for locale in ("zh_Hans_CN", "en"):
        assert [percent(rate) for rate in rates] == [
            format_percent(rate, "#,##0.0%", locale=locale) for rate in rates
        ]
    assert percent(1 / 3) == "33.3%" and percent(12.3455) == "1,234.6%"
