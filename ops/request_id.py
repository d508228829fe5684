"""One id per request, in its response header, in every log line written while serving it and in the log
lines of the Celery tasks it queued: what ties a candidate's "my answer vanished at 10:42" to the server's
story across gunicorn, the worker and the proxy (which logs the same X-Request-ID).

The id lives in a contextvar, so each gunicorn thread and each task sees only its own; a logging filter copies
it onto every record, whichever library wrote the record."""

import logging
import re
import uuid
from contextvars import ContextVar

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.core.signals import request_finished
from django.dispatch import receiver

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"  # the Celery message header carrying it to the worker
NONE = "-"
# What we accept from a proxy or client: a uuid, a proxy's hex id, a trace id. Anything else (too long, spaces,
# newlines that would forge log lines) is replaced by our own.
WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{8,128}")

current: ContextVar[str] = ContextVar("request_id", default=NONE)


def new_id() -> str:
    return uuid.uuid4().hex


def accepted(incoming: str | None) -> str:
    """The incoming id when well-formed, else a new one."""
    return incoming if incoming and WELL_FORMED.fullmatch(incoming) else new_id()


class RequestIdMiddleware:
    """First in MIDDLEWARE, so every later middleware's and view's log lines carry the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accepted(request.headers.get(HEADER))
        request.request_id = request_id
        # Left set until the response is closed (request_finished): Django logs a 4xx/5xx after the middleware
        # has returned, and that line must carry the id too.
        current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


@receiver(request_finished, dispatch_uid="moshi-request-id-finished")
def _forget_request_id(**kwargs) -> None:
    current.set(NONE)


class RequestIdFilter(logging.Filter):
    """Puts the current request's (or task's) id on every record as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get()
        return True


@before_task_publish.connect(dispatch_uid="moshi-request-id-publish")
def _send_request_id(headers=None, **kwargs) -> None:
    request_id = current.get()
    if headers is not None and request_id != NONE:
        headers.setdefault(TASK_HEADER, request_id)


_task_tokens: dict[str, object] = {}


@task_prerun.connect(dispatch_uid="moshi-request-id-prerun")
def _adopt_request_id(task_id=None, task=None, **kwargs) -> None:
    # Eager tasks run inside the request and already see its id; a worker's task reads it from the message.
    if task is None:
        return
    # A worker copies message headers onto the request; an eager apply(headers=...) keeps them in .headers.
    request_id = getattr(task.request, TASK_HEADER, None) or (task.request.headers or {}).get(TASK_HEADER)
    if request_id and WELL_FORMED.fullmatch(str(request_id)):
        _task_tokens[task_id] = current.set(str(request_id))


@task_postrun.connect(dispatch_uid="moshi-request-id-postrun")
def _drop_request_id(task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        current.reset(token)
