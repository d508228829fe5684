import json

import pytest
import yaml
from django.core.management import call_command

from questions.bankfile import SYLLABUS_DIR
from questions.models import Exam, SyllabusArea
from tests.factories import make_question

pytestmark = pytest.mark.django_db


def test_syllabus_is_loaded_by_migrate_with_report_areas():
    assert set(Exam.objects.values_list("code", flat=True)) == {"g_kentei", "e_shikaku", "genai_test"}
    assert SyllabusArea.objects.get(code="E1.2").report_area == "応用数学"
    assert SyllabusArea.objects.get(code="E1.1").optional is True
    assert not SyllabusArea.objects.get(code="G4").is_leaf


def test_load_syllabus_twice_creates_nothing_new():
    before = SyllabusArea.objects.count()
    call_command("load_syllabus")
    call_command("load_syllabus")
    assert SyllabusArea.objects.count() == before


def test_revision_renames_in_place_and_keeps_dropped_areas_for_their_questions(tmp_path):
    question = make_question(external_id="q-1", area="G10.8")
    data = yaml.safe_load((SYLLABUS_DIR / "g_kentei.yaml").read_text(encoding="utf-8"))
    g10 = next(a for a in data["areas"] if a["code"] == "G10")
    g10["children"] = [c for c in g10["children"] if c["code"] != "G10.8"]
    g4 = next(a for a in data["areas"] if a["code"] == "G4")
    g4["name"] = "ディープラーニングの概要（改訂）"
    path = tmp_path / "g_kentei.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    call_command("load_syllabus", str(path))

    assert SyllabusArea.objects.get(code="G4").name == "ディープラーニングの概要（改訂）"
    dropped = SyllabusArea.objects.get(code="G10.8")
    assert dropped.in_syllabus is False
    question.refresh_from_db()
    assert question.area == dropped


def test_bank_report_json_counts_published_questions_by_area_and_framework(capsys):
    make_question(external_id="g-1", area="G4.2")
    make_question(external_id="g-2", area="G4.2", publish=False)
    make_question(external_id="e-1", area="E3.1", framework="pytorch")
    make_question(external_id="e-2", area="E3.1")
    capsys.readouterr()
    call_command("bank_report", "--json")
    report = {exam["exam"]: exam for exam in json.loads(capsys.readouterr().out)}
    assert report["g_kentei"]["published"] == 1
    g4 = next(a for a in report["g_kentei"]["areas"] if a["code"] == "G4")
    assert g4["published"] == 1 and g4["leaf"] is False
    assert report["e_shikaku"]["by_framework"] == {"pytorch": 1, "common": 1}
    assert "G4.2" in report["g_kentei"]["thin_leaf_areas"]  # 1 published < 10
    cues = report["g_kentei"]["cues"]
    assert cues["single_answer"] == 1 and cues["chance"] == pytest.approx(1 / 3, abs=1e-4)  # three choices
    assert cues["key_longest"] == 1.0 and cues["problems"]  # its key is the longest: the report says so
