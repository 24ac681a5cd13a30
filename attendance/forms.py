from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from attendance.models import MAX_PEOPLE, SignUp
from signatories.abuse import form_stamp, form_stamp_suspicion
from signatories.forms import CleanTextField, EmailAddressField
from signatories.models import Signatory


class SignUpForm(forms.Form):
    name = CleanTextField(
        label=_("Your name (optional)"),
        required=False,
        max_length=SignUp._meta.get_field("name").max_length,
        help_text=_("For the organisers only. Never shown to anyone else."),
        widget=forms.TextInput(attrs={"autocomplete": "name", "dir": "auto"}),
    )
    email = EmailAddressField(
        label=_("E-mail"),
        max_length=SignUp._meta.get_field("email").max_length,
        help_text=_("To confirm, and for a reminder the day before. Never published."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    people = forms.IntegerField(
        label=_("How many people are coming, you included?"),
        min_value=1,
        max_value=MAX_PEOPLE,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    # Bots fill in every field; people never see this one.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    rendered = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, action=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        if not self.is_bound:
            self.initial["rendered"] = form_stamp()

    def looks_like_a_bot(self):
        """A filled honeypot, or no form of ours: stored, never mailed (checked after is_valid)."""
        if self.cleaned_data.get("website"):
            return True
        return form_stamp_suspicion(self.cleaned_data.get("rendered")) == (
            Signatory.Suspicion.NO_FORM
        )

    def too_fast(self):
        return form_stamp_suspicion(self.cleaned_data.get("rendered")) == (
            Signatory.Suspicion.TOO_FAST
        )

    @cached_property
    def helper(self):
        helper = FormHelper()
        helper.form_action = self.action
        helper.layout = Layout(
            Field("name"),
            Field("email"),
            Field("people"),
            Div(Field("website"), css_class="visually-hidden", aria_hidden="true"),
            Field("rendered"),
            Submit("sign_up", _("I’ll be there"), css_class="btn-lg w-100"),
        )
        return helper
