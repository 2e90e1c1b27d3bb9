"""factory_boy factories for the CRM's rows. Every row hangs off a workspace."""

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from crm.models import (
    Alert,
    AlertKind,
    CheckResult,
    CheckStatus,
    Company,
    Counterparty,
    Invitation,
    Membership,
    Role,
    Severity,
    VerificationCheck,
    Workspace,
)

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    workspace = factory.SubFactory(WorkspaceFactory)
    name = "Requester Ltd"
    vat_number = "IE6388047V"


class CounterpartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Counterparty

    workspace = factory.SubFactory(WorkspaceFactory)
    vat_number = factory.Sequence(lambda n: f"NL{n:09d}B01")
    country_code = factory.LazyAttribute(lambda cp: cp.vat_number[:2])
    name = factory.Sequence(lambda n: f"Supplier {n} B.V.")


class VerificationCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VerificationCheck

    counterparty = factory.SubFactory(CounterpartyFactory)
    workspace = factory.SelfAttribute("counterparty.workspace")
    overall_status = CheckStatus.VALID
    confidence_score = 90
    finished_at = factory.LazyFunction(timezone.now)


class CheckResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckResult

    check_run = factory.SubFactory(VerificationCheckFactory)
    service = "vies"
    country_code = factory.SelfAttribute("check_run.counterparty.country_code")
    status = CheckStatus.VALID
    registered_name = "Supplier B.V."
    raw_response = "<env:Envelope/>"


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    check_run = factory.SubFactory(VerificationCheckFactory)
    counterparty = factory.SelfAttribute("check_run.counterparty")
    workspace = factory.SelfAttribute("check_run.workspace")
    kind = AlertKind.VALIDITY_LOST
    severity = Severity.CRITICAL
    before = "valid"
    after = "invalid"


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    workspace = factory.SubFactory(WorkspaceFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
