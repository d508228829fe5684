"""Writes to the question bank. Every change of status or content goes through here."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from .bankfile import Bank, BankError, ChoiceRow, QuestionRow, question_problems
from .models import Choice, Exam, Question, QuestionVersion, Stimulus, SyllabusArea, VersionChoice
from .rendering import render_markdown

PUBLISH_PERMISSION = "questions.publish_question"
EXAM_NAMES = {"g_kentei": "G検定", "e_shikaku": "E資格", "genai_test": "生成AIテスト"}


# --- Syllabus -----------------------------------------------------------------------------------


@dataclass
class SyllabusResult:
    created: int = 0
    updated: int = 0
    dropped: list[str] = field(default_factory=list)


@transaction.atomic
def syllabus_load(*, paths: Iterable[Path]) -> SyllabusResult:
    """Create or update exams and areas by code. Areas no longer in a file are marked, never deleted,
    so the questions tagged to them keep their area after a syllabus revision."""
    result = SyllabusResult()
    for order, path in enumerate(sorted(paths)):
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        exam, _ = Exam.objects.update_or_create(
            code=data["exam"], defaults={"name": EXAM_NAMES.get(data["exam"], data["name"]), "order": order}
        )
        existing = {a.code: a for a in SyllabusArea.objects.filter(exam=exam)}
        seen: set[str] = set()

        def walk(nodes, parent, report_area, exam=exam, existing=existing, seen=seen) -> None:
            for node in nodes:
                code = str(node["code"])
                area_report = node.get("report_area", report_area)
                values = {
                    "exam": exam,
                    "name": node["name"],
                    "parent": parent,
                    "order": len(seen),
                    "keywords": list(node.get("keywords") or []),
                    "optional": bool(node.get("optional", False)),
                    "report_area": area_report or "",
                    "is_leaf": not node.get("children"),
                    "in_syllabus": True,
                }
                seen.add(code)
                area = existing.get(code)
                if area is None:
                    area = SyllabusArea.objects.create(code=code, **values)
                    result.created += 1
                elif any(getattr(area, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(area, k, v)
                    area.save()
                    result.updated += 1
                walk(node.get("children") or [], area, area_report)

        walk(data["areas"], None, "")
        for code, area in existing.items():
            if code not in seen and area.in_syllabus:
                area.in_syllabus = False
                area.save(update_fields=["in_syllabus"])
                result.dropped.append(code)
    return result


# --- Workflow -----------------------------------------------------------------------------------


def _require_publisher(user) -> None:
    if user is not None and not user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied("問題の公開・廃止はレビュー担当者（Question reviewers）だけができます。")


def question_row(question: Question, choices: list[Choice] | None = None) -> QuestionRow:
    """The model's working copy as a bank row, so one rule set validates admin edits, imports and files."""
    choices = list(question.choices.all()) if choices is None else choices
    return QuestionRow(
        external_id=question.external_id,
        exam=question.exam.code,
        area=question.area.code,
        kind=question.kind,
        difficulty=question.difficulty,
        keywords=list(question.keywords or []),
        framework=question.framework,
        stem=question.stem,
        choices=[ChoiceRow(c.text, c.is_correct) for c in sorted(choices, key=lambda c: c.order)],
        explanation=question.explanation,
        status="published",
        stimulus=question.stimulus.external_id if question.stimulus_id else "",
    )


def question_publish_problems(question: Question, choices: list[Choice] | None = None) -> list[tuple[str, str]]:
    problems = question_problems(question_row(question, choices))
    if question.area.exam_id != question.exam_id or not question.area.is_leaf:
        problems.append(("area", "分野は同じ試験のシラバスの末端分野を選んでください"))
    return problems


@transaction.atomic
def question_publish(*, question: Question, user=None) -> QuestionVersion:
    """Snapshot the working copy as the next immutable version and make it the one candidates get.
    Publishing unchanged content keeps the current version."""
    _require_publisher(user)
    question = (
        Question.objects.select_for_update(of=("self",)).select_related("exam", "area", "stimulus").get(pk=question.pk)
    )
    choices = list(question.choices.all())
    problems = question_publish_problems(question, choices)
    if problems:
        raise ValidationError({f: [m for g, m in problems if g == f] for f, _ in problems})
    digest = question.content_hash(choices)
    current = question.published_version
    if current is None or current.content_hash != digest:
        number = (question.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        stimulus_body = question.stimulus.body if question.stimulus_id else ""
        current = QuestionVersion.objects.create(
            question=question,
            number=number,
            kind=question.kind,
            stem=question.stem,
            explanation=question.explanation,
            stimulus_body=stimulus_body,
            stem_html=render_markdown(question.stem),
            explanation_html=render_markdown(question.explanation),
            stimulus_html=render_markdown(stimulus_body),
            content_hash=digest,
            published_at=timezone.now(),
            published_by=user,
        )
        VersionChoice.objects.bulk_create(
            VersionChoice(
                version=current, order=i, text=c.text, text_html=render_markdown(c.text), is_correct=c.is_correct
            )
            for i, c in enumerate(sorted(choices, key=lambda c: c.order))
        )
    Question.objects.filter(pk=question.pk).update(
        published_version=current, status=Question.Status.PUBLISHED, updated_at=timezone.now()
    )
    return current


def question_submit_for_review(*, question: Question, user=None) -> None:
    Question.objects.filter(pk=question.pk, status=Question.Status.DRAFT).update(status=Question.Status.IN_REVIEW)


def question_retire(*, question: Question, user=None) -> None:
    """Retired questions are never drawn again; every version stays for the attempts that used it."""
    _require_publisher(user)
    Question.objects.filter(pk=question.pk).update(status=Question.Status.RETIRED)


def question_after_edit(*, question: Question) -> None:
    """An edit to a published question's content becomes a draft of its next version; the live version
    stays live until that draft is published."""
    question = Question.objects.select_related("published_version", "stimulus").get(pk=question.pk)
    live = question.published_version
    if question.status == Question.Status.PUBLISHED and live and live.content_hash != question.content_hash():
        Question.objects.filter(pk=question.pk).update(status=Question.Status.DRAFT)


# --- Import -------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    versions: int = 0


@transaction.atomic
def bank_import(*, bank: Bank, user=None) -> ImportResult:
    """Write a validated bank: all of it or, when any row is wrong, nothing (BankError lists every row).
    Questions are matched by external id, so importing the same file twice changes nothing."""
    exams = {e.code: e for e in Exam.objects.all()}
    areas = {a.code: a for a in SyllabusArea.objects.select_related("exam")}
    existing = {q.external_id: q for q in Question.objects.select_related("published_version", "stimulus")}
    stimuli = {s.external_id: s for s in Stimulus.objects.all()}
    errors = []
    for q in bank.questions:
        area = areas.get(q.area)
        if q.exam not in exams:
            errors.append(f"{q.source} {q.external_id}: exam: 未知の試験です: {q.exam!r}")
        elif area is None or not area.is_leaf or area.exam.code != q.exam:
            errors.append(f"{q.source} {q.external_id}: area: {q.area!r} は {q.exam} の末端分野ではありません")
        if q.stimulus and q.stimulus not in bank.stimuli and q.stimulus not in stimuli:
            errors.append(f"{q.source} {q.external_id}: stimulus: {q.stimulus!r} がありません")
    if errors:
        raise BankError(errors)

    for sid, (area_code, row) in bank.stimuli.items():
        exam = areas[area_code].exam if area_code in areas else None
        stimulus = stimuli.get(sid)
        if stimulus is None:
            stimuli[sid] = Stimulus.objects.create(external_id=sid, exam=exam, title=row.title, body=row.body)
        elif (stimulus.title, stimulus.body) != (row.title, row.body):
            stimulus.title, stimulus.body = row.title, row.body
            stimulus.save()

    result = ImportResult()
    for row in bank.questions:
        question = existing.get(row.external_id)
        values = {
            "exam": exams[row.exam],
            "area": areas[row.area],
            "difficulty": row.difficulty,
            "keywords": row.keywords,
            "framework": row.framework,
            "stimulus": stimuli.get(row.stimulus) if row.stimulus else None,
            "kind": row.kind,
            "stem": row.stem,
            "explanation": row.explanation,
        }
        new_choices = [(c.text, c.correct) for c in row.choices]
        if question is None:
            question = Question.objects.create(external_id=row.external_id, created_by=user, **values)
            changed = True
            result.created += 1
        else:
            old_choices = [(c.text, c.is_correct) for c in question.choices.all()]
            changed = old_choices != new_choices or any(getattr(question, k) != v for k, v in values.items())
            if changed:
                for k, v in values.items():
                    setattr(question, k, v)
                question.save()
                result.updated += 1
            else:
                result.unchanged += 1
        if changed:
            question.choices.all().delete()
            Choice.objects.bulk_create(
                Choice(question=question, order=i, text=text, is_correct=correct)
                for i, (text, correct) in enumerate(new_choices)
            )
        live_before = question.published_version_id
        if row.status == "published" and question.status != Question.Status.RETIRED:
            version = question_publish(question=question)
            result.versions += int(version.pk != live_before)
        elif changed:
            Question.objects.filter(pk=question.pk).update(status=Question.Status.DRAFT)
    return result


def version_key_correct(*, version: QuestionVersion, correct_choice_ids: set[int], user=None) -> list[int]:
    """The one exception to a published version's immutability: its key turned out wrong. Only a reviewer
    may do it, only through exams' regrade (which rescores every attempt and keeps an audit record).
    The working copy's choices get the same key, so the next version keeps the fix. Returns the old key."""
    _require_publisher(user)
    choices = list(VersionChoice.objects.filter(version=version).order_by("order"))
    ids = {c.pk for c in choices}
    if not correct_choice_ids or not correct_choice_ids <= ids:
        raise ValidationError("正解はこの版の選択肢から1つ以上選んでください。")
    if version.kind == Question.Kind.SINGLE and len(correct_choice_ids) != 1:
        raise ValidationError("単一選択の問題の正解は1つです。")
    old_key = [c.pk for c in choices if c.is_correct]
    if set(old_key) == correct_choice_ids:
        raise ValidationError("選んだ正解は現在の正解と同じです。")
    # Bypass ImmutableQuerySet.update deliberately (see the docstring).
    for choice in choices:
        models.QuerySet.update(VersionChoice.objects.filter(pk=choice.pk), is_correct=choice.pk in correct_choice_ids)
        Choice.objects.filter(question_id=version.question_id, order=choice.order).update(
            is_correct=choice.pk in correct_choice_ids
        )
    return old_key
