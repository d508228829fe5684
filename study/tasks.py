from celery import shared_task

from . import services


@shared_task(name="study.tasks.refresh_cards")
def refresh_cards() -> int:
    """Beat, every minute: questions answered in newly scored mocks and drills become (or review) study cards."""
    return services.cards_refresh_all()
