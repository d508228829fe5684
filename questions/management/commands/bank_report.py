import json

from django.core.management.base import BaseCommand

from questions.selectors import bank_report


class Command(BaseCommand):
    help = "Published question counts per exam and syllabus area (by framework for E資格)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **options):
        report = bank_report()
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return
        for exam in report:
            fw = exam["by_framework"]
            extra = "  (" + ", ".join(f"{k} {v}" for k, v in sorted(fw.items())) + ")" if fw else ""
            self.stdout.write(self.style.MIGRATE_HEADING(f"{exam['name']}: {exam['published']} published{extra}"))
            for area in exam["areas"]:
                indent = "    " if area["leaf"] else "  "
                fw = area["by_framework"]
                extra = "  " + " ".join(f"{k}:{v}" for k, v in sorted(fw.items())) if fw and area["leaf"] else ""
                note = "" if area["in_syllabus"] else "  [not in current syllabus]"
                self.stdout.write(f"{indent}{area['code']:8} {area['published']:4}  {area['name']}{extra}{note}")
            if exam["thin_leaf_areas"]:
                self.stdout.write(f"  leaf areas with fewer than 3: {', '.join(exam['thin_leaf_areas'])}")
