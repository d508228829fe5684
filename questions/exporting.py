"""The bank out of the database: YAML files (the import format) and flat rows (CSV/XLSX/JSON)."""

from collections import defaultdict
from pathlib import Path

import yaml

from .bankfile import ChoiceRow, QuestionRow
from .models import Question

MAX_CHOICES = 6
FLAT_COLUMNS = [
    "external_id",
    "exam",
    "area",
    "kind",
    "difficulty",
    "framework",
    "keywords",
    "stimulus",
    "stem",
    *[f"choice_{i}" for i in range(1, MAX_CHOICES + 1)],
    "correct",
    "explanation",
    "status",
]


class _BlockDumper(yaml.SafeDumper):
    """Multi-line text as | blocks, so exported files stay readable and diffable."""


def _str_presenter(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_presenter)


def _questions():
    return (
        Question.objects.select_related("exam", "area", "stimulus")
        .prefetch_related("choices")
        .order_by("area__order", "external_id")
    )


def _export_status(q: Question) -> str:
    return "published" if q.status == Question.Status.PUBLISHED else "draft"


def question_to_mapping(q: Question) -> dict:
    data = {"id": q.external_id, "kind": q.kind, "difficulty": q.difficulty, "keywords": list(q.keywords)}
    if q.exam.has_frameworks:
        data["framework"] = q.framework
    if q.stimulus_id:
        data["stimulus"] = q.stimulus.external_id
    if _export_status(q) != "published":
        data["status"] = "draft"
    data["stem"] = q.stem
    data["choices"] = [{"text": c.text, **({"correct": True} if c.is_correct else {})} for c in q.choices.all()]
    data["explanation"] = q.explanation
    return data


def bank_export(*, directory: Path) -> list[Path]:
    """One file per leaf area, as docs/question-format.md describes. Retired questions are left out."""
    by_area: dict[tuple[str, str], list[Question]] = defaultdict(list)
    for q in _questions().exclude(status=Question.Status.RETIRED):
        by_area[(q.exam.code, q.area.code)].append(q)
    written = []
    for (exam, area), questions in by_area.items():
        stimuli = {q.stimulus.external_id: q.stimulus for q in questions if q.stimulus_id}
        doc = {"exam": exam, "area": area}
        if stimuli:
            doc["stimuli"] = [
                {"id": s.external_id, **({"title": s.title} if s.title else {}), "body": s.body}
                for s in stimuli.values()
            ]
        doc["questions"] = [question_to_mapping(q) for q in questions]
        path = Path(directory) / exam / f"{area}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.dump(doc, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
        written.append(path)
    return written


def question_flat_row(q: Question) -> dict:
    choices = list(q.choices.all())
    row = {
        "external_id": q.external_id,
        "exam": q.exam.code,
        "area": q.area.code,
        "kind": q.kind,
        "difficulty": q.difficulty,
        "framework": q.framework,
        "keywords": "|".join(q.keywords),
        "stimulus": q.stimulus.external_id if q.stimulus_id else "",
        "stem": q.stem,
        "correct": "|".join(str(i) for i, c in enumerate(choices, start=1) if c.is_correct),
        "explanation": q.explanation,
        "status": _export_status(q),
    }
    for i in range(1, MAX_CHOICES + 1):
        row[f"choice_{i}"] = choices[i - 1].text if i <= len(choices) else ""
    return row


def flat_row_to_question(row: dict, *, line: int) -> tuple[QuestionRow, list[str]]:
    """A CSV/XLSX/JSON row back to a bank row; problems that only a flat row can have are returned."""
    problems = []

    def cell(name: str) -> str:
        value = row.get(name)
        return "" if value is None else str(value).strip() if name not in ("stem", "explanation") else str(value)

    correct_numbers: set[int] = set()
    for part in filter(None, cell("correct").replace(",", "|").split("|")):
        try:
            correct_numbers.add(int(float(part)))
        except ValueError:
            problems.append(f"row {line} {cell('external_id') or '?'}: correct: 番号ではありません: {part!r}")
    texts = [cell(f"choice_{i}") for i in range(1, MAX_CHOICES + 1)]
    last = max((i for i, t in enumerate(texts, start=1) if t), default=0)
    for n in correct_numbers:
        if not 1 <= n <= last:
            problems.append(f"row {line} {cell('external_id') or '?'}: correct: 選択肢 {n} はありません")
    try:
        difficulty = int(float(cell("difficulty") or 0))
    except ValueError:
        difficulty = 0
    question = QuestionRow(
        external_id=cell("external_id"),
        exam=cell("exam"),
        area=cell("area"),
        kind=cell("kind") or "single",
        difficulty=difficulty,
        keywords=[k for k in cell("keywords").split("|") if k],
        framework=cell("framework") or "common",
        stem=cell("stem"),
        choices=[ChoiceRow(t, i in correct_numbers) for i, t in enumerate(texts[:last], start=1)],
        explanation=cell("explanation"),
        status=cell("status") or "published",
        stimulus=cell("stimulus"),
        source=f"row {line}",
    )
    return question, problems
