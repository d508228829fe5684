"""django-import-export glue: the admin's CSV / XLSX / JSON import and export of flat question rows.

Rows go through the same rules and the same service as bank files: every row is validated first,
and nothing is written unless every row is valid. The import acts as the signed-in admin user: a reviewer's
rows marked published are published; an author's go to review (questions.services.bank_import).
"""

import tablib
from django.core.exceptions import ValidationError
from import_export import resources
from import_export.results import Result, RowResult

from .bankfile import Bank, BankError, question_problems
from .exporting import FLAT_COLUMNS, flat_row_to_question, question_flat_row
from .models import Question, SyllabusArea
from .services import Via, bank_import

PREVIEW_COLUMNS = ["external_id", "exam", "area", "kind", "stem"]


class QuestionResource(resources.ModelResource):
    class Meta:
        model = Question
        import_id_fields = ("external_id",)
        fields = ("external_id",)
        skip_diff = True

    def export(self, queryset=None, **kwargs) -> tablib.Dataset:
        queryset = Question.objects.all() if queryset is None else queryset
        queryset = queryset.select_related("exam", "area", "stimulus").prefetch_related("choices")
        dataset = tablib.Dataset(headers=FLAT_COLUMNS)
        for question in queryset.order_by("external_id"):
            row = question_flat_row(question)
            dataset.append([row[c] for c in FLAT_COLUMNS])
        return dataset

    def import_data_inner(self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs):
        result = Result()
        result.diff_headers = PREVIEW_COLUMNS
        result.total_rows = len(dataset)
        leaves: dict[str, set[str]] = {}
        for exam_code, code in SyllabusArea.objects.filter(is_leaf=True).values_list("exam__code", "code"):
            leaves.setdefault(exam_code, set()).add(code)
        existing = set(Question.objects.values_list("external_id", flat=True))

        rows, row_results, invalid = [], [], False
        headers = dataset.headers or []
        missing = [
            c for c in ("external_id", "exam", "area", "stem", "choice_1", "choice_2", "correct") if c not in headers
        ]
        if missing:
            result.append_base_error(_base_error(f"列が足りません: {', '.join(missing)}"))
            return result
        for number, values in enumerate(dataset, start=1):
            raw = dict(zip(headers, values, strict=False))
            question, problems = flat_row_to_question(raw, line=number)
            field_errors: dict[str, list[str]] = {}
            for field, message in question_problems(question, leaves):
                field_errors.setdefault(field, []).append(message)
            if problems:
                field_errors.setdefault("correct", []).extend(problems)
            if question.external_id in {q.external_id for q in rows}:
                field_errors.setdefault("external_id", []).append("ファイル内で重複しています")
            row_result = RowResult()
            if field_errors:
                invalid = True
                result.append_invalid_row(number, raw, ValidationError(field_errors))
                row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            else:
                new = question.external_id not in existing
                row_result.import_type = RowResult.IMPORT_TYPE_NEW if new else RowResult.IMPORT_TYPE_UPDATE
                row_result.diff = [str(raw.get(c, ""))[:60] for c in PREVIEW_COLUMNS]
                row_result.object_repr = question.external_id
                result.append_row_result(row_result)
                row_results.append(row_result)
            result.increment_row_result_total(row_result)
            rows.append(question)

        if invalid:
            return result  # all-or-nothing: one bad row and nothing is written
        try:
            bank_import(bank=Bank(questions=rows), by=kwargs.get("user"), via=Via.ADMIN_IMPORT)
        except BankError as exc:
            for message in exc.errors:
                result.append_base_error(_base_error(message))
            return result
        # The admin writes a log entry per row after a real import: it needs each row's object.
        written = Question.objects.in_bulk([r.object_repr for r in row_results], field_name="external_id")
        for row_result in row_results:
            row_result.instance = written[row_result.object_repr]
            row_result.object_id = row_result.instance.pk
        return result


def _base_error(message: str):
    from import_export.results import Error

    return Error(ValueError(message))
