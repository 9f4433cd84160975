"""Events: categories, events, their sessions, and the public pages that list them."""
