from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms

from signatories.models import Signatory
from signatories.names import clean_text, has_control_characters, has_letter_or_digit


class CleanTextField(forms.CharField):
    """Text as people type it, normalised; control characters refused with a message."""

    def to_python(self, value):
        # Bidi marks are dropped first: text copied from right-to-left apps carries them.
        value = clean_text(super().to_python(value))
        if has_control_characters(value):
            raise forms.ValidationError(
                "Please remove the invisible control characters from this field.",
                code="control_characters",
            )
        return value


class NameField(CleanTextField):
    def validate(self, value):
        super().validate(value)
        if value and not has_letter_or_digit(value):
            raise forms.ValidationError(
                "Please enter a name with at least one letter.", code="no_letters"
            )


class SignForm(forms.Form):
    name = NameField(
        label="Your name (or your organisation’s)",
        max_length=Signatory._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "name", "dir": "auto"}),
    )
    affiliation = CleanTextField(
        label="Organisation or title, if any",
        required=False,
        max_length=Signatory._meta.get_field("affiliation").max_length,
        help_text='Printed after your name, e.g. "member of Unite, personal capacity".',
        widget=forms.TextInput(attrs={"autocomplete": "organization-title", "dir": "auto"}),
    )
    email = forms.EmailField(
        label="E-mail",
        max_length=Signatory._meta.get_field("email").max_length,
        help_text="For us to contact you and to confirm your signature. Never published.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    kind = forms.TypedChoiceField(
        label="I am signing",
        choices=[
            (Signatory.Kind.INDIVIDUAL, "as an individual"),
            (Signatory.Kind.ORGANISATION, "on behalf of an organisation"),
        ],
        initial=Signatory.Kind.INDIVIDUAL,
        widget=forms.RadioSelect,
    )
    consents_to_updates = forms.BooleanField(
        label="Send me occasional updates about this campaign",
        required=False,
    )

    def __init__(self, *args, action=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.layout = Layout(
            Field("name"),
            Field("affiliation"),
            Field("email"),
            Field("kind"),
            Field("consents_to_updates"),
            Submit("sign", "Sign the letter", css_class="btn-lg w-100"),
        )
