"""The checks on input from outside: ids, storable text, JSON bodies (crm/untrusted.py)."""

from __future__ import annotations

import json

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st

from crm.untrusted import (
    MAX_ID,
    MAX_JSON_DEPTH,
    StorableInputMixin,
    UnacceptableJSON,
    is_storable_text,
    local_next,
    object_id,
    parse_json,
)


@given(st.text())
def test_an_id_is_ascii_digits_in_range_or_nothing(text):
    number = object_id(text)
    if number is not None:
        assert text.isascii() and text.isdigit() and int(text) == number and 0 < number <= MAX_ID


@given(st.integers(1, MAX_ID))
def test_every_id_in_range_is_read_back(number):
    assert object_id(str(number)) == number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7),
        ("007", 7),
        (str(MAX_ID), MAX_ID),
        ("0" * 1000 + "5", 5),
        ("0", None),
        ("", None),
        (str(MAX_ID + 1), None),
        ("9" * 10_000, None),  # longer than int() converts by default: refused before it is tried
        ("²", None),  # isdigit(), but int() refuses it
        ("٣", None),  # int() takes it as 3, but no link of ours writes it
        ("\uff11", None),
        (" 1", None),
        ("-1", None),
        ("1e3", None),
        (None, None),
        (["1"], None),
    ],
)
def test_object_id(value, expected):
    assert object_id(value) == expected


@pytest.mark.parametrize("text", ["a\x00b", "\ud800", "x\udfff", "\udc00\ud800"])
def test_nul_and_lone_surrogates_cannot_be_stored(text):
    assert not is_storable_text(text)


@pytest.mark.parametrize("text", ["", "Müller GmbH", "😀", "²", "\ufffd", "Straße 1\nWien"])
def test_other_text_can_be_stored(text):
    assert is_storable_text(text)


def _nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def test_json_nesting_is_bounded():
    assert parse_json(_nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(UnacceptableJSON, match="deeper"):
        parse_json(_nested(MAX_JSON_DEPTH + 1))
    with pytest.raises(UnacceptableJSON, match="deeper"):
        parse_json(_nested(100_000), max_bytes=1_000_000)  # beyond the parser's own recursion limit


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b"NaN-ish", b"1" * 5000])
def test_what_is_not_json_is_refused(body):
    with pytest.raises(UnacceptableJSON, match="not valid JSON"):
        parse_json(body)


def test_json_size_is_bounded():
    body = json.dumps({"name": "x" * 100}).encode()
    assert parse_json(body, max_bytes=len(body)) == {"name": "x" * 100}
    with pytest.raises(UnacceptableJSON, match="larger"):
        parse_json(body, max_bytes=len(body) - 1)


class _Form(StorableInputMixin, forms.Form):
    name = forms.CharField(required=False)
    tags = forms.MultipleChoiceField(choices=[("a", "a"), ("b", "b")], required=False)
    agree = forms.BooleanField(required=False)


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"name": "\ud800"}, "name", "unstorable"),
        ({"name": ["x"]}, "name", "not_text"),  # one value expected: a list would be kept as "['x']"
        ({"name": {"a": 1}}, "name", "not_text"),
        ({"tags": ["a", "\ud800"]}, "tags", "invalid_choice"),  # the field's own error comes first
    ],
)
def test_the_mixin_refuses_what_cannot_be_stored(data, field, code):
    form = _Form(data)
    assert not form.is_valid()
    assert form.errors.get_json_data()[field][0]["code"] == code


@pytest.mark.parametrize("data", [{"name": "Müller", "tags": ["a", "b"], "agree": True}, {"name": 42}, {}])
def test_the_mixin_accepts_what_can(data):
    assert _Form(data).is_valid()


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        ("/crm/?page=2", "/crm/?page=2"),
        ("²", "/default/"),  # a bare word passes Django's host check, and redirect() would reverse it
        ("crm:counterparty_list", "/default/"),
        ("//evil.example/", "/default/"),
        ("https://evil.example/", "/default/"),
        ("/\x00", "/default/"),
        ("", "/default/"),
    ],
)
def test_only_a_path_of_ours_is_a_place_to_go_back_to(rf, posted, expected):
    assert local_next(rf.post("/", {"next": posted}), "/default/") == expected
    assert local_next(rf.get("/", {"next": posted}), "/default/") == expected
