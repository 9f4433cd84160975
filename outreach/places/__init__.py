"""Places: townships (streets and townships), communities and venues."""
