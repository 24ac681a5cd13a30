"""Template filters for a letter as a supporter reads it."""

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def local_title(letter):
    """`{{ letter|local_title }}`: the title in the page's (or the mail's) language."""
    return letter.title_in(get_language())


@register.filter
def local_version(letter):
    """`{{ letter|local_version }}`: the text a reader of this page's language reads."""
    return letter.version_in(get_language())
