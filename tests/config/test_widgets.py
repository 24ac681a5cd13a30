"""The quick widgets write what Django's templates write for the same widget."""

import re

import pytest
from django import forms

from config.widgets import QuickHiddenInput, QuickSelect, QuickTextInput


def normalised(html):
    """Whitespace between elements aside (Django's templates put newlines there)."""
    return re.sub(r">\s+<", "><", " ".join(str(html).split()))


@pytest.mark.parametrize(
    ("quick", "django", "value", "attrs"),
    [
        (QuickTextInput, forms.TextInput, "la Falce, Maria", {"size": 18, "aria-label": "Sort"}),
        (QuickTextInput, forms.TextInput, None, {}),
        (QuickTextInput, forms.TextInput, '"><script>x</script>', {}),
        (QuickHiddenInput, forms.HiddenInput, 42, {}),
    ],
)
def test_inputs_are_written_as_django_writes_them(quick, django, value, attrs):
    assert normalised(quick(attrs=attrs).render("f", value, {"id": "id_f"})) == normalised(
        django(attrs=attrs).render("f", value, {"id": "id_f"})
    )


@pytest.mark.parametrize("value", ["individual", "organisation", None, "<b>"])
def test_a_select_is_written_as_django_writes_it(value):
    choices = [("individual", "Individual"), ("organisation", "Organisation & co")]
    attrs = {"aria-label": "Kind of Ада"}
    quick, django = QuickSelect(attrs=attrs), forms.Select(attrs=attrs)
    quick.choices = django.choices = choices
    assert normalised(quick.render("kind", value, {"id": "id_kind"})) == normalised(
        django.render("kind", value, {"id": "id_kind"})
    )
