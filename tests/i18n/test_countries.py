"""Member-state names come from CLDR in the reader's language, VAT prefixes included."""

import pytest
from django.template import Context, Template
from django.utils import translation

from accounts.countries import country_name


@pytest.mark.parametrize(
    ("code", "english", "russian"),
    [
        ("DE", "Germany", "Германия"),
        ("EL", "Greece", "Греция"),
        ("fr", "France", "Франция"),
        ("CHE", "Switzerland", "Швейцария"),
        ("NO", "Norway", "Норвегия"),
        ("XI", "Northern Ireland", "Северная Ирландия"),
        ("QQ", "QQ", "QQ"),
    ],
)
def test_country_names_in_both_languages(code, english, russian):
    with translation.override("en-gb"):
        assert country_name(code) == english
    with translation.override("ru"):
        assert country_name(code) == russian


def test_the_template_filter_uses_the_active_language():
    template = Template("{% load languages %}{{ code|country_name }}")
    with translation.override("ru"):
        assert template.render(Context({"code": "AT"})) == "Австрия"
