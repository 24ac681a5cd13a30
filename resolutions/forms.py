"""The public form: "our body passed the resolution"."""

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from resolutions.models import Level, PassedResolution
from signatories.forms import CleanTextField, EmailAddressField
from signatories.names import clean_text, has_control_characters, has_email_address

EARLIEST = datetime.date(1900, 1, 1)
MAX_TEXT = 20_000


class ResolutionTextField(forms.CharField):
    """The resolution as passed: paragraphs kept, each line cleaned as names are."""

    def to_python(self, value):
        value = super().to_python(value)
        lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        cleaned = [clean_text(line) for line in lines]
        if any(has_control_characters(line) for line in cleaned):
            raise forms.ValidationError(
                _("Please remove the invisible control characters from this field."),
                code="control_characters",
            )
        # Blank lines between paragraphs are kept, at most one in a row.
        text = "\n".join(cleaned)
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
        return text.strip()

    def validate(self, value):
        super().validate(value)
        if value and has_email_address(value.replace("\n", " ")):
            raise forms.ValidationError(
                _(
                    "This text is published and holds an e-mail address. Please take it out: "
                    "put your own address in the E-mail box only."
                ),
                code="email_in_published_text",
            )


class WebLinkField(forms.URLField):
    """A link to the resolution: a web page, nothing else (no ftp:, javascript:, data:)."""

    default_validators = []

    def __init__(self, **kwargs):
        from django.core.validators import URLValidator

        super().__init__(**kwargs)
        self.validators.append(URLValidator(schemes=["http", "https"]))


class ReportForm(forms.Form):
    body = CleanTextField(
        label=_("The body that passed it"),
        max_length=PassedResolution._meta.get_field("body").max_length,
        help_text=_("E.g. “Central Line West branch”, “Sheffield Trades Council”."),
        widget=forms.TextInput(attrs={"dir": "auto", "autocomplete": "organization"}),
    )
    organisation = CleanTextField(
        label=_("Its union or organisation, if any"),
        required=False,
        max_length=PassedResolution._meta.get_field("organisation").max_length,
        help_text=_("E.g. “RMT”, “Unite”, “UCU”."),
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    # No kind chosen until the reporter chooses: a branch sent in a hurry as "national"
    # would be listed at the top of the campaign page.
    level = forms.ChoiceField(
        label=_("What kind of body is it?"), choices=[("", _("Choose…")), *Level.choices]
    )
    passed_on = forms.DateField(
        label=_("Date it was passed"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    url = WebLinkField(
        label=_("A link to the resolution or a report of the meeting, if there is one"),
        required=False,
        max_length=PassedResolution._meta.get_field("url").max_length,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )
    text = ResolutionTextField(
        label=_("The resolution as passed, if it differs from the model"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
    )
    email = EmailAddressField(
        label=_("Your e-mail"),
        max_length=254,
        help_text=_("We send you a link to confirm the report. Never published."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # Bots fill in every field; people never see this one.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, letter=None, action=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.letter = letter
        self.action = action
        if letter is not None:
            # The body's consent to be added to the open letter, asked here once.
            self.fields["sign_letter"] = forms.BooleanField(
                label=format_html(
                    "{} <q>{}</q>",
                    _("The body also signs the open letter"),
                    letter.title_in(get_language()),
                ),
                required=False,
                help_text=_(
                    "Only if the body agreed to. Its name is added once an organiser has "
                    "checked the report."
                ),
            )

    def clean_passed_on(self):
        value = self.cleaned_data["passed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("This date is still to come."), code="future")
        if value < EARLIEST:
            raise forms.ValidationError(_("Please check the year."), code="too_early")
        return value

    def is_bot(self):
        return bool(self.cleaned_data.get("website"))

    def report_fields(self):
        data = self.cleaned_data
        return {
            "body": data["body"],
            "organisation": data["organisation"],
            "level": data["level"],
            "passed_on": data["passed_on"],
            "url": data["url"],
            "text": data["text"],
            "sign_letter": self.letter if data.get("sign_letter") else None,
        }

    @cached_property
    def helper(self):
        helper = FormHelper()
        helper.form_action = self.action
        names = ["body", "organisation", "level", "passed_on", "url", "text", "email"]
        fields = [Field(name) for name in names]
        if self.letter is not None:
            fields.append(Field("sign_letter"))
        helper.layout = Layout(
            *fields,
            Div(Field("website"), css_class="visually-hidden", aria_hidden="true"),
            Submit("report", _("Send the report"), css_class="btn-lg w-100"),
        )
        return helper
