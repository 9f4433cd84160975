"""Registrations: slots, residents' bookings, waitlist, check-in, exports and retention."""
