"""Statistics for managers and administrators: figures per campaign, place, category and month."""
