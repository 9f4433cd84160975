"""Townships, their communities, and venues in both, with names, slugs and coordinates."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import NamedTuple

from outreach.places.models import TownshipKind

from .names import (
    _COMMUNITY_SUFFIXES,
    _COMMUNITY_VENUES,
    _PLACE_CHARS,
    _STATION,
    _TOWNSHIP_SUFFIXES,
    _TOWNSHIP_VENUES,
    _VILLAGE_SUFFIX,
    _Slugs,
)
from .scales import Scale


class _Township(NamedTuple):
    id: int
    kind: str
    slug: str
    name: str
    name_en: str
    stem: tuple[str, str, str]  # the place name without suffix: Chinese, slug, English
    latitude: float
    longitude: float


class _Community(NamedTuple):
    id: int
    township: int
    slug: str
    name: str
    name_en: str
    latitude: float
    longitude: float


class _Venue(NamedTuple):
    id: int
    township: int
    community: int | None
    slug: str
    name: str
    name_en: str
    address: str
    latitude: Decimal
    longitude: Decimal


def _split(rng: random.Random, total: int, parts: int, spread: float = 0.5) -> list[int]:
    """`total` items over `parts` buckets, at least one each when possible, unevenly."""
    if parts <= 0:
        return []
    floor = 1 if total >= parts else 0
    weights = [rng.uniform(1 - spread, 1 + spread) for _ in range(parts)]
    counts = [floor] * parts
    for index in rng.choices(range(parts), weights, k=total - floor * parts):
        counts[index] += 1
    return counts


class _PlacesPlan:
    """The places of `_Plan` (see plan.py): townships, then communities, then venues."""

    scale: Scale
    townships: list[_Township]
    communities: list[_Community]
    venues: list[_Venue]

    def _stem(self, rng: random.Random) -> tuple[str, str, str]:
        first, second = rng.sample(_PLACE_CHARS, 2)
        return (
            first[0] + second[0],
            f"{first[1]}-{second[1]}",
            (first[1] + second[1]).capitalize(),
        )

    def _places(self, rng: random.Random) -> None:
        scale = self.scale
        township_slugs, community_slugs, venue_slugs = _Slugs(), _Slugs(), _Slugs()
        for number in range(1, scale.townships + 1):
            kind = TownshipKind.STREET if rng.random() < 0.7 else TownshipKind.TOWNSHIP
            stem = self._stem(rng)
            suffix = _TOWNSHIP_SUFFIXES[kind]
            self.townships.append(
                _Township(
                    number,
                    kind.value,
                    township_slugs(f"{stem[1]}-{suffix[1]}"),
                    stem[0] + suffix[0],
                    f"{stem[2]} {suffix[2]}",
                    stem,
                    rng.uniform(39.75, 40.15),
                    rng.uniform(116.15, 116.70),
                )
            )
        per_township = _split(rng, scale.communities, scale.townships)
        for township, count in zip(self.townships, per_township, strict=True):
            for _ in range(count):
                stem = self._stem(rng)
                rural = township.kind == TownshipKind.TOWNSHIP and rng.random() < 0.5
                suffix = _VILLAGE_SUFFIX if rural else rng.choice(_COMMUNITY_SUFFIXES)
                self.communities.append(
                    _Community(
                        len(self.communities) + 1,
                        township.id,
                        community_slugs(f"{stem[1]}-{suffix[1]}"),
                        stem[0] + suffix[0],
                        f"{stem[2]} {suffix[2]}",
                        township.latitude + rng.uniform(-0.02, 0.02),
                        township.longitude + rng.uniform(-0.02, 0.02),
                    )
                )
        # Every community has its service station; some venues belong to a township only
        # (a school, a park, a mall); the rest are more rooms and squares in communities.
        township_only = max(scale.townships, round(scale.venues * 0.15))
        extra = max(0, scale.venues - len(self.communities) - township_only)
        per_community = [1 + n for n in _split(rng, extra, len(self.communities), spread=0.9)]
        for community, count in zip(self.communities, per_community, strict=True):
            kinds = [_STATION, *rng.sample(_COMMUNITY_VENUES, min(count - 1, 8))]
            for name, slug, name_en in kinds:
                self._venue(rng, venue_slugs, community.township, community, name, slug, name_en)
        townships = _split(rng, township_only, scale.townships)
        for township, count in zip(self.townships, townships, strict=True):
            kinds = [_TOWNSHIP_VENUES[i % len(_TOWNSHIP_VENUES)] for i in range(count)]
            for name, slug, name_en in kinds:
                self._venue(rng, venue_slugs, township.id, None, name, slug, name_en)

    def _venue(self, rng, slugs: _Slugs, township_id: int, community, name, slug, name_en):
        township = self.townships[township_id - 1]
        if community is not None:
            full = (
                community.name + name,
                f"{community.slug}-{slug}",
                f"{community.name_en} {name_en}",
            )
            address = f"北京市{township.name}{community.name}{rng.randint(1, 40)}号楼一层"
            latitude, longitude = community.latitude, community.longitude
            spread = 0.004
        else:
            stem = township.stem
            full = (stem[0] + name, f"{stem[1]}-{slug}", f"{stem[2]} {name_en}")
            address = f"北京市{township.name}{stem[0]}路{rng.randint(1, 300)}号"
            latitude, longitude = township.latitude, township.longitude
            spread = 0.02
        self.venues.append(
            _Venue(
                len(self.venues) + 1,
                township_id,
                community.id if community is not None else None,
                slugs(full[1]),
                full[0],
                full[2],
                address,
                Decimal(f"{latitude + rng.uniform(-spread, spread):.6f}"),
                Decimal(f"{longitude + rng.uniform(-spread, spread):.6f}"),
            )
        )
