from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.core.validators import validate_email
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from signatories.abuse import form_stamp, form_stamp_suspicion
from signatories.models import Signatory
from signatories.names import (
    clean_text,
    domain_is_encodable,
    has_control_characters,
    has_email_address,
    has_letter_or_digit,
)


class CleanTextField(forms.CharField):
    """Text that is published, as people type it, normalised.

    Control characters are refused with a message, and so is an e-mail
    address: a flustered signer who types theirs here would see it printed
    on the public letter and the PDF.
    """

    def to_python(self, value):
        # Bidi marks are dropped first: text copied from right-to-left apps carries them.
        value = clean_text(super().to_python(value))
        if has_control_characters(value):
            raise forms.ValidationError(
                _("Please remove the invisible control characters from this field."),
                code="control_characters",
            )
        return value

    def validate(self, value):
        super().validate(value)
        if value and has_email_address(value):
            raise forms.ValidationError(
                _(
                    "This looks like an e-mail address, and what you type here is published. "
                    "Please put your address in the E-mail box only."
                ),
                code="email_in_published_text",
            )


class EmailAddressField(forms.EmailField):
    """An address that mail can really be sent to: no invisible characters, a DNS-able domain."""

    def to_python(self, value):
        value = super().to_python(value)
        if value and (has_control_characters(value) or not domain_is_encodable(value)):
            raise forms.ValidationError(validate_email.message, code="invalid")
        return value


class NameField(CleanTextField):
    def validate(self, value):
        super().validate(value)
        if value and not has_letter_or_digit(value):
            raise forms.ValidationError(
                _("Please enter a name with at least one letter."), code="no_letters"
            )


def sign_action(slug):
    """Where the form posts: a rejected form comes back opened at its error summary."""
    return reverse("letters:sign", kwargs={"slug": slug}) + "#form-errors"


class SignForm(forms.Form):
    name = NameField(
        label=_("Your name (or your organisation’s)"),
        max_length=Signatory._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "name", "dir": "auto"}),
    )
    affiliation = CleanTextField(
        label=_("Organisation or title, if any"),
        required=False,
        max_length=Signatory._meta.get_field("affiliation").max_length,
        help_text=_('Printed after your name, e.g. "member of Unite, personal capacity".'),
        widget=forms.TextInput(attrs={"autocomplete": "organization-title", "dir": "auto"}),
    )
    email = EmailAddressField(
        label=_("E-mail"),
        max_length=Signatory._meta.get_field("email").max_length,
        help_text=_("For us to contact you and to confirm your signature. Never published."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    kind = forms.TypedChoiceField(
        label=_("I am signing"),
        choices=[
            (Signatory.Kind.INDIVIDUAL, _("as an individual")),
            (Signatory.Kind.ORGANISATION, _("on behalf of an organisation")),
        ],
        initial=Signatory.Kind.INDIVIDUAL,
        widget=forms.RadioSelect,
    )
    display = forms.TypedChoiceField(
        label=_("On the published list"),
        choices=Signatory.Display.choices,
        initial=Signatory.Display.FULL,
        widget=forms.RadioSelect,
        help_text=_("Signing for an organisation? “Name only” lists it without a contact person."),
    )
    consents_to_updates = forms.BooleanField(
        label=_("Send me occasional updates about this campaign"),
        required=False,
    )
    # Bots fill in every field; people never see this one.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    rendered = forms.CharField(required=False, widget=forms.HiddenInput)

    def suspicion(self):
        """Why this looks like a bot, if it does (checked after is_valid)."""
        if self.cleaned_data.get("website"):
            return Signatory.Suspicion.HONEYPOT
        return form_stamp_suspicion(self.cleaned_data.get("rendered"))

    def signature_fields(self):
        return {k: v for k, v in self.cleaned_data.items() if k not in {"website", "rendered"}}

    def __init__(self, *args, action=None, stamp=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        if not self.is_bound:
            # The letter page's cache passes a placeholder and fills in a stamp per reader.
            self.initial["rendered"] = stamp or form_stamp()

    @cached_property
    def helper(self):
        """Built when the form is rendered: an accepted signature never needs it."""
        helper = FormHelper()
        helper.form_action = self.action
        helper.layout = Layout(
            Field("name"),
            Field("affiliation"),
            Field("email"),
            Field("kind"),
            Field("display"),
            Field("consents_to_updates"),
            Div(Field("website"), css_class="visually-hidden", aria_hidden="true"),
            Field("rendered"),
            Submit("sign", _("Sign the letter"), css_class="btn-lg w-100"),
        )
        return helper
