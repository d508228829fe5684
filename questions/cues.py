"""How far a know-nothing reader can get by the shape of the choices alone (docs/question-writing.md).

Pure Python over bank rows, so the bank test, `bank_report`, the admin's bank report and authors at
their desk share one measurement: `python -m questions.cues questions/data/bank` prints the figures
per exam and lists the questions whose key stands out.

The figures, per exam:
- how often the key is the longest choice of a single-answer question (a tie shares the credit, as a
  guesser choosing among the longest at random would);
- the mean length of keys against the mean length of distractors (all questions);
- how often keys and distractors carry absolute words (必ず, 常に, …) and hedges (〜場合がある, …);
- the expected score of test-wise guessing habits on single-answer questions, against chance.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .bankfile import QuestionRow

# The habits Moshi's bank must not reward (ITEM_WRITING.md: absolutes mark distractors, hedges mark keys).
ABSOLUTES = (
    "必ず",
    "常に",
    "一切",
    "完全に",
    "すべて",
    "全て",
    "決して",
    "だけ",
    "のみ",
    "絶対",
    "保証",
    "確実に",
    "いかなる",
    "例外なく",
    "100%",
    "100％",
)
HEDGES = (
    "場合がある",
    "ことがある",
    "場合もある",
    "こともある",
    "一般に",
    "しやすい",
    "可能性がある",
    "傾向がある",
    "し得る",
    "しうる",
    "多い",
    "主に",
)
# Words that contain one of the above but say something else (非常に is not 常に, 絶対値 not 絶対).
NOT_CUES = ("非常に", "絶対値", "どれだけ", "だけでなく")

# Thresholds the bank test enforces (issue 3/8): a reader who knows nothing must stay near chance.
MAX_KEY_LONGEST = 0.30
KEY_LENGTH_RATIO = (0.9, 1.1)
MAX_GUESSER_GAIN = 0.05

_SPACE = re.compile(r"\s+")


def plain(text: str) -> str:
    """The text a reader compares by eye: Markdown marks and white space removed (code and formulas kept
    as they are: their length is visible too)."""
    return _SPACE.sub("", re.sub(r"[*_#>|]", "", text))


def length(text: str) -> int:
    return len(plain(text))


def has_any(text: str, words: tuple[str, ...]) -> bool:
    text = plain(text)
    for phrase in NOT_CUES:
        text = text.replace(phrase, "")
    return any(w in text for w in words)


def bigrams(text: str) -> set[str]:
    text = plain(text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _best_share(scores: list[float], key: int) -> float:
    """Expected credit of picking the highest-scoring choice, ties broken at random."""
    top = max(scores)
    winners = [i for i, s in enumerate(scores) if s == top]
    return 1 / len(winners) if key in winners else 0.0


def _pick_from(allowed: list[int], key: int) -> float:
    return 1 / len(allowed) if key in allowed else 0.0


# Each habit: (choices' plain texts, stem, key index) -> expected credit on one single-answer question.
def _longest(texts, stem, key):
    return _best_share([len(t) for t in texts], key)


def _shortest(texts, stem, key):
    return _best_share([-len(t) for t in texts], key)


def _no_absolutes(texts, stem, key):
    allowed = [i for i, t in enumerate(texts) if not has_any(t, ABSOLUTES)] or list(range(len(texts)))
    return _pick_from(allowed, key)


def _hedged(texts, stem, key):
    allowed = [i for i, t in enumerate(texts) if has_any(t, HEDGES)] or list(range(len(texts)))
    return _pick_from(allowed, key)


def _no_absolutes_then_longest(texts, stem, key):
    allowed = [i for i, t in enumerate(texts) if not has_any(t, ABSOLUTES)] or list(range(len(texts)))
    return _best_share([len(t) if i in allowed else -1 for i, t in enumerate(texts)], key)


def _stem_overlap(texts, stem, key):
    stem_grams = bigrams(stem)
    return _best_share([len(bigrams(t) & stem_grams) / max(len(bigrams(t)), 1) for t in texts], key)


def _convergence(texts, stem, key):
    grams = [bigrams(t) for t in texts]
    return _best_share(
        [sum(len(g & other) for j, other in enumerate(grams) if j != i) for i, g in enumerate(grams)], key
    )


HABITS = {
    "longest": _longest,
    "shortest": _shortest,
    "no_absolutes": _no_absolutes,
    "hedged": _hedged,
    "no_absolutes_then_longest": _no_absolutes_then_longest,
    "stem_overlap": _stem_overlap,
    "convergence": _convergence,
}


@dataclass
class CueFigures:
    exam: str
    questions: int = 0
    single: int = 0
    key_longest: float = 0.0  # share of single-answer questions (ties share the credit)
    key_mean_length: float = 0.0
    distractor_mean_length: float = 0.0
    key_absolute: float = 0.0  # share of keys with an absolute word
    distractor_absolute: float = 0.0
    key_hedge: float = 0.0
    distractor_hedge: float = 0.0
    chance: float = 0.0  # expected score of a blind guess on the single-answer questions
    habits: dict[str, float] = field(default_factory=dict)  # expected score of each habit

    @property
    def length_ratio(self) -> float:
        return self.key_mean_length / self.distractor_mean_length if self.distractor_mean_length else 1.0

    @property
    def best_habit(self) -> tuple[str, float]:
        return max(self.habits.items(), key=lambda kv: kv[1]) if self.habits else ("", 0.0)

    @property
    def guesser_gain(self) -> float:
        """How far the best habit beats chance, in score points (0..1)."""
        return self.best_habit[1] - self.chance

    def problems(self) -> list[str]:
        """What breaks the thresholds, in words an author can act on."""
        found = []
        if self.single and self.key_longest > MAX_KEY_LONGEST:
            found.append(
                f"key is the longest choice in {self.key_longest:.0%} of single-answer questions "
                f"(at most {MAX_KEY_LONGEST:.0%})"
            )
        low, high = KEY_LENGTH_RATIO
        if not low <= self.length_ratio <= high:
            found.append(f"key/distractor mean length {self.length_ratio:.2f} (between {low} and {high})")
        name, score = self.best_habit
        if self.single and self.guesser_gain > MAX_GUESSER_GAIN:
            found.append(
                f"guessing by '{name}' scores {score:.1%} against chance {self.chance:.1%} "
                f"(at most {MAX_GUESSER_GAIN * 100:.0f} points above)"
            )
        return found


def cue_figures(questions: list[QuestionRow]) -> dict[str, CueFigures]:
    """The cue figures of each exam's questions (published ones only)."""
    by_exam: dict[str, list[QuestionRow]] = defaultdict(list)
    for q in questions:
        if q.status == "published":
            by_exam[q.exam].append(q)
    return {exam: _figures(exam, rows) for exam, rows in sorted(by_exam.items())}


def _figures(exam: str, rows: list[QuestionRow]) -> CueFigures:
    f = CueFigures(exam=exam, questions=len(rows))
    keys, distractors = [], []
    habit_sums = dict.fromkeys(HABITS, 0.0)
    chance = 0.0
    for q in rows:
        texts = [plain(c.text) for c in q.choices]
        keys += [t for t, c in zip(texts, q.choices, strict=True) if c.correct]
        distractors += [t for t, c in zip(texts, q.choices, strict=True) if not c.correct]
        if q.kind == "single" and len(texts) > 1:
            key = next(i for i, c in enumerate(q.choices) if c.correct)
            f.single += 1
            chance += 1 / len(texts)
            for name, habit in HABITS.items():
                habit_sums[name] += habit(texts, q.stem, key)
    f.key_mean_length = sum(map(len, keys)) / len(keys) if keys else 0.0
    f.distractor_mean_length = sum(map(len, distractors)) / len(distractors) if distractors else 0.0
    f.key_absolute = _share(keys, ABSOLUTES)
    f.distractor_absolute = _share(distractors, ABSOLUTES)
    f.key_hedge = _share(keys, HEDGES)
    f.distractor_hedge = _share(distractors, HEDGES)
    if f.single:
        f.chance = chance / f.single
        f.habits = {name: total / f.single for name, total in habit_sums.items()}
        f.key_longest = f.habits["longest"]
    return f


def _share(texts: list[str], words: tuple[str, ...]) -> float:
    return sum(has_any(t, words) for t in texts) / len(texts) if texts else 0.0


def question_cues(q: QuestionRow) -> list[str]:
    """Why one question's key may stand out, for an author revising it (not a verdict: across a bank the
    key is rightly the longest about one time in four)."""
    texts = [plain(c.text) for c in q.choices]
    keys = [t for t, c in zip(texts, q.choices, strict=True) if c.correct]
    others = [t for t, c in zip(texts, q.choices, strict=True) if not c.correct]
    if not keys or not others:
        return []
    cues = []
    key_len, other_len = sum(map(len, keys)) / len(keys), sum(map(len, others)) / len(others)
    if q.kind == "single" and len(keys[0]) == max(map(len, texts)) and len(keys[0]) > 1.2 * other_len:
        cues.append(f"key clearly longest ({len(keys[0])} vs distractors' mean {other_len:.0f})")
    elif q.kind == "single" and len(keys[0]) == min(map(len, texts)) and len(keys[0]) < 0.8 * other_len:
        cues.append(f"key clearly shortest ({len(keys[0])} vs distractors' mean {other_len:.0f})")
    elif q.kind == "multiple" and not 0.8 <= key_len / max(other_len, 1) <= 1.25:
        cues.append(f"keys' mean length {key_len:.0f} vs distractors' {other_len:.0f}")
    absolute_keys = sum(has_any(t, ABSOLUTES) for t in keys)
    absolute_others = sum(has_any(t, ABSOLUTES) for t in others)
    if absolute_others and not absolute_keys:
        cues.append("only distractors carry absolute words (" + _found(others, ABSOLUTES) + ")")
    if any(has_any(t, HEDGES) for t in keys) and not any(has_any(t, HEDGES) for t in others):
        cues.append("only the key carries a hedge (" + _found(keys, HEDGES) + ")")
    if q.kind == "single":
        key = next(i for i, c in enumerate(q.choices) if c.correct)
        grams = [bigrams(t) for t in texts]
        shared = [sum(len(g & o) for j, o in enumerate(grams) if j != i) for i, g in enumerate(grams)]
        runner_up = max(s for i, s in enumerate(shared) if i != key)
        if shared[key] > runner_up:
            cues.append(
                "key shares the most wording with the other choices (distractors look like variations "
                "of the key; about one key in four may, no more)"
            )
    return cues


def _found(texts: list[str], words: tuple[str, ...]) -> str:
    return "、".join(sorted({w for t in texts for w in words if w in t}))


def main(argv: list[str]) -> int:
    from .bankfile import BANK_DIR, BankError, read_bank

    verbose = "--list" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")] or [BANK_DIR]
    try:
        bank = read_bank(paths)
    except BankError as exc:
        print("\n".join(exc.errors))
        return 1
    failed = False
    for exam, f in cue_figures(bank.questions).items():
        print(f"{exam}: {f.questions} published, {f.single} single-answer")
        print(f"  key is longest        {f.key_longest:6.1%}   (≤ {MAX_KEY_LONGEST:.0%})")
        print(
            f"  key / distractor len  {f.key_mean_length:5.1f} / {f.distractor_mean_length:5.1f} = "
            f"{f.length_ratio:.2f}   ({KEY_LENGTH_RATIO[0]}–{KEY_LENGTH_RATIO[1]})"
        )
        print(f"  absolute words        keys {f.key_absolute:5.1%}  distractors {f.distractor_absolute:5.1%}")
        print(f"  hedges                keys {f.key_hedge:5.1%}  distractors {f.distractor_hedge:5.1%}")
        print(f"  chance                {f.chance:6.1%}")
        for name, score in sorted(f.habits.items(), key=lambda kv: -kv[1]):
            print(f"  guess by {name:26} {score:6.1%}  ({(score - f.chance) * 100:+.1f} points)")
        for problem in f.problems():
            failed = True
            print(f"  PROBLEM: {problem}")
    if verbose:
        for q in bank.questions:
            for cue in question_cues(q):
                print(f"{q.source} {q.external_id}: {cue}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
