"""Settings of the drills' private stack: production's (config/settings.py, run with DEBUG=false),
with two changes that do not touch what the drills test.

- Static files are served unhashed, so the drills need no collectstatic (their client never asks for them).
- FAULT_BEAT_SECONDS, when set (the short drills in the normal suite), runs beat's every-minute tasks that often,
  so the sweeper's work is seen in seconds. The crontab entries (the nightly calibration, reminders, purges) keep
  their times: run every second they queued a full IRT fit a second ahead of the scoring the drills wait for.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import CELERY_BEAT_SCHEDULE, STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

if os.environ.get("FAULT_BEAT_SECONDS"):
    CELERY_BEAT_SCHEDULE = {
        name: {**entry, "schedule": float(os.environ["FAULT_BEAT_SECONDS"])} if entry["schedule"] == 60.0 else entry
        for name, entry in CELERY_BEAT_SCHEDULE.items()
    }
