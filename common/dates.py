"""Dates as moments: where a day (a due date, a filter's from/to, a real exam's date) meets a timestamp."""

from datetime import date, datetime, time

from django.utils import timezone


def start_of_day(day: date) -> datetime:
    """Midnight at the start of `day` in the site's time zone (Asia/Tokyo)."""
    return timezone.make_aware(datetime.combine(day, time.min))
