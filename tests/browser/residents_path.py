"""Counting a resident's effort on a phone: taps, and screens of scrolling.

A `PathMeter` drives a Playwright page the way a resident moves through it: before each tap
it scrolls the least a person would (just enough for the whole element to show), adds that
distance up, then taps. Typing into a field counts the tap that puts the cursor there; a
native select counts two (open the list, pick). Scrolling done by the browser itself (the
jump to a link's #fragment, a page loading at its top) is free. Screens = total scrolling ÷
the viewport's height.

`register_from_home` is the whole path the README reports, from the home page to the
resident's registration page; rerun it after changing the pages (the selectors are its
arguments, so a redesigned form needs only new ones).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

# How far past an element's edge a resident scrolls to see it whole, in CSS px.
MARGIN = 8

# Scroll distance (negative: up) that brings the element wholly into view; 0 when it is.
_DISTANCE = """(element, margin) => {
  const box = element.getBoundingClientRect();
  const height = window.innerHeight;
  if (box.top >= 0 && box.bottom <= height) return 0;
  if (box.top < 0) return box.top - margin;
  return Math.min(box.top - margin, box.bottom - height + margin);
}"""


@dataclass
class PathMeter:
    """Taps and scrolling on one page (and the pages its taps lead to)."""

    page: Page
    taps: int = 0
    scrolled: float = 0.0  # CSS px
    steps: list[str] = field(default_factory=list)

    @property
    def screens(self) -> float:
        """Scrolling in screens of the viewport's height."""
        return self.scrolled / self.page.viewport_size["height"]

    def bring_into_view(self, target: Locator) -> None:
        """Scroll as a resident would until `target` shows whole; count the distance."""
        target.wait_for(state="visible")
        distance = target.evaluate(_DISTANCE, MARGIN)
        if distance:
            before = self.page.evaluate("window.scrollY")
            self.page.evaluate("distance => window.scrollBy(0, distance)", distance)
            self.scrolled += abs(self.page.evaluate("window.scrollY") - before)

    def tap(self, target: Locator, what: str) -> None:
        """Tap `target` (a link, a button, a checkbox) once it shows."""
        self.bring_into_view(target)
        self.taps += 1
        self.steps.append(what)
        target.click()

    def type_into(self, target: Locator, text: str, what: str) -> None:
        """Tap a field, then type into it."""
        self.tap(target, what)
        target.fill(text)

    def choose(self, target: Locator, value: str, what: str) -> None:
        """Pick from a native select: one tap opens the list, one picks."""
        self.bring_into_view(target)
        self.taps += 2
        self.steps.append(what)
        target.select_option(value)

    def summary(self) -> str:
        return f"{self.taps} taps, {self.screens:.2f} screens ({' → '.join(self.steps)})"


def choose_community(page: Page, township: str, community: str) -> PathMeter:
    """From the home page, choose a street or township (by its slug), then a community (by
    its name). Ends on the page choosing leads to."""
    meter = PathMeter(page)
    select = page.locator("select[name=township]").first
    chosen = re.compile(r"/my-community\?township=")
    meter.choose(select, township, "street")
    try:  # site.js sends the form when the choice changes
        page.wait_for_url(chosen, timeout=3_000)
    except PlaywrightTimeout:  # without scripts, Continue does
        meter.tap(select.locator("xpath=ancestor::form").locator("[type=submit]"), "continue")
        page.wait_for_url(chosen)
    with page.expect_navigation():
        meter.tap(page.get_by_role("button", name=community, exact=True), "community")
    return meter


@dataclass(frozen=True)
class FormFields:
    """How to find a session's registration form fields (labels may change with the design)."""

    name: re.Pattern = re.compile(r"姓名|Name")
    phone: re.Pattern = re.compile(r"手机|Mobile|Phone")
    # Whatever opens a folded form (a <summary>), when the form is not shown at once.
    opener: str = "summary"
    consent: re.Pattern = re.compile(r"同意|agree|consent", re.IGNORECASE)
    submit: str = "[type=submit]"


def register_from_home(
    page: Page,
    session_id: int,
    name: str,
    phone: str,
    fields: FormFields = FormFields(),  # noqa: B008 (frozen)
) -> PathMeter:
    """From the home page (already open, a community chosen): find the session's card, open
    it, fill in the name and phone, give consent and send. Ends on the page registering
    leads to."""
    meter = PathMeter(page)
    card_link = page.locator(f'a[href$="#session-{session_id}"]').first
    with page.expect_navigation():
        meter.tap(card_link, "session card")
    session = page.locator(f"#session-{session_id}")
    name_field = session.get_by_label(fields.name).first
    if not name_field.is_visible():
        meter.tap(session.locator(fields.opener).first, "open the form")
    form = name_field.locator("xpath=ancestor::form")
    meter.type_into(name_field, name, "name")
    meter.type_into(form.get_by_label(fields.phone).first, phone, "phone")
    meter.tap(form.get_by_role("checkbox", name=fields.consent).first, "consent")
    with page.expect_navigation():
        meter.tap(form.locator(fields.submit).last, "submit")
    return meter


def slot_choice(form: Locator, department: str | None, window: str) -> Locator:
    """A time slot's radio button on a registration form, found as a resident finds it: under
    its department (its fieldset's legend; None when the slots are not grouped), the choice
    whose words start with `window` ("09:00", or the slot's label)."""
    within = form if department is None else form.get_by_role("group", name=department, exact=True)
    return within.get_by_role("radio", name=re.compile("^" + re.escape(window)))
