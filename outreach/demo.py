"""Demo data: Chaoyang District's townships, communities, venues, organisations and campaigns."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from outreach.database import db
from outreach.places.models import Township


@dataclass
class SeedReport:
    """How many rows of each kind the seed created."""

    created: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the command's output."""
        if not any(self.created.values()):
            return "Demo data already loaded; nothing to add."
        return "Created " + ", ".join(f"{n} {kind}" for kind, n in self.created.items() if n)


def is_empty() -> bool:
    """Whether the database holds no places yet."""
    return db.session.scalar(select(Township.id).limit(1)) is None


def seed(reset: bool = False) -> SeedReport:
    """Load the demo; rows that already exist are kept. Flushes, never commits."""
    raise NotImplementedError
