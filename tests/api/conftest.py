import pytest

from organizations.services import api_token_create


@pytest.fixture
def keys(request, organization, other_organization):
    """An API key of each organization of hr_world: (this one's, the other's)."""
    request.getfixturevalue("hr_world")
    return api_token_create(organization=organization, name="a")[1], api_token_create(
        organization=other_organization, name="b"
    )[1]
