import pytest

from letters.models import Letter, LetterStatusChange
from letters.services.lifecycle import TransitionNotAllowed, letter_transition
from tests.factories import LetterFactory

pytestmark = pytest.mark.django_db


def test_the_full_lifecycle_is_recorded(admin_user):
    letter = LetterFactory(status="draft")
    for status in ["open", "closed", "open", "closed", "delivered"]:
        letter_transition(letter=letter, to_status=status, changed_by=admin_user)

    letter.refresh_from_db()
    assert letter.status == Letter.Status.DELIVERED
    assert letter.status_changed_at is not None
    steps = LetterStatusChange.objects.order_by("changed_at", "pk")
    assert [(s.from_status, s.to_status) for s in steps] == [
        ("draft", "open"),
        ("open", "closed"),
        ("closed", "open"),
        ("open", "closed"),
        ("closed", "delivered"),
    ]
    assert {s.changed_by for s in steps} == {admin_user}


@pytest.mark.parametrize(
    ("start", "to", "says"),
    [
        ("open", "delivered", "Close the letter"),
        ("draft", "closed", "never been open"),
        ("delivered", "open", "cannot become"),
        ("open", "open", "cannot become"),
    ],
)
def test_refused_transitions_explain_and_change_nothing(start, to, says):
    letter = LetterFactory(status=start)
    with pytest.raises(TransitionNotAllowed, match=says):
        letter_transition(letter=letter, to_status=to)
    letter.refresh_from_db()
    assert letter.status == start
    assert not LetterStatusChange.objects.exists()
