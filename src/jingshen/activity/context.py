"""Where the current work comes from (web page, API, command line, background task) and the
client address, for ``record()`` to read without every service taking the request.

The web middleware (``activity.middleware``) sets it per request, ``JingshenCommand`` per
command, and ``from_task`` per background task. The innermost setting wins."""

import functools
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from jingshen.activity.models import Source


@dataclass(frozen=True)
class Origin:
    source: str = Source.SYSTEM
    address: str = ""


_origin: ContextVar[Origin] = ContextVar("jingshen_activity_origin", default=Origin())


def current() -> Origin:
    return _origin.get()


@contextmanager
def origin(source: str, address: str = ""):
    token = _origin.set(Origin(source, address))
    try:
        yield
    finally:
        _origin.reset(token)


def from_task(func):
    """Mark a background task's entries as 后台任务 (put it under ``@task()``)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with origin(Source.TASK):
            return func(*args, **kwargs)

    return wrapper
