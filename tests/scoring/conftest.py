"""Scoring admins for the tuning tests."""

import pytest
from django.contrib.auth.models import Group

from accounts import roles
from tests.factories import UserFactory


def _admin(username):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=roles.SCORING_ADMIN))
    return user


@pytest.fixture
def sam(migrated_rows):
    return _admin("sam")


@pytest.fixture
def tess(migrated_rows):
    return _admin("tess")
