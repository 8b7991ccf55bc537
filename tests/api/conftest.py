import pytest
from django.test import Client

from jingshen.api.services import create_key
from jingshen.orgs.scope import KEY_SCOPES
from jingshen.orgs.services import OPERATOR

ALL_SCOPES = list(KEY_SCOPES)


@pytest.fixture
def make_key(tree):
    """make_key("A", ["read_flags"]) -> (APIKey, secret), made as the command line does."""

    def make(code: str, scopes=ALL_SCOPES, **kwargs):
        return create_key(org=tree[code], name=f"{code} 系统", scopes=scopes, actor=OPERATOR, **kwargs)

    return make


def key_client(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
