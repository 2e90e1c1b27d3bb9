"""{% load languages %} {{ "DE"|country_name }}: a member state's name in the reader's language."""

from django import template

from ..countries import country_name as _country_name

register = template.Library()


@register.filter
def country_name(code: str | None) -> str:
    return _country_name(code)
