"""Messages to residents: an outbox written with each change, delivered by `flask deliver`."""
