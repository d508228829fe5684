"""Blind review of bank questions: a reviewer who never sees the key answers each question, and the
answers are compared with the keys (docs/question-writing.md, "Blind review").

    python -m questions.blind sheet FILE_OR_DIR... > sheet.md        # stems and choices, no keys
    python -m questions.blind score answers.txt FILE_OR_DIR...       # agreement and every disagreement

The sheet shows each question's choices as A, B, C, … in an order shuffled by the question's id (the
same order every time), so neither the key nor the author's habit of where to put it shows. An answers
file has one line per question: `<id>: B` or, for select-all questions, `<id>: A,C`; a line may add
`# comment` with the reviewer's doubt.
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .bankfile import Bank, QuestionRow, read_bank

LETTERS = "ABCDEFGH"


def shown_order(q: QuestionRow) -> list[int]:
    """The choice indexes in the order the sheet shows them, fixed by the id."""
    order = list(range(len(q.choices)))
    random.Random(int(hashlib.sha256(q.external_id.encode()).hexdigest(), 16)).shuffle(order)
    return order


def sheet(bank: Bank) -> str:
    out = []
    for q in bank.questions:
        kind = "すべて選べ（正解は1つ以上）" if q.kind == "multiple" else "1つ選べ"
        out.append(f"## {q.external_id}  [{kind}]")
        if q.stimulus:
            out.append(bank.stimuli[q.stimulus][1].body.rstrip())
            out.append("")
        out.append(q.stem.rstrip())
        out.append("")
        for letter, index in zip(LETTERS, shown_order(q), strict=False):
            out.append(f"{letter}. {q.choices[index].text.strip()}")
        out.append("")
    return "\n".join(out)


_ANSWER = re.compile(r"^\s*([a-z0-9][a-z0-9._-]+)\s*[:：]\s*([A-Ha-h](?:\s*[,、]\s*[A-Ha-h])*)\s*(?:#\s*(.*))?$")


def read_answers(text: str) -> dict[str, tuple[set[str], str]]:
    answers = {}
    for line in text.splitlines():
        match = _ANSWER.match(line)
        if match:
            letters = {x.strip().upper() for x in re.split(r"[,、]", match.group(2))}
            answers[match.group(1)] = (letters, (match.group(3) or "").strip())
    return answers


@dataclass
class Review:
    agreed: list[str]
    disagreed: list[tuple[str, str, str, str]]  # id, reviewer's letters, key letters, comment
    unanswered: list[str]

    @property
    def agreement(self) -> float:
        answered = len(self.agreed) + len(self.disagreed)
        return len(self.agreed) / answered if answered else 0.0


def score(bank: Bank, answers: dict[str, tuple[set[str], str]]) -> Review:
    review = Review([], [], [])
    for q in bank.questions:
        order = shown_order(q)
        key = {LETTERS[pos] for pos, index in enumerate(order) if q.choices[index].correct}
        if q.external_id not in answers:
            review.unanswered.append(q.external_id)
            continue
        given, comment = answers[q.external_id]
        if given == key:
            review.agreed.append(q.external_id)
        else:
            review.disagreed.append((q.external_id, ",".join(sorted(given)), ",".join(sorted(key)), comment))
    return review


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "sheet":
        print(sheet(read_bank([Path(p) for p in argv[1:]])))
        return 0
    if len(argv) >= 3 and argv[0] == "score":
        review = score(read_bank([Path(p) for p in argv[2:]]), read_answers(Path(argv[1]).read_text("utf-8")))
        answered = len(review.agreed) + len(review.disagreed)
        print(f"agreement {len(review.agreed)}/{answered} = {review.agreement:.1%}")
        print(f"unanswered {len(review.unanswered)}")
        for qid, given, key, comment in review.disagreed:
            print(f"DISAGREE {qid}: reviewer {given}, key {key}" + (f"  # {comment}" if comment else ""))
        for qid in review.unanswered:
            print(f"UNANSWERED {qid}")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
