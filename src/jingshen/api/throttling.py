"""Throttling per API key, per user, and per client address for anonymous callers. Rates are
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` ``key``, ``user`` and ``anon`` (settings.py), read
on each call; counts live in Django's cache (one process: ``jingshen serve``). A throttled call
answers 429 with a Chinese ``detail`` (api/exceptions.py)."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from jingshen.orgs.scope import KeyPrincipal


class PrincipalRateThrottle(SimpleRateThrottle):
    def __init__(self):
        pass  # the rate depends on who calls: set in allow_request

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def _ident(self, request) -> tuple[str, str]:
        user = request.user
        if isinstance(user, KeyPrincipal):
            return "key", str(user.key.pk)
        if getattr(user, "is_authenticated", False):
            return "user", str(user.pk)
        return "anon", self.get_ident(request)

    def allow_request(self, request, view):
        self.scope, self._who = self._ident(request)
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self._who}
