"""Django's own words that reach signers, taken into our catalogue where Django's Kazakh lacks them.

Django's Kazakh catalogue has no "Enter a valid email address." and no
length message, and writes month names capitalised ("16 Желтоқсан 2013"),
which is wrong in running Kazakh text. Marking them here makes
`makemessages` keep them in locale/*/LC_MESSAGES/django.po, and our catalogue
is read before Django's (LOCALE_PATHS). Nothing imports this module.
"""

from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

MESSAGES = [
    gettext_noop("Enter a valid email address."),
    gettext_noop("This field is required."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
]

# The month in a date in running text ("j E Y"), as Django's date format asks for it.
MONTHS = [
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
]
