"""The owner of the test workspace reading in Russian: their stored choice, and the switch's cookie."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import UserPreference


@pytest.fixture
def russian(owner):
    UserPreference.objects.update_or_create(user=owner.user, defaults={"language": "ru"})
    owner.client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    return owner
