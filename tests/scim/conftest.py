import json

import pytest
from django.core.cache import cache

from organizations.services import api_token_create

SCIM_JSON = "application/scim+json"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


class ScimClient:
    """The Django test client as an identity provider: a bearer token and application/scim+json bodies."""

    def __init__(self, client, key):
        self.client, self.key = client, key

    def _headers(self):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.key}", "HTTP_ACCEPT": SCIM_JSON} if self.key else {}

    def get(self, path, **params):
        return self.client.get(f"/scim/v2/{path}", params, **self._headers())

    def send(self, method, path, body, content_type=SCIM_JSON):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return getattr(self.client, method)(f"/scim/v2/{path}", data, content_type=content_type, **self._headers())

    def post(self, path, body, **kw):
        return self.send("post", path, body, **kw)

    def put(self, path, body, **kw):
        return self.send("put", path, body, **kw)

    def patch(self, path, body, **kw):
        return self.send("patch", path, body, **kw)

    def delete(self, path):
        return self.client.delete(f"/scim/v2/{path}", **self._headers())


@pytest.fixture
def scim(client, organization):
    return ScimClient(client, api_token_create(organization=organization, name="IdP", scopes=["scim"])[1])


@pytest.fixture
def other_scim(client, other_organization):
    return ScimClient(client, api_token_create(organization=other_organization, name="IdP", scopes=["scim"])[1])
