"""Who registers: residents with phones, names and feeds, and distinct confirmation codes."""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence

from outreach.registrations.services import CODE_ALPHABET, CODE_LENGTH, TOKEN_BYTES

from .names import _EN_FAMILY, _EN_GIVEN, _GIVEN, _MOBILE_PREFIXES, _SURNAMES
from .places import _Community
from .rows import _token


class _Codes:
    """Distinct keys of `length` letters of `alphabet` (the confirmation codes by default):
    an affine permutation of 0 … len(alphabet)**length − 1, written in that base."""

    def __init__(
        self,
        seed: int,
        alphabet: str = CODE_ALPHABET,
        length: int = CODE_LENGTH,
        name: str = "codes",
    ) -> None:
        self.alphabet, self.length = alphabet, length
        self.modulus = len(alphabet) ** length
        rng = random.Random(f"{seed}:{name}")
        multiplier = rng.randrange(self.modulus // 3, self.modulus)
        while math.gcd(multiplier, len(alphabet)) != 1:  # coprime: every key is hit once
            multiplier += 1
        self.multiplier, self.offset = multiplier, rng.randrange(self.modulus)

    def __call__(self, number: int) -> str:
        value = (number * self.multiplier + self.offset) % self.modulus
        chars = []
        for _ in range(self.length):
            value, digit = divmod(value, len(self.alphabet))
            chars.append(self.alphabet[digit])
        return "".join(chars)


class _Residents:
    """Residents who register: a phone, a name, a home community, a language, a feed."""

    def __init__(self, seed: int, count: int, communities: Sequence[_Community]) -> None:
        self.seed, self.count = seed, count
        self.communities = communities
        rng = random.Random(f"{seed}:residents")
        self.multiplier = rng.randrange(10**7, 10**8) | 1
        while self.multiplier % 5 == 0:  # coprime with 10⁸: distinct numbers
            self.multiplier += 2
        self.offset = rng.randrange(10**8)
        self.key = hashlib.sha256(f"{seed}:feeds".encode()).digest()[:32]

    def of_community(self, index: int) -> tuple[int, int]:
        """The residents living in the community at `index`: [start, end)."""
        count, total = self.count, len(self.communities)
        return (index * count + total - 1) // total, ((index + 1) * count + total - 1) // total

    def home(self, resident: int) -> int:
        """The id of the resident's community."""
        return self.communities[resident * len(self.communities) // self.count].id

    def phone(self, resident: int) -> str:
        prefixes = len(_MOBILE_PREFIXES)
        number = ((resident // prefixes) * self.multiplier + self.offset) % 10**8
        return f"+86{_MOBILE_PREFIXES[resident % prefixes]}{number:08d}"

    def details(self, resident: int) -> tuple[str, str, str | None]:
        """Name, language and e-mail, from a hash of the resident's number."""
        h = (resident * 0x9E3779B97F4A7C15 + self.seed) & 0xFFFFFFFFFFFFFFFF
        h ^= h >> 29
        h = (h * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        h ^= h >> 32
        if h % 100 < 4:
            name = (
                f"{_EN_GIVEN[(h >> 8) % len(_EN_GIVEN)]} {_EN_FAMILY[(h >> 16) % len(_EN_FAMILY)]}"
            )
            language = "en"
        else:
            given = _GIVEN[(h >> 16) % len(_GIVEN)]
            if (h >> 24) % 3:
                given += _GIVEN[(h >> 32) % len(_GIVEN)]
            name = _SURNAMES[(h >> 8) % len(_SURNAMES)] + given
            language = "zh"
        email = f"resident{resident}@example.com" if (h >> 40) % 100 < 10 else None
        return name, language, email

    def feed_token(self, resident: int) -> str:
        """The calendar feed token the resident's registrations share when they share one."""
        digest = hashlib.blake2b(
            resident.to_bytes(8, "big"), key=self.key, digest_size=TOKEN_BYTES
        ).digest()
        return _token(digest)
