"""Drawing an exam form from the bank: a pure function over plain data, so it is easy to test exhaustively."""

import random
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    question_id: int
    version_id: int
    area_code: str
    stimulus_id: int | None


@dataclass(frozen=True)
class Quota:
    area_code: str
    count: int


class ShortBank(Exception):
    """The bank cannot fill these quotas: {area code: (needed, available)}."""

    def __init__(self, short: dict[str, tuple[int, int]]):
        self.short = short
        super().__init__(", ".join(f"{code} ({have}/{need})" for code, (need, have) in short.items()))


def in_area(candidate: Candidate, area_code: str) -> bool:
    return candidate.area_code == area_code or candidate.area_code.startswith(area_code + ".")


class AreaIndex:
    """Candidates by question id, and each area's (with its sub-areas') found once: a start draws from the whole
    bank, and scanning it per quota cost more than the rest of the draw. Shared by every start (exams.pool)."""

    def __init__(self, candidates: Iterable[Candidate]):
        self.candidates = tuple(sorted(candidates, key=lambda c: c.question_id))
        self._areas: dict[str, tuple[Candidate, ...]] = {}

    def in_area(self, area_code: str) -> tuple[Candidate, ...]:
        if area_code not in self._areas:
            self._areas[area_code] = tuple(c for c in self.candidates if in_area(c, area_code))
        return self._areas[area_code]


def draw(
    candidates: list[Candidate] | AreaIndex,
    quotas: list[Quota],
    rng: random.Random,
    *,
    shuffle: bool,
    priority: Mapping[int, int] | None = None,
    unlisted: int = 0,
    exclude: Container[int] = frozenset(),
) -> list[Candidate]:
    """Pick exactly quota.count questions per quota area, never the same question twice, drawing the
    questions that share a stimulus (a linked set) together. Raises ShortBank naming every short area.
    `priority` ranks questions by id, lower drawn first (`unlisted` for the rest), at random within a rank,
    and `exclude` names questions not to draw: both per person, so the candidates can be shared by every start."""
    index = candidates if isinstance(candidates, AreaIndex) else AreaIndex(candidates)
    used: set[int] = set()
    picked_units: list[list[Candidate]] = []
    short: dict[str, tuple[int, int]] = {}
    for quota in quotas:
        units: dict[object, list[Candidate]] = {}
        for c in index.in_area(quota.area_code):
            if c.question_id in used or c.question_id in exclude:
                continue
            key = ("set", c.stimulus_id) if c.stimulus_id else ("one", c.question_id)
            units.setdefault(key, []).append(c)
        sets = [u for u in units.values() if len(u) > 1]
        singles = [u for u in units.values() if len(u) == 1]
        rng.shuffle(sets)
        if priority:  # stable: random within a rank
            sets.sort(key=lambda unit: min(priority.get(c.question_id, unlisted) for c in unit))
        available = sum(map(len, units.values()))
        remaining, chosen = quota.count, []
        # Each linked set is taken with the chance any question of the pool has, when it still fits ...
        for unit in sets:
            if len(unit) <= remaining and rng.random() < quota.count / available:
                chosen.append(unit)
                remaining -= len(unit)
        # ... more sets only where the single questions could not fill the rest ...
        for unit in sets:
            if remaining > len(singles) and unit not in chosen and len(unit) <= remaining:
                chosen.append(unit)
                remaining -= len(unit)
        if remaining > len(singles):
            short[quota.area_code] = (quota.count, available)
            continue
        # ... and single questions fill the quota exactly.
        chosen.extend(_take(singles, remaining, rng, priority, unlisted))
        for unit in chosen:
            used.update(c.question_id for c in unit)
        picked_units.extend(chosen)
    if short:
        raise ShortBank(short)
    if shuffle:
        rng.shuffle(picked_units)
    else:
        picked_units.sort(key=lambda unit: (unit[0].area_code, unit[0].question_id))
    return [c for unit in picked_units for c in unit]


def _take(singles: list[list[Candidate]], count: int, rng: random.Random, priority, unlisted: int):
    """`count` of the single questions, lowest rank first and at random within a rank: a sample of what is
    needed rather than a shuffle of the whole area (a start draws ~145 of ~1,000 questions)."""
    if not priority:
        return rng.sample(singles, count)
    ranks: dict[int, list[list[Candidate]]] = {}
    for unit in singles:
        ranks.setdefault(priority.get(unit[0].question_id, unlisted), []).append(unit)
    taken = []
    for rank in sorted(ranks):
        if len(taken) == count:
            break
        taken += rng.sample(ranks[rank], min(count - len(taken), len(ranks[rank])))
    return taken
