"""Organisations of every kind, where they work, and their staff (manager, organiser, checker)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, NamedTuple

from outreach.accounts.models import OrganisationKind, Role

from .categories import _CATEGORIES, _CATEGORY_LEANING
from .names import _DISTRICT_BODIES, _GIVEN, _OTHER_BODIES, _SURNAMES, _Slugs
from .places import _Community, _Township
from .scales import ADMIN_USERNAME, Scale

# Share of each kind among organisations.
_ORGANISATION_MIX = (
    (OrganisationKind.STREET_OFFICE, 0.36),
    (OrganisationKind.HEALTH_CENTRE, 0.26),
    (OrganisationKind.DISTRICT_DEPARTMENT, 0.16),
    (OrganisationKind.SCHOOL, 0.12),
    (OrganisationKind.COMMUNITY_COMMITTEE, 0.06),
    (OrganisationKind.OTHER, 0.04),
)


class _Organisation(NamedTuple):
    id: int
    kind: str
    slug: str
    name: str
    name_en: str
    township: int | None  # where it works; None: the whole district
    community: int | None
    category_weights: tuple[int, ...]
    staff: tuple[int, int, int]  # manager, organiser, checker


def _quota(total: int, mix: Sequence[tuple[Any, float]]) -> list[tuple[Any, int]]:
    """Largest-remainder split of `total` by the shares in `mix`."""
    raw = [(kind, total * share) for kind, share in mix]
    counts = {kind: int(value) for kind, value in raw}
    left = total - sum(counts.values())
    for kind, _ in sorted(raw, key=lambda kv: kv[1] - int(kv[1]), reverse=True)[:left]:
        counts[kind] += 1
    return [(kind, counts[kind]) for kind, _ in mix]


class _OrganisationsPlan:
    """The organisations of `_Plan` (see plan.py), each with its three staff accounts."""

    scale: Scale
    townships: list[_Township]
    communities: list[_Community]
    organisations: list[_Organisation]
    staff: list[tuple[int, str, str, bool]]
    memberships: list[tuple[int, int, int, str]]

    def _organisations(self, rng: random.Random) -> None:
        self.staff.append((1, ADMIN_USERNAME, "系统管理员", True))
        slugs = _Slugs()
        townships = list(self.townships)
        rng.shuffle(townships)
        communities = rng.sample(self.communities, min(len(self.communities), 50))
        count = len(_CATEGORIES[: self.scale.categories])
        for kind, number in _quota(self.scale.organisations, _ORGANISATION_MIX):
            for index in range(number):
                township = townships[index % len(townships)]
                stem = township.stem
                home: tuple[int | None, int | None] = (township.id, None)
                if kind == OrganisationKind.DISTRICT_DEPARTMENT:
                    name, slug, name_en = _DISTRICT_BODIES[index % len(_DISTRICT_BODIES)]
                    home = (None, None)
                elif kind == OrganisationKind.OTHER:
                    name, slug, name_en = _OTHER_BODIES[index % len(_OTHER_BODIES)]
                    home = (None, None)
                elif kind == OrganisationKind.STREET_OFFICE:
                    name = township.name + "办事处"
                    slug, name_en = f"{township.slug}-ban-shi-chu", f"{township.name_en} Office"
                elif kind == OrganisationKind.HEALTH_CENTRE:
                    name = stem[0] + "社区卫生服务中心"
                    slug = f"{stem[1]}-she-qu-wei-sheng-fu-wu-zhong-xin"
                    name_en = f"{stem[2]} Community Health Service Centre"
                elif kind == OrganisationKind.SCHOOL:
                    name = f"北京市{stem[0]}中学"
                    slug, name_en = f"bei-jing-shi-{stem[1]}-zhong-xue", f"Beijing {stem[2]} School"
                else:  # a residents' committee
                    community = communities[index % len(communities)]
                    name = community.name + "居委会"
                    slug = f"{community.slug}-ju-wei-hui"
                    name_en = f"{community.name_en} Residents' Committee"
                    home = (community.township, community.id)
                leaning = _CATEGORY_LEANING.get(kind, {})
                weights = tuple(leaning.get(i, 1) for i in range(count))
                organisation_id = len(self.organisations) + 1
                staff = tuple(self._staff_member(rng, organisation_id, role) for role in Role)
                self.organisations.append(
                    _Organisation(
                        organisation_id,
                        kind.value,
                        slugs(slug),
                        name,
                        name_en,
                        home[0],
                        home[1],
                        weights,
                        staff,  # type: ignore[arg-type]
                    )
                )

    def _staff_member(self, rng: random.Random, organisation_id: int, role: Role) -> int:
        user_id = len(self.staff) + 1
        name = rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, rng.choice((1, 2))))
        self.staff.append((user_id, f"org{organisation_id}-{role.value}", name, False))
        self.memberships.append((len(self.memberships) + 1, user_id, organisation_id, role.value))
        return user_id
