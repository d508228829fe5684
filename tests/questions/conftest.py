import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory


@pytest.fixture
def author(db):
    """Staff in "Question authors": writes, edits and sends for review; may not publish or send back."""
    user = UserFactory(is_staff=True, email="author@moshi.example", display_name="著者 花子")
    user.groups.add(Group.objects.get(name="Question authors"))
    return user


@pytest.fixture
def reviewer(db):
    """Staff in "Question reviewers": also publishes, and sends questions back with a comment."""
    user = UserFactory(is_staff=True, email="reviewer@moshi.example", display_name="査読 太郎")
    user.groups.add(Group.objects.get(name="Question reviewers"))
    return user


@pytest.fixture
def bystander(db):
    """Staff with no question permissions at all."""
    return UserFactory(is_staff=True, email="bystander@moshi.example")
