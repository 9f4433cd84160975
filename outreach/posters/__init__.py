"""Printable A4 posters with QR codes: an event's schedule, a community's coming weeks."""
