import json
import textwrap

import pytest
import tablib
from django.core.management import CommandError, call_command

from questions.bankfile import read_bank
from questions.exporting import FLAT_COLUMNS
from questions.models import Question, QuestionVersion
from questions.resources import QuestionResource

pytestmark = pytest.mark.django_db

GOOD = textwrap.dedent(
    """\
    exam: g_kentei
    area: G4.2
    questions:
      - id: imp-001
        kind: single
        difficulty: 2
        keywords: [ReLU関数]
        stem: |
          ReLUの出力として正しいものはどれですか。
        choices:
          - text: max(0, x)
            correct: true
          - text: 1 / (1 + e^-x)
          - text: tanh(x)
          - text: x^2
        explanation: |
          ReLUは負の入力を0にし、正の入力はそのまま通します。
      - id: imp-002
        kind: multiple
        difficulty: 3
        stem: 勾配消失が起きにくい活性化関数をすべて選べ。
        choices:
          - {text: ReLU, correct: true}
          - {text: Leaky ReLU, correct: true}
          - {text: シグモイド}
          - {text: ステップ関数}
        explanation: ReLU系は正の領域で勾配が1です。
    """
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_creates_published_questions_and_reimport_changes_nothing(tmp_path):
    path = write(tmp_path, "G4.2.yaml", GOOD)
    call_command("import_bank", str(path))
    assert Question.objects.filter(status="published").count() == 2
    call_command("import_bank", str(path))
    assert Question.objects.count() == 2
    assert QuestionVersion.objects.count() == 2


def test_reimporting_changed_content_publishes_a_new_version(tmp_path):
    call_command("import_bank", str(write(tmp_path, "G4.2.yaml", GOOD)))
    call_command("import_bank", str(write(tmp_path, "G4.2.yaml", GOOD.replace("max(0, x)", "max(0, x) を返す"))))
    question = Question.objects.get(external_id="imp-001")
    assert question.published_version.number == 2
    assert question.versions.count() == 2


def test_one_bad_row_imports_nothing_and_every_problem_names_its_row_and_field(tmp_path):
    bad = GOOD.replace("kind: multiple", "kind: single").replace("difficulty: 2", "difficulty: 9")
    path = write(tmp_path, "G4.2.yaml", bad)
    with pytest.raises(CommandError) as excinfo:
        call_command("import_bank", str(path))
    message = str(excinfo.value)
    assert "Nothing was imported" in message
    assert "imp-001: difficulty" in message
    assert "imp-002: choices" in message
    assert not Question.objects.exists()


def test_unknown_area_and_duplicate_ids_are_refused(tmp_path):
    write(tmp_path, "a.yaml", GOOD.replace("area: G4.2", "area: G4"))
    write(tmp_path, "b.yaml", GOOD)
    with pytest.raises(CommandError) as excinfo:
        call_command("import_bank", str(tmp_path))
    message = str(excinfo.value)
    assert "area: 'G4' は g_kentei のシラバスの末端分野ではありません" in message
    assert "id: a.yaml と重複しています" in message
    assert not Question.objects.exists()


def test_yaml_export_import_round_trip(tmp_path):
    call_command("import_bank", str(write(tmp_path, "G4.2.yaml", GOOD)))
    out = tmp_path / "out"
    call_command("export_bank", str(out))
    original = read_bank([tmp_path / "G4.2.yaml"]).questions
    exported = read_bank([out]).questions
    strip = lambda q: {**q.__dict__, "source": ""}  # noqa: E731
    assert [strip(q) for q in exported] == [strip(q) for q in original]


def flat_dataset(rows):
    data = tablib.Dataset(headers=FLAT_COLUMNS)
    for row in rows:
        data.append([row.get(c, "") for c in FLAT_COLUMNS])
    return data


def flat_row(**overrides):
    row = {
        "external_id": "flat-001",
        "exam": "g_kentei",
        "area": "G3.4",
        "kind": "single",
        "difficulty": 2,
        "framework": "common",
        "keywords": "適合率|再現率",
        "stem": "適合率の定義は？",
        "choice_1": "TP/(TP+FP)",
        "choice_2": "TP/(TP+FN)",
        "choice_3": "TN/(TN+FP)",
        "choice_4": "(TP+TN)/全体",
        "correct": "1",
        "explanation": "適合率は陽性と予測したうち本当に陽性の割合です。",
        "status": "published",
    }
    return {**row, **overrides}


@pytest.fixture
def reviewer():
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Question reviewers"))
    return user


def test_admin_resource_imports_flat_rows_all_or_nothing_with_row_errors(reviewer):
    resource = QuestionResource()
    bad = flat_dataset(
        [flat_row(), flat_row(external_id="flat-002", correct="7"), flat_row(external_id="flat-003", area="X9")]
    )
    result = resource.import_data(bad, dry_run=False, user=reviewer)
    assert result.has_validation_errors()
    numbers = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(numbers) == {2, 3}
    assert "correct" in numbers[2] and "area" in numbers[3]
    assert not Question.objects.exists()

    result = resource.import_data(flat_dataset([flat_row()]), dry_run=False, user=reviewer)
    assert not result.has_errors() and not result.has_validation_errors()
    assert Question.objects.get().published_version.choices.filter(is_correct=True).get().text == "TP/(TP+FP)"


def test_flat_export_import_round_trip_in_csv_xlsx_and_json(tmp_path, reviewer):
    call_command("import_bank", str(write(tmp_path, "G4.2.yaml", GOOD)))
    resource = QuestionResource()
    exported = resource.export()
    for fmt in ("csv", "xlsx", "json"):
        blob = exported.export(fmt)
        dataset = tablib.Dataset().load(blob, format=fmt)
        result = resource.import_data(dataset, dry_run=False, user=reviewer)
        assert not result.has_validation_errors(), result.invalid_rows
        assert Question.objects.count() == 2
        assert QuestionVersion.objects.count() == 2  # unchanged content: no new versions
    assert json.loads(exported.export("json"))[1]["correct"] == "1|2"


def test_dry_run_writes_nothing():
    QuestionResource().import_data(flat_dataset([flat_row()]), dry_run=True)
    assert not Question.objects.exists()
