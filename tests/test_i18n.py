"""Language choice: ?lang= kept in a cookie, Accept-Language by primary subtag, zh default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import force_locale

from outreach import models  # noqa: F401  (every enum's module)
from outreach.enums import LabelledEnum

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "outreach" / "translations"


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_chinese_is_the_default(client):
    response = client.get("/")
    assert html_lang(response) == "zh-CN"
    assert "社区近期活动" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,en;q=0.5", "zh-CN"),
        ("en-US,en;q=0.9", "en"),
        ("en-GB", "en"),
        ("zh-TW", "zh-CN"),
        ("fr-FR,en;q=0.8,zh;q=0.5", "en"),
        ("fr-FR,de;q=0.8", "zh-CN"),
        ("de;q=0.9,zh-Hans;q=0.8", "zh-CN"),
    ],
)
def test_accept_language_decides_by_primary_subtag(client, header, expected):
    assert html_lang(client.get("/", headers={"Accept-Language": header})) == expected


def test_lang_parameter_switches_and_is_remembered(client):
    response = client.get("/?lang=en")
    assert html_lang(response) == "en"
    assert "What's on in our communities" in response.get_data(as_text=True)
    assert "lang=en" in response.headers["Set-Cookie"]
    # The cookie now outranks the browser's Chinese preference.
    later = client.get("/", headers={"Accept-Language": "zh-CN"})
    assert html_lang(later) == "en"
    back = client.get("/?lang=zh")
    assert html_lang(back) == "zh-CN"
    assert html_lang(client.get("/")) == "zh-CN"


def test_unknown_lang_parameter_is_ignored(client):
    response = client.get("/?lang=xx")
    assert response.status_code == 200
    assert html_lang(response) == "zh-CN"
    assert "Set-Cookie" not in response.headers


def test_language_link_keeps_the_other_parameters(client, make):
    category = make.category()
    text = client.get(f"/?category={category.slug}").get_data(as_text=True)
    assert f"category={category.slug}&amp;lang=en" in text


def test_english_pages_show_english_names_when_known(client, make):
    category = make.category("健康义诊", name_en="Free health screening")
    make.event_session(make.event(category=category))
    text = client.get("/?lang=en").get_data(as_text=True)
    assert "Free health screening" in text
    assert "1 session" in text


def test_dates_are_written_in_the_readers_language(client, make):
    from datetime import date

    make.event_session(day=date(2099, 8, 15))
    zh = client.get("/?from=2099-08-15").get_data(as_text=True)
    en = client.get("/?from=2099-08-15&lang=en").get_data(as_text=True)
    assert "8月15日 星期六" in zh
    assert "Saturday 15 August" in en


def _catalogue(language: str):
    with open(CATALOGUES / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def _source_messages() -> set[str]:
    method_map = [("outreach/**.py", "python"), ("outreach/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    found = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map=method_map, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_interface_string_is_translated(language):
    catalogue = _catalogue(language)
    assert not catalogue.fuzzy, "a fuzzy catalogue is skipped when compiling"
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalogue
        if m.id
        and (all(m.string) if isinstance(m.string, tuple) else m.string)
        and "fuzzy" not in m.flags
    }
    missing = _source_messages() - translated
    assert not missing, f"untranslated in {language}: {sorted(missing)}"


def test_chinese_catalogue_really_is_chinese():
    catalogue = _catalogue("zh")
    chinese = [m for m in catalogue if m.id and re.search(r"[\u4e00-\u9fff]", str(m.string))]
    assert len(chinese) > 0.8 * len([m for m in catalogue if m.id])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_translations_keep_every_placeholder(language):
    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for message in _catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(placeholder.findall(ids[-1]))
        for text in strings:
            assert set(placeholder.findall(text)) <= wanted | set(placeholder.findall(ids[0]))
            assert set(placeholder.findall(text)) >= set(placeholder.findall(ids[0])) - {"num"}


def _labelled_enums() -> list[type[LabelledEnum]]:
    found, pending = [], list(LabelledEnum.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_enum_shown_to_people_names_its_members_in_both_languages(app):
    enums = {cls.__name__ for cls in _labelled_enums()}
    assert {"EventStatus", "SessionStatus", "RegistrationStatus", "MessageKind", "Role"} <= enums
    for cls in _labelled_enums():
        for member in cls:
            with force_locale("en"):
                english = (str(member.label), str(member.description))
            with force_locale("zh"):
                chinese = (str(member.label), str(member.description))
            assert all(english) and all(chinese), member
            assert all(re.search(r"[\u4e00-\u9fff]", text) for text in chinese), member


@pytest.mark.parametrize(
    "path", ["/\\evil.example.net", "//evil.example.net", "/\\/evil.example.net"]
)
def test_switch_links_of_an_odd_path_stay_on_the_site(client, path):
    """A 404 page's language and display links repeat its own path: one asked for as
    /%5Chost or //host must not become a link to another site."""
    response = client.get("/", environ_overrides={"PATH_INFO": path})
    assert response.status_code == 404
    links = re.findall(r'<a[^>]*class="[^"]*mode-switch[^"]*"[^>]*href="([^"]*)"', response.text)
    links += re.findall(r'href="([^"]*)" hreflang=', response.text)
    assert len(links) == 3
    for link in links:
        assert link.startswith("/") and not link.startswith(("//", "/\\")), link
        assert "evil.example.net" in link  # quoted, on this site


def _chinese() -> dict[tuple[str | None, str], str]:
    with (CATALOGUES / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {(m.context, str(m.id)): m.string for m in read_po(po) if m.id}


def test_places_as_a_number_and_places_as_locations_are_told_apart():
    chinese = _chinese()
    assert chinese[(None, "Places")] == "地点"  # townships, communities and venues
    assert chinese[("capacity", "Places")] == "名额"  # how many may come


@pytest.mark.parametrize("url", ["slots", "series"])
def test_capacity_fields_say_places_to_take_not_a_location(client, make, login_as, url):
    event_session = make.event_session(capacity=10)
    make.slot(event_session)
    event = event_session.event
    login_as(make.staff(organisation=event.organisation, role="organiser"))
    path = (
        f"/staff/events/{event.id}/sessions/{event_session.id}/slots"
        if url == "slots"
        else f"/staff/events/{event.id}/series"
    )
    page = client.get(path).get_data(as_text=True)
    main = page.split("<main", 1)[1]  # the menu's 地点 is the places page
    assert "名额<" in main
    assert ">地点<" not in main and '"地点"' not in main


@pytest.mark.parametrize(
    "wording",
    [
        "报满率",  # not a word: the share of places taken is 名额使用率
        "确认码",  # the code is 报名码 everywhere
        "（可不填）",  # optional fields say 选填, as most of them do
        "活动专员",  # the organiser role is 组织者
    ],
)
def test_chinese_catalogue_avoids_machine_made_wording(wording):
    assert not [m for m in _chinese().values() if wording in m]
