"""Parse and validate question bank files (docs/question-format.md) without touching the database.

Pure Python so the importer, the bank tests and authors' own checks share one set of rules:
`python -m questions.bankfile questions/data/bank` validates a folder and prints every problem.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
SYLLABUS_DIR = DATA_DIR / "syllabus"
BANK_DIR = DATA_DIR / "bank"

EXAM_CODES = ("g_kentei", "e_shikaku", "genai_test")
KINDS = ("single", "multiple")
FRAMEWORKS = ("common", "pytorch", "tensorflow")
STATUSES = ("published", "draft")
EXTERNAL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# Text never holds control characters; they come from YAML escapes like "\times" (a tab and "imes").
CONTROL_CHARACTERS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class ChoiceRow:
    text: str
    correct: bool


@dataclass(frozen=True)
class StimulusRow:
    external_id: str
    title: str
    body: str


@dataclass
class QuestionRow:
    """One question as read from a file or a flat row, before it touches the database."""

    external_id: str
    exam: str
    area: str
    kind: str
    difficulty: int
    keywords: list[str]
    framework: str
    stem: str
    choices: list[ChoiceRow]
    explanation: str
    status: str = "published"
    stimulus: str = ""
    source: str = ""  # "file.yaml" or "row 3", for error messages


@dataclass
class Bank:
    questions: list[QuestionRow] = field(default_factory=list)
    stimuli: dict[str, tuple[str, StimulusRow]] = field(default_factory=dict)  # id -> (area, row)


class BankError(ValueError):
    """Every problem found, each naming where it is; raised only after checking everything."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def iter_areas(nodes: list[dict]):
    """Every node of a syllabus tree, parents before children."""
    for node in nodes:
        yield node
        yield from iter_areas(node.get("children") or [])


def syllabus_leaves() -> dict[str, set[str]]:
    """Leaf area codes per exam, from the repo's syllabus files."""
    leaves: dict[str, set[str]] = {}
    for path in sorted(SYLLABUS_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        leaves[data["exam"]] = {str(node["code"]) for node in iter_areas(data["areas"]) if not node.get("children")}
    return leaves


def question_problems(q: QuestionRow, leaves: dict[str, set[str]] | None = None) -> list[tuple[str, str]]:
    """Rules that belong to one question, as (field, message) pairs."""
    problems: list[tuple[str, str]] = []

    def err(fieldname: str, message: str) -> None:
        problems.append((fieldname, message))

    if not EXTERNAL_ID.match(q.external_id or ""):
        err("external_id", "小文字英数字・. _ - の3〜64文字で指定してください")
    if q.exam not in EXAM_CODES:
        err("exam", f"未知の試験です: {q.exam!r}")
    elif leaves is not None and q.area not in leaves.get(q.exam, set()):
        err("area", f"{q.area!r} は {q.exam} のシラバスの末端分野ではありません")
    if q.kind not in KINDS:
        err("kind", f"single か multiple を指定してください（{q.kind!r}）")
    if not isinstance(q.difficulty, int) or isinstance(q.difficulty, bool) or not 1 <= q.difficulty <= 5:
        err("difficulty", "1〜5の整数で指定してください")
    if q.framework not in FRAMEWORKS:
        err("framework", f"common / pytorch / tensorflow のいずれかです（{q.framework!r}）")
    elif q.framework != "common" and q.exam != "e_shikaku":
        err("framework", "フレームワークはE資格の問題にだけ指定できます")
    if q.status not in STATUSES:
        err("status", f"published か draft を指定してください（{q.status!r}）")
    if not (q.stem or "").strip():
        err("stem", "問題文がありません")
    texts = [("stem", q.stem), ("explanation", q.explanation), *(("choices", c.text) for c in q.choices)]
    for fieldname, text in texts:
        if CONTROL_CHARACTERS.search(text or ""):
            err(
                fieldname,
                r'制御文字（タブなど）があります。YAMLの "…" の中では \times の \t がタブになります。'
                r"\\times と書くか、'…' か | で囲んでください",
            )
    if q.status == "published" and not (q.explanation or "").strip():
        err("explanation", "解説がありません（解説のない問題は公開できません）")
    problems.extend(("choices", message) for message in choice_problems(q.kind, q.choices))
    return problems


def choice_problems(kind: str, choices: list[ChoiceRow]) -> list[str]:
    texts = [c.text.strip() for c in choices]
    problems = []
    if len(texts) < 2:
        problems.append("選択肢は2つ以上必要です")
    if any(not t for t in texts):
        problems.append("空の選択肢があります")
    if len(set(texts)) != len(texts):
        problems.append("同じ文の選択肢が重複しています")
    n_correct = sum(c.correct for c in choices)
    if kind == "single" and n_correct != 1:
        problems.append(f"単一選択の問題は正解がちょうど1つ必要です（現在 {n_correct}）")
    if kind == "multiple" and n_correct < 1:
        problems.append("複数選択の問題は正解が1つ以上必要です")
    return problems


def _question_from_mapping(raw: dict, *, exam: str, area: str, source: str) -> QuestionRow:
    choices = [
        ChoiceRow(text=str(c.get("text", "")), correct=bool(c.get("correct", False)))
        for c in raw.get("choices") or []
        if isinstance(c, dict)
    ]
    keywords = raw.get("keywords") or []
    return QuestionRow(
        external_id=str(raw.get("id", "")),
        exam=exam,
        area=area,
        kind=str(raw.get("kind", "single")),
        difficulty=raw.get("difficulty", 0),
        keywords=[str(k) for k in keywords] if isinstance(keywords, list) else [str(keywords)],
        framework=str(raw.get("framework") or "common"),
        stem=str(raw.get("stem") or ""),
        choices=choices,
        explanation=str(raw.get("explanation") or ""),
        status=str(raw.get("status") or "published"),
        stimulus=str(raw.get("stimulus") or ""),
        source=source,
    )


def read_bank(paths: list[Path]) -> Bank:
    """Read files or folders of bank files and validate all of them; raise BankError listing every problem."""
    leaves = syllabus_leaves()
    bank = Bank()
    errors: list[str] = []
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.rglob("*.yaml")) if path.is_dir() else [path])
    for path in files:
        source = path.name
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            errors.append(f"{source}: YAMLとして読めません: {exc}")
            continue
        if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
            errors.append(f"{source}: exam, area, questions を持つYAMLの辞書が必要です")
            continue
        exam, area = str(data.get("exam", "")), str(data.get("area", ""))
        local_stimuli: set[str] = set()
        for raw in data.get("stimuli") or []:
            sid = str(raw.get("id", ""))
            if not EXTERNAL_ID.match(sid):
                errors.append(f"{source}: stimuli: id {sid!r} が不正です")
            elif sid in bank.stimuli:
                errors.append(f"{source}: stimuli: id {sid!r} が重複しています")
            elif not str(raw.get("body") or "").strip():
                errors.append(f"{source}: stimuli {sid}: body がありません")
            else:
                row = StimulusRow(sid, str(raw.get("title") or ""), str(raw["body"]))
                bank.stimuli[sid] = (area, row)
                local_stimuli.add(sid)
        for raw in data["questions"]:
            if not isinstance(raw, dict):
                errors.append(f"{source}: questions の要素は辞書である必要があります")
                continue
            q = _question_from_mapping(raw, exam=exam, area=area, source=source)
            where = f"{source} {q.external_id or '?'}"
            errors.extend(f"{where}: {f}: {m}" for f, m in question_problems(q, leaves))
            if q.stimulus and q.stimulus not in local_stimuli:
                errors.append(f"{source} {q.external_id}: stimulus: 同じファイルに {q.stimulus!r} がありません")
            bank.questions.append(q)
    seen: dict[str, str] = {}
    for q in bank.questions:
        if q.external_id in seen:
            errors.append(f"{q.source} {q.external_id}: id: {seen[q.external_id]} と重複しています")
        seen.setdefault(q.external_id, q.source)
    if errors:
        raise BankError(errors)
    return bank


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [BANK_DIR]
    try:
        bank = read_bank(paths)
    except BankError as exc:
        print("\n".join(exc.errors))
        print(f"{len(exc.errors)} problem(s)")
        return 1
    print(f"OK: {len(bank.questions)} questions, {len(bank.stimuli)} stimuli")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
