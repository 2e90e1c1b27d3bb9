"""Create (or reset) the demo account that `make run` prints, with a workspace and a requester company."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from crm.models import Company, Workspace
from crm.services import workspace_create_for_user


class Command(BaseCommand):
    help = "Create the demo account (DEMO_EMAIL / DEMO_PASSWORD) with its workspace."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        email, password = settings.DEMO_EMAIL, settings.DEMO_PASSWORD
        user, created = get_user_model().objects.get_or_create(
            email=email, defaults={"username": email.split("@")[0][:150]}
        )
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        workspace = Workspace.objects.for_user(user).first() or workspace_create_for_user(
            user=user, name="Demo workspace"
        )
        Company.objects.get_or_create(
            workspace=workspace,
            vat_number="IE6388047V",
            defaults={"name": "Demo Trading Ltd", "address": "1 Demo Street, Dublin"},
        )
        self.stdout.write(f"Demo account {'created' if created else 'ready'}: {email} / {password}")
