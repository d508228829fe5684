import json

from django.core.management.base import BaseCommand

from questions.selectors import bank_report


class Command(BaseCommand):
    help = "Published question counts per exam and syllabus area (by framework for E資格), and the cue figures."

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
                self.stdout.write(f"  leaf areas with fewer than 10: {', '.join(exam['thin_leaf_areas'])}")
            if cues := exam["cues"]:
                self.stdout.write(
                    f"  cues ({cues['single_answer']} single-answer): key longest {cues['key_longest']:.1%}, "
                    f"key/distractor length {cues['key_mean_length']}/{cues['distractor_mean_length']} = "
                    f"{cues['length_ratio']:.2f}, absolute words keys {cues['key_absolute']:.1%} / distractors "
                    f"{cues['distractor_absolute']:.1%}, chance {cues['chance']:.1%}, best habit "
                    f"'{cues['best_habit']}' {cues['habits'][cues['best_habit']]:.1%} "
                    f"({cues['guesser_gain'] * 100:+.1f} points)"
                )
                for problem in cues["problems"]:
                    self.stdout.write(self.style.ERROR(f"  PROBLEM: {problem}"))
