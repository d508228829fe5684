"""Drawing an exam form from the bank: a pure function over plain data, so it is easy to test exhaustively."""

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    question_id: int
    version_id: int
    area_code: str
    stimulus_id: int | None
    priority: int = 0  # lower is drawn first (drills: missed before, then unseen, then answered right)


@dataclass(frozen=True)
class Quota:
    area_code: str
    count: int


class ShortBank(Exception):
    """The bank cannot fill these quotas: {area code: (needed, available)}."""

    def __init__(self, short: dict[str, tuple[int, int]]):
        self.short = short
        super().__init__(", ".join(f"{code} ({have}/{need})" for code, (need, have) in short.items()))


def _in_area(candidate: Candidate, area_code: str) -> bool:
    return candidate.area_code == area_code or candidate.area_code.startswith(area_code + ".")


def draw(candidates: list[Candidate], quotas: list[Quota], rng: random.Random, *, shuffle: bool) -> list[Candidate]:
    """Pick exactly quota.count questions per quota area, never the same question twice, drawing the
    questions that share a stimulus (a linked set) together. Raises ShortBank naming every short area."""
    used: set[int] = set()
    picked_units: list[list[Candidate]] = []
    short: dict[str, tuple[int, int]] = {}
    for quota in quotas:
        units: dict[object, list[Candidate]] = {}
        for c in sorted(candidates, key=lambda c: c.question_id):
            if c.question_id in used or not _in_area(c, quota.area_code):
                continue
            key = ("set", c.stimulus_id) if c.stimulus_id else ("one", c.question_id)
            units.setdefault(key, []).append(c)
        pool = list(units.values())
        rng.shuffle(pool)
        pool.sort(key=lambda unit: min(c.priority for c in unit))  # stable: random within a priority
        sets = [u for u in pool if len(u) > 1]
        singles = [u for u in pool if len(u) == 1]
        available = sum(len(u) for u in pool)
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
        chosen.extend(singles[:remaining])
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
