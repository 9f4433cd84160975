"""Calendar feeds: iCalendar documents built with the icalendar library, and their endpoints."""
