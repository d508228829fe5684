"""Refit item parameters and each exam's pass standard now (the nightly task does the same)."""

from django.core.management.base import BaseCommand

from analytics.calibration import refresh_all


class Command(BaseCommand):
    help = "Calibrate every exam's questions from first responses and fit its pass standard (docs/results.md)."

    def handle(self, *args, **options):
        for exam, done in refresh_all().items():
            standard = done["standard"] or "none"
            self.stdout.write(f"{exam}: {done['items']} questions calibrated; standard: {standard}")
