"""Writes to the question bank. Every change of status or content goes through here."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .bankfile import Bank, BankError, ChoiceRow, QuestionRow, question_problems
from .models import Choice, Exam, Question, QuestionEvent, QuestionVersion, Stimulus, SyllabusArea, VersionChoice
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


Via = QuestionEvent.Via


def may_publish(by, via: str) -> bool:
    """Who may change what candidates are given (publish, retire, re-key): a person with the reviewer
    permission, or an operator's command (no person: `by` is None and `via` is COMMAND). Nobody else,
    through any path."""
    if by is None:
        return via == Via.COMMAND
    return by.is_active and by.has_perm(PUBLISH_PERMISSION)


def _require_publisher(by, via: str) -> None:
    if not may_publish(by, via):
        raise PermissionDenied(_("問題の公開・廃止・正解の訂正はレビュー担当者（Question reviewers）だけができます。"))


def may_review(by) -> bool:
    """Who may send a question back to its author: the people who may publish it. A send-back speaks to an
    author, so it always has a person behind it (no operator's command)."""
    return by is not None and may_publish(by, Via.ADMIN_REVIEW)


def may_comment(by) -> bool:
    """Who may write in a question's review thread: its authors (to answer) and its reviewers."""
    return by is not None and by.is_active and (by.has_perm("questions.change_question") or may_review(by))


def _record(question_id: int, kind: str, *, by, via: str, version=None, note: str = "") -> QuestionEvent:
    return QuestionEvent.objects.create(question_id=question_id, kind=kind, by=by, via=via, version=version, note=note)


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
def question_publish(*, question: Question, by, via: str) -> QuestionVersion:
    """Snapshot the working copy as the next immutable version and make it the one candidates get, and
    record who did it and how. Publishing unchanged content that is already live changes nothing."""
    _require_publisher(by, via)
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
            published_by=by,
        )
        VersionChoice.objects.bulk_create(
            VersionChoice(
                version=current, order=i, text=c.text, text_html=render_markdown(c.text), is_correct=c.is_correct
            )
            for i, c in enumerate(sorted(choices, key=lambda c: c.order))
        )
    changed = current.pk != question.published_version_id or question.status != Question.Status.PUBLISHED
    if changed:
        Question.objects.filter(pk=question.pk).update(
            published_version=current, status=Question.Status.PUBLISHED, updated_at=timezone.now()
        )
        _record(question.pk, QuestionEvent.Kind.PUBLISHED, by=by, via=via, version=current)
    return current


def question_submit_for_review(*, question: Question, by, via: str, note: str = "") -> bool:
    """A draft goes to the reviewers, with the author's note if any (what changed since a send-back); the live
    version (if any) stays live meanwhile."""
    moved = Question.objects.filter(pk=question.pk, status=Question.Status.DRAFT).update(
        status=Question.Status.IN_REVIEW, updated_at=timezone.now()
    )
    if moved:
        _record(question.pk, QuestionEvent.Kind.SUBMITTED, by=by, via=via, note=note.strip())
    return bool(moved)


def question_comment(*, question: Question, by, comment: str, via: str = Via.ADMIN_REVIEW) -> QuestionEvent:
    """A word in the question's review thread, kept in its history with who and when. Changes no status."""
    if not may_comment(by):
        raise PermissionDenied(_("この問題にコメントする権限がありません。"))
    if not comment.strip():
        raise ValidationError(_("コメントを入力してください。"))
    return _record(question.pk, QuestionEvent.Kind.COMMENTED, by=by, via=via, note=comment.strip())


@transaction.atomic
def question_send_back(*, question: Question, by, comment: str, via: str = Via.ADMIN_REVIEW) -> QuestionEvent:
    """A reviewer returns a question in review to its author as a draft, saying why. The live version (if any)
    stays live; the author edits the draft and sends it for review again."""
    if not may_review(by):
        raise PermissionDenied(_("差し戻しはレビュー担当者（Question reviewers）だけができます。"))
    if not comment.strip():
        raise ValidationError(_("差し戻す理由をコメントに書いてください。著者はそれを読んで直します。"))
    # Conditional, so a send-back racing a publish cannot return a question that was just published.
    moved = Question.objects.filter(pk=question.pk, status=Question.Status.IN_REVIEW).update(
        status=Question.Status.DRAFT, updated_at=timezone.now()
    )
    if not moved:
        raise ValidationError(_("差し戻せるのはレビュー中の問題だけです。"))
    return _record(question.pk, QuestionEvent.Kind.SENT_BACK, by=by, via=via, note=comment.strip())


@transaction.atomic
def question_retire(*, question: Question, by, via: str) -> bool:
    """Retired questions are never drawn again; every version stays for the attempts that used it."""
    _require_publisher(by, via)
    moved = (
        Question.objects.filter(pk=question.pk)
        .exclude(status=Question.Status.RETIRED)
        .update(status=Question.Status.RETIRED, updated_at=timezone.now())
    )
    if moved:
        _record(question.pk, QuestionEvent.Kind.RETIRED, by=by, via=via)
    return bool(moved)


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
    in_review: int = 0  # new or changed questions sent to review instead of published (an author's import)


@transaction.atomic
def bank_import(*, bank: Bank, by, via: str) -> ImportResult:
    """Write a validated bank: all of it or, when any row is wrong, nothing (BankError lists every row).
    Questions are matched by external id, so importing the same file twice changes nothing.

    Rows marked published are published only when `by` may publish (a reviewer, or an operator's command);
    an author's import sends new and changed questions to review instead, and a live question keeps its
    live version (and key) until a reviewer publishes the change."""
    publisher = may_publish(by, via)
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
            question = Question.objects.create(external_id=row.external_id, created_by=by, **values)
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
        if row.status == "published" and question.status != Question.Status.RETIRED and publisher:
            version = question_publish(question=question, by=by, via=via)
            result.versions += int(version.pk != live_before)
        elif changed and row.status == "published" and question.status != Question.Status.RETIRED:
            Question.objects.filter(pk=question.pk).update(status=Question.Status.DRAFT)
            question_submit_for_review(question=question, by=by, via=via)
            result.in_review += 1
        elif changed:
            Question.objects.filter(pk=question.pk).update(status=Question.Status.DRAFT)
    return result


def version_key_correct(*, version: QuestionVersion, correct_choice_ids: set[int], by) -> list[int]:
    """The one exception to a published version's immutability: its key turned out wrong. Only a reviewer
    may do it, only through exams' regrade (which rescores every attempt and keeps an audit record).
    The working copy's choices get the same key, so the next version keeps the fix. Returns the old key."""
    _require_publisher(by, Via.REGRADE)
    choices = list(VersionChoice.objects.filter(version=version).order_by("order"))
    ids = {c.pk for c in choices}
    if not correct_choice_ids or not correct_choice_ids <= ids:
        raise ValidationError(_("正解はこの版の選択肢から1つ以上選んでください。"))
    if version.kind == Question.Kind.SINGLE and len(correct_choice_ids) != 1:
        raise ValidationError(_("単一選択の問題の正解は1つです。"))
    old_key = [c.pk for c in choices if c.is_correct]
    if set(old_key) == correct_choice_ids:
        raise ValidationError(_("選んだ正解は現在の正解と同じです。"))
    # Bypass ImmutableQuerySet.update deliberately (see the docstring).
    for choice in choices:
        models.QuerySet.update(VersionChoice.objects.filter(pk=choice.pk), is_correct=choice.pk in correct_choice_ids)
        Choice.objects.filter(question_id=version.question_id, order=choice.order).update(
            is_correct=choice.pk in correct_choice_ids
        )
    _record(
        version.question_id,
        QuestionEvent.Kind.KEY_CORRECTED,
        by=by,
        via=Via.REGRADE,
        version=version,
        note=f"{sorted(old_key)} → {sorted(correct_choice_ids)}",
    )
    return old_key
