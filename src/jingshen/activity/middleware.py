"""Put the request's client address and source (网页 or 接口) where ``record()`` finds them.

The address is REMOTE_ADDR. ``X-Forwarded-For`` is honoured only when the request comes from
an address in ``settings.TRUSTED_PROXIES`` (set from JINGSHEN_TRUSTED_PROXY when JINGSHEN_HTTPS
is on, see settings.py): then the client is the right-most forwarded address that is not itself
a trusted proxy. Anyone can send the header, so from anywhere else it is ignored."""

import ipaddress

from django.conf import settings

from jingshen.activity.context import origin
from jingshen.activity.models import Source


def _valid(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return ""


def client_address(request) -> str:
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    trusted = set(getattr(settings, "TRUSTED_PROXIES", ()))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if remote and remote in trusted and forwarded:
        for hop in reversed(forwarded.split(",")[:20]):
            hop = _valid(hop)
            if not hop:
                break  # a malformed hop: trust nothing before it
            if hop not in trusted:
                return hop
    return remote


class ActivityOriginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = Source.API if request.path_info.startswith("/api/") else Source.WEB
        with origin(source, client_address(request)):
            return self.get_response(request)
