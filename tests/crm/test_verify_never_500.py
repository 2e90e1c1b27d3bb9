"""No text typed into /verify/ (form or JSON) makes the server fail."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.models import Counterparty

# Shapes close to VAT numbers reach deeper than random unicode: country codes, digits, separators.
vat_like = st.builds(
    lambda country, body: country + body,
    st.sampled_from(["DE", "de", "FR", "EL", "GR", "XI", "GB", "NL", "IT", "ES", "ATU", "", "XX", "ZZ"]),
    st.text(alphabet="0123456789 .-/ABCXYZabc", max_size=20),
)
any_text = st.text(max_size=80)
field_values = st.one_of(vat_like, any_text)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(vat_number=field_values, name=any_text, address=any_text, requester=field_values, as_json=st.booleans())
def test_no_input_gives_a_500(
    owner, registry_simulator_session, settings_override, vat_number, name, address, requester, as_json
):
    data = {
        "vat_number": vat_number,
        "name": name,
        "address": address,
        "requester_vat_number": requester,
        "requester_name": name,
    }
    headers = {"HTTP_ACCEPT": "application/json"} if as_json else {}
    response = owner.client.post(reverse("crm:verify"), data, **headers)
    assert response.status_code in {201, 302, 400}, response.content[:500]
    if response.status_code == 400 and as_json:
        assert response.json()["errors"]


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_no_json_body_gives_a_500(owner, registry_simulator_session, settings_override, body):
    response = owner.client.post(
        reverse("crm:verify"), body, content_type="application/json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code in {201, 400}


@pytest.fixture
def settings_override(settings, registry_simulator_session):
    settings.VIES_WSDL_URL = registry_simulator_session.wsdl_url
    settings.VIES_SERVICE_URL = registry_simulator_session.service_url
    yield
    assert Counterparty.objects.filter(vat_number="").count() == 0
