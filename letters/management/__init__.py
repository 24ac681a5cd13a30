from django.core.management.base import CommandError

from letters.models import Letter


def letter_for_command(slug):
    """The letter a command names by slug, or an error a person can act on."""
    letter = Letter.objects.select_related("campaign", "hand_in_event").filter(slug=slug).first()
    if letter is None:
        raise CommandError(f"No letter with the slug “{slug}”.")
    return letter
