"""A Celery worker that is connected but no longer takes work stops, so its supervisor starts a fresh one.

Celery's Redis transport has had releases in which a worker, after the broker restarted, reconnected and then
never consumed again (celery/celery#8091, #10302): alive to a process check, and scoring nothing while
submissions wait, until someone restarts it by hand. Each worker watches itself from a thread in its main
process: when for WORKER_STALL_SECONDS the queue held messages while this worker had nothing in hand and
received nothing, it logs why and shuts down (warm, then forced) with exit code 70. docker-compose's restart
policy, or any supervisor, starts it again, and the new worker takes the queue. Only a worker that could take
work and does not is stopped: one busy with long tasks has them in hand, and when the broker is down there is
no queue to read (the worker's own reconnecting is Celery's job). Not seen: messages sent with a priority
(kombu keeps them in other lists; Moshi sends none), and a stuck worker beside a healthy one on the same queue
(the healthy one empties it: capacity is lost, no work).
"""

import logging
import os
import threading
import time

import redis
from celery.signals import task_received, worker_ready
from celery.worker import state as worker_state
from django.conf import settings

from .selectors import broker_client

logger = logging.getLogger(__name__)

_last_received = time.monotonic()


@task_received.connect
def _received(**kwargs) -> None:
    global _last_received
    _last_received = time.monotonic()


def stalled(*, waiting_seconds: float, idle_seconds: float, in_hand: int, stall_seconds: float) -> bool:
    """Whether a worker should stop: its queues have held messages for longer than stall_seconds, and for as long
    it has received none and holds none (a worker that consumes takes a waiting message within a second)."""
    return in_hand == 0 and min(waiting_seconds, idle_seconds) > stall_seconds


@worker_ready.connect
def _start(sender, **kwargs) -> None:
    stall_seconds = settings.WORKER_STALL_SECONDS
    if not stall_seconds or not settings.CELERY_BROKER_URL:
        return
    # The queues this worker consumes (`-Q`, else the default), read now: a cancelled consumer drops its queue from
    # this list, and that worker is the one to notice. Redis holds each queue's waiting messages in a list of its name.
    queues = sorted(sender.app.amqp.queues.consume_from)
    global _last_received
    _last_received = time.monotonic()
    thread = threading.Thread(target=_watch, args=(queues, stall_seconds), name="moshi-watchdog", daemon=True)
    thread.start()


def _watch(queues: list[str], stall_seconds: float) -> None:
    client = broker_client(timeout=2)
    interval = max(1.0, min(30.0, stall_seconds / 4))
    waiting_since = None  # the queue must have held messages for the whole stall, not at one instant
    busy_at = time.monotonic()  # last seen holding a task: one longer than the stall is work, not a stall
    while True:
        time.sleep(interval)
        try:
            waiting = sum(client.llen(name) for name in queues)
        except redis.RedisError:  # the broker is down: nothing to take, and reconnecting is Celery's part
            waiting_since = None
            continue
        now = time.monotonic()
        in_hand = len(worker_state.reserved_requests)
        if in_hand:
            busy_at = now
        waiting_since = (waiting_since or now) if waiting else None
        if waiting_since is None:
            continue
        idle_seconds = now - max(_last_received, busy_at)
        if stalled(
            waiting_seconds=now - waiting_since, idle_seconds=idle_seconds, in_hand=in_hand, stall_seconds=stall_seconds
        ):
            logger.critical(
                "worker stopped taking work: %s messages waiting, none received for %.0f s; shutting down so its"
                " supervisor starts a fresh worker",
                waiting,
                idle_seconds,
            )
            _shut_down()
            return


EXIT_STALLED = 70  # EX_SOFTWARE: an on-failure supervisor restarts it too


def _shut_down() -> None:
    # What Celery's own SIGTERM handler does: the worker's loop sees it, shuts down warm (closing its broker
    # connection and pool) and exits with this code.
    worker_state.should_stop = EXIT_STALLED
    time.sleep(60)
    while worker_state.active_requests:  # never cut a task short: a warm shutdown waits for them too
        time.sleep(5)
    logger.critical("warm shutdown did not finish in 60 s; exiting")
    os._exit(EXIT_STALLED)
