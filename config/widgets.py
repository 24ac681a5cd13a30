"""Form widgets that write their HTML directly, for lists that draw hundreds of them.

Django renders each widget through the template engine (about half a
millisecond each); the moderation queue draws a kind, a sort name and a
hidden id on each of its hundred rows, which was most of its page's time.
These write the same elements as Django's templates (the tests compare
them), from the same context Django builds.
"""

from django import forms
from django.utils.html import format_html, format_html_join


def _attrs(attrs):
    """Attributes in their own order, as django/forms/widgets/attrs.html writes them."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False and value is not None
        ),
    )


def _input(widget, name, value, attrs):
    context = widget.get_context(name, value, attrs)["widget"]
    value = context["value"]
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        context["type"],
        context["name"],
        format_html(' value="{}"', value) if value is not None else "",
        _attrs(context["attrs"]),
    )


class QuickTextInput(forms.TextInput):
    def render(self, name, value, attrs=None, renderer=None):
        return _input(self, name, value, attrs)


class QuickHiddenInput(forms.HiddenInput):
    def render(self, name, value, attrs=None, renderer=None):
        return _input(self, name, value, attrs)


class QuickSelect(forms.Select):
    """A select of a few plain options (no groups), as Django's template writes it."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)["widget"]
        options = [option for _, group, _ in context["optgroups"] for option in group]
        return format_html(
            '<select name="{}"{}>{}</select>',
            context["name"],
            _attrs(context["attrs"]),
            format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((o["value"], " selected" if o["selected"] else "", o["label"]) for o in options),
            ),
        )
