from django.tasks import task

from letters.models import Letter
from letters.services import letter_anonymise


@task()
def anonymise_letter_task(letter_id):
    """Scheduled at delivery, to run ANONYMISE_AFTER_DELIVERY_DAYS later."""
    letter = Letter.objects.filter(pk=letter_id).first()
    if letter is not None:
        letter_anonymise(letter=letter)
