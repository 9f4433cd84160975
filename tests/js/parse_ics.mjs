// Reads an iCalendar document on stdin and prints, as JSON, what Mozilla's ical.js (the parser
// inside Thunderbird) makes of the calendar's name and of each VEVENT. Used by the tests
// through tests/feeds/icaljs.py.
//
// Every VTIMEZONE of the document is registered before any time is read: ical.js resolves a
// TZID only through its TimezoneService and otherwise treats the time as floating, which is
// exactly the client behaviour the tests must be able to see (the zone is printed too).
import { readFileSync } from "node:fs";

import ICAL from "ical.js";

/** The instant of a date-time as a UTC ISO string, or the date of an all-day value. */
function instant(time) {
    if (time.isDate) {
        return time.toString();
    }
    return new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
}

/** The name of the zone ical.js resolved a time in ("floating" when it found none). */
function zoneOf(time) {
    return time.isDate ? null : time.zone.tzid;
}

const calendar = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
}

const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    // Without DTEND, ical.js derives the end from DTSTART (and DURATION) as clients show it.
    const end = event.endDate;
    return {
        uid: event.uid,
        summary: event.summary,
        description: event.description,
        location: event.location,
        status: vevent.getFirstPropertyValue("status"),
        sequence: event.sequence,
        all_day: event.startDate.isDate,
        start: instant(event.startDate),
        end: instant(end),
        has_dtend: vevent.hasProperty("dtend"),
        start_zone: zoneOf(event.startDate),
        end_zone: zoneOf(end),
    };
});
// The calendar's own name, as a client would title the subscription.
const names = {
    name: calendar.getFirstPropertyValue("name"),
    x_wr_calname: calendar.getFirstPropertyValue("x-wr-calname"),
};
process.stdout.write(`${JSON.stringify({ calendar: names, events }, null, 1)}\n`);
