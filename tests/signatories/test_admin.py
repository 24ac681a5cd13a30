"""The moderation queue, bulk decisions with an audit trail, contacts behind a permission."""

import pytest
from django.db import connection
from django.urls import reverse

from signatories.models import ModerationAction, ModerationEntry, Signatory
from tests.factories import LetterFactory, SignatoryFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:signatories_signatory_changelist")


def names(response):
    return sorted(o.name for o in response.context["cl"].result_list)


@pytest.fixture
def queue(letter):
    return {
        "awaiting": SignatoryFactory(letter=letter, name="Awaiting One", status="pending"),
        "approved": SignatoryFactory(letter=letter, name="Approved One"),
        "rejected": SignatoryFactory(letter=letter, name="Rejected One", status="rejected"),
        "unconfirmed": SignatoryFactory(
            letter=letter, name="Unconfirmed One", status="pending", confirmed_at=None
        ),
        "withdrawn": SignatoryFactory(
            letter=letter, name="Withdrawn One", status="pending", withdrawn_at="2026-01-01T00:00Z"
        ),
    }


def test_the_changelist_opens_on_confirmed_signatures_awaiting_a_decision(admin_client, queue):
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert names(response) == ["Awaiting One"]
    assert "Awaiting a decision" in response.content.decode()


@pytest.mark.parametrize(
    ("queue_filter", "expected"),
    [
        ("approved", ["Approved One"]),
        ("rejected", ["Rejected One"]),
        ("unconfirmed", ["Unconfirmed One"]),
        ("withdrawn", ["Withdrawn One"]),
        (
            "all",
            ["Approved One", "Awaiting One", "Rejected One", "Unconfirmed One", "Withdrawn One"],
        ),
    ],
)
def test_queue_filter_choices(admin_client, queue, queue_filter, expected):
    assert names(admin_client.get(CHANGELIST, {"queue": queue_filter})) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind__exact": "organisation"}, ["Zebra Branch"]),
        ({"source__exact": "paper"}, ["Zebra Branch"]),
        ({"confirmed": "no"}, ["Unconfirmed One"]),
        ({"status__exact": "rejected"}, ["Rejected One"]),
    ],
)
def test_other_filters(admin_client, queue, letter, params, expected):
    SignatoryFactory(letter=letter, name="Zebra Branch", kind="organisation", source="paper")
    other = LetterFactory()
    SignatoryFactory(letter=other, name="Elsewhere")
    assert names(admin_client.get(CHANGELIST, {"queue": "all", **params})) == expected
    by_letter = admin_client.get(CHANGELIST, {"queue": "all", "letter__id__exact": other.pk})
    assert names(by_letter) == ["Elsewhere"]


def act(client, action, signatories, **filters):
    return client.post(
        CHANGELIST + ("?" + "&".join(f"{k}={v}" for k, v in filters.items()) if filters else ""),
        {"action": action, "_selected_action": [s.pk for s in signatories]},
        follow=True,
    )


def test_approve_reject_restore_write_audit_records(moderator_client, queue, letter):
    awaiting, rejected = queue["awaiting"], queue["rejected"]

    response = act(moderator_client, "approve", [awaiting, rejected], queue="all")

    assert "Approved: 2 signatures." in response.content.decode()
    assert Signatory.objects.get(pk=awaiting.pk).status == "approved"
    action = ModerationAction.objects.get()
    assert (action.decision, action.count, action.moderator) == (
        "approve",
        2,
        moderator_client.user,
    )
    assert {(e.signatory_id, e.from_status) for e in action.entries.all()} == {
        (awaiting.pk, "pending"),
        (rejected.pk, "rejected"),
    }
    assert set(letter.signatories.published()) >= {awaiting, rejected}

    act(moderator_client, "reject", [awaiting], queue="all")
    assert Signatory.objects.get(pk=awaiting.pk).status == "rejected"
    assert awaiting not in letter.signatories.published()

    act(moderator_client, "restore", [awaiting], queue="all")
    assert Signatory.objects.get(pk=awaiting.pk).status == "pending"
    assert ModerationEntry.objects.filter(signatory=awaiting).count() == 3

    change = moderator_client.get(reverse("admin:signatories_signatory_change", args=[awaiting.pk]))
    history = change.content.decode()
    restored = history.index("Restored to the queue by moderators")
    rejected = history.index("Rejected by moderators")
    approved = history.index("Approved by moderators")
    assert restored < rejected < approved  # newest first
    assert history.index("(was rejected)") > restored
    assert "(was awaiting a decision)" in history[approved:]


def test_a_decision_that_changes_nothing_says_so(admin_client, queue):
    response = act(admin_client, "approve", [queue["approved"]], queue="all")
    assert "Approved: 0 signatures." in response.content.decode()
    assert ModerationAction.objects.get().count == 0


def test_rejected_and_withdrawn_never_reach_the_public_page_or_delivery(client, queue, letter):
    html = client.get(letter.get_absolute_url()).content.decode()
    delivered = set(letter.signatories.for_delivery().values_list("name", flat=True))
    for key in ["rejected", "withdrawn", "unconfirmed", "awaiting"]:
        assert queue[key].name not in html
        assert queue[key].name not in delivered
    assert delivered == {"Approved One"}


def test_bulk_decisions_take_the_same_queries_for_5_or_500_rows(
    admin_user, letter, django_assert_num_queries
):
    from signatories.services.moderation import signatories_decide

    def batch(n, tag):
        Signatory.objects.bulk_create(
            SignatoryFactory.build(
                letter=letter, status="pending", paper_sheet=tag, email=f"{tag}{i}@example.net"
            )
            for i in range(n)
        )
        return Signatory.objects.filter(paper_sheet=tag)

    small = batch(5, "small")
    # A batch's lock, audit entries and update: three statements, or one on PostgreSQL.
    expected = 7 if connection.vendor == "postgresql" else 9
    with django_assert_num_queries(expected) as captured:
        signatories_decide(queryset=small, decision="approve", moderator=admin_user)
    large = batch(500, "large")
    with django_assert_num_queries(len(captured.captured_queries)):
        action = signatories_decide(queryset=large, decision="approve", moderator=admin_user)
    assert action.count == 500
    assert Signatory.objects.filter(status="approved").count() == 505
    entries = ModerationEntry.objects.filter(action=action)
    assert entries.count() == 500
    assert set(entries.values_list("from_status", flat=True)) == {"pending"}
    assert set(entries.values_list("signatory_id", flat=True)) == set(
        large.values_list("pk", flat=True)
    )


def test_sort_name_and_kind_are_editable_in_the_list(admin_client, queue):
    awaiting = queue["awaiting"]
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(awaiting.pk),
        "form-0-kind": "organisation",
        "form-0-sort_name": "Zzz, Last",
        "_save": "Save",
    }
    response = admin_client.post(CHANGELIST, data)
    assert response.status_code == 302
    awaiting.refresh_from_db()
    assert (awaiting.kind, awaiting.sort_name) == ("organisation", "Zzz, Last")
    assert awaiting.sort_key.startswith("00125")  # "z" carries weight 125


def test_editing_a_name_rederives_its_sort_name(admin_client, letter):
    signatory = SignatoryFactory(letter=letter, name="Typo Name")
    url = reverse("admin:signatories_signatory_change", args=[signatory.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "letter"}
    data.update(name="Dr Maria la Falce", sort_name=signatory.sort_name, kind="individual")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    signatory.refresh_from_db()
    assert signatory.sort_name == "la Falce, Maria"


def test_organisers_add_a_name_approved_at_once(admin_client, letter):
    response = admin_client.post(
        reverse("admin:signatories_signatory_add"),
        {
            "letter": letter.pk,
            "kind": "individual",
            "name": "Ian Lavery MP",
            "affiliation": "Labour",
            "sort_name": "",
            "email": "",
            "status": "approved",
            "paper_sheet": "",
            "display": "full",
        },
    )
    assert response.status_code == 302
    signatory = Signatory.objects.get()
    assert (signatory.source, signatory.sort_name) == ("organiser", "Lavery, Ian")
    assert signatory in letter.signatories.published()


def test_adding_an_address_that_already_signed_is_a_form_error(admin_client, letter):
    SignatoryFactory(letter=letter, email="ada@example.net")
    response = admin_client.post(
        reverse("admin:signatories_signatory_add"),
        {
            "letter": letter.pk,
            "kind": "individual",
            "name": "Ada",
            "email": "ADA@example.net",
            "status": "approved",
            "sort_name": "",
            "affiliation": "",
            "paper_sheet": "",
            "display": "full",
        },
    )
    assert response.status_code == 200
    assert "This e-mail address has already signed this letter." in response.content.decode()
    assert Signatory.objects.count() == 1


class TestContactDetails:
    """A moderator sees no e-mail address anywhere in the admin; an organiser does."""

    EMAIL = "secret.signer@example.net"

    @pytest.fixture
    def signed(self, letter):
        return SignatoryFactory(letter=letter, email=self.EMAIL, status="pending")

    def pages(self, client, signed):
        urls = [
            CHANGELIST,
            CHANGELIST + "?queue=all",
            CHANGELIST + "?q=secret.signer",
            reverse("admin:signatories_signatory_change", args=[signed.pk]),
            reverse("admin:signatories_moderationaction_changelist"),
            reverse("admin:letters_letter_change", args=[signed.letter_id]),
            reverse("admin:index"),
        ]
        return {url: client.get(url) for url in urls}

    def test_moderator_sees_no_email_but_can_decide(self, moderator_client, signed):
        for url, response in self.pages(moderator_client, signed).items():
            assert response.status_code in {200, 403}, url
            assert self.EMAIL not in response.content.decode(), url
            assert "secret.signer" not in response.content.decode().replace(
                "q=secret.signer", ""
            ).replace('value="secret.signer"', ""), url
        searched = moderator_client.get(CHANGELIST, {"q": "secret.signer", "queue": "all"})
        assert names(searched) == []
        act(moderator_client, "approve", [signed])
        assert Signatory.objects.get().status == "approved"

    def test_moderator_cannot_type_in_paper_forms(self, moderator_client, signed):
        url = reverse("admin:letters_letter_paper", args=[signed.letter_id])
        assert moderator_client.get(url).status_code == 403

    def test_organiser_sees_and_searches_emails(self, organiser_client, signed):
        changelist = organiser_client.get(CHANGELIST)
        assert self.EMAIL in changelist.content.decode()
        # Found by the whole address, in any case (by its keyed hash), not by a part of it.
        searched = organiser_client.get(CHANGELIST, {"q": " Secret.Signer@Example.NET "})
        assert names(searched) == [signed.name]
        assert names(organiser_client.get(CHANGELIST, {"q": "secret.signer"})) == []
        change = organiser_client.get(
            reverse("admin:signatories_signatory_change", args=[signed.pk])
        )
        assert self.EMAIL in change.content.decode()


def test_changelist_queries_do_not_grow_with_rows(
    admin_client, letter, django_assert_num_queries, django_assert_max_num_queries
):
    def fill(n, tag):
        Signatory.objects.bulk_create(
            SignatoryFactory.build(letter=letter, status="pending", email=f"{tag}{i}@example.net")
            for i in range(n)
        )

    fill(20, "a")
    admin_client.get(CHANGELIST)  # the session's once-a-minute "last seen" write (teams/)
    with django_assert_max_num_queries(10) as small:
        response = admin_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 20
    fill(1980, "b")
    with django_assert_num_queries(len(small.captured_queries)):
        response = admin_client.get(CHANGELIST)
    assert response.context["cl"].result_count == 2000


def test_the_queue_is_titled_as_the_work_it_shows(admin_client, queue):
    url = reverse("admin:signatories_signatory_changelist")
    assert admin_client.get(url).context["title"] == "Moderation queue: awaiting a decision"
    rejected = admin_client.get(url, {"queue": "rejected"})
    assert rejected.context["title"] == "Rejected signatures"
    assert "Select signatory to change" not in admin_client.get(url).content.decode()


def test_a_search_looks_across_every_status_and_says_so(admin_client, queue):
    url = reverse("admin:signatories_signatory_changelist")
    found = admin_client.get(url, {"q": "One"})
    assert names(found) == sorted(s.name for s in queue.values())
    assert found.context["title"] == "Search results in all signatures"
    assert "Searching all signatures, whatever their status" in found.content.decode()
    within = admin_client.get(url, {"q": "One", "queue": "rejected"})
    assert names(within) == ["Rejected One"]
    html = within.content.decode()
    assert "Searching only among “rejected signatures”" in html
    assert 'href="?q=One">Search all signatures</a>' in html


def test_editable_cells_are_named_for_screen_readers(admin_client, queue):
    html = admin_client.get(reverse("admin:signatories_signatory_changelist")).content.decode()
    assert 'aria-label="Kind of Awaiting One"' in html
    assert 'aria-label="Sort name of Awaiting One"' in html


def test_the_source_is_a_flag_when_it_is_not_the_web(admin_client, letter):
    SignatoryFactory(letter=letter, name="From Paper", source="paper", email="", status="pending")
    html = admin_client.get(
        reverse("admin:signatories_signatory_changelist"), {"queue": "all"}
    ).content.decode()
    assert '<td class="field-flags">Paper form</td>' in html


def test_an_empty_queue_says_nothing_is_waiting(admin_client, letter):
    SignatoryFactory(letter=letter)  # approved: nothing to decide
    response = admin_client.get(reverse("admin:signatories_signatory_changelist"))
    html = response.content.decode()
    assert "Nothing is waiting for a decision." in html
    assert '<a href="?queue=all">see every signature</a>' in html
    # The decisions come first in the action list; deleting last.
    actions = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert actions[1:4] == ["approve", "reject", "restore"]
    assert actions[-1] == "delete_selected"


def _change_form_data(client, signatory):
    """The signature's change form as the page fills it in."""
    import re

    html = client.get(reverse("admin:signatories_signatory_change", args=[signatory.pk]))
    html = html.content.decode()
    data = {}
    for name, value in re.findall(
        r'<input type="(?:text|hidden)" name="([^"]+)" value="([^"]*)"', html
    ):
        data[name] = value
    for name in re.findall(r'<input type="checkbox" name="([^"]+)"[^>]*checked', html):
        data[name] = "on"
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = chosen.group(1) if chosen else ""
    return data


def test_a_status_chosen_on_a_signatures_page_is_an_audited_decision(moderator_client, letter):
    signer = SignatoryFactory(letter=letter, status=Signatory.Status.APPROVED)
    data = {**_change_form_data(moderator_client, signer), "status": "rejected"}
    response = moderator_client.post(
        reverse("admin:signatories_signatory_change", args=[signer.pk]), data
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Signatory.objects.get(pk=signer.pk).status == Signatory.Status.REJECTED
    [action] = ModerationAction.objects.all()
    assert (action.decision, action.count, action.moderator) == (
        "reject",
        1,
        moderator_client.user,
    )
    assert ModerationEntry.objects.get().from_status == "approved"
    page = moderator_client.get(reverse("admin:signatories_signatory_change", args=[signer.pk]))
    assert "Rejected" in page.content.decode().split("moderation history")[-1]


def test_a_moderator_cannot_change_the_signers_own_choices(moderator_client, letter):
    signer = SignatoryFactory(letter=letter, consents_to_updates=False, display="full")
    data = {
        **_change_form_data(moderator_client, signer),
        "consents_to_updates": "on",
        "display": "hidden",
    }
    moderator_client.post(reverse("admin:signatories_signatory_change", args=[signer.pk]), data)
    stored = Signatory.objects.get(pk=signer.pk)
    assert stored.consents_to_updates is False and stored.display == "full"


def test_a_list_longer_than_the_cap_is_counted_only_that_far_and_says_so(
    admin_client, letter, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from config.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "COUNT_CAP", 3)
    SignatoryFactory.create_batch(5, letter=letter, status="pending")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST)
    html = response.content.decode()
    assert len(response.context["cl"].result_list) == 5
    assert "More than 3 signatures" in html
    assert "Select all matching signatures (more than 3)" in html
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert counts and all("LIMIT 4" in sql for sql in counts)  # never a COUNT of everything

    SignatoryFactory.create_batch(1, letter=letter, status="pending", name="Only Me")
    found = admin_client.get(CHANGELIST, {"q": "Only Me"}).content.decode()
    assert "1 result" in found and "more than" not in found


def test_select_all_past_the_cap_decides_every_matching_signature(
    admin_client, letter, monkeypatch
):
    from config.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "COUNT_CAP", 3)
    SignatoryFactory.create_batch(6, letter=letter, status="pending")
    response = admin_client.post(
        CHANGELIST,
        {"action": "approve", "select_across": "1", "index": "0", "_selected_action": ["0"]},
        follow=True,
    )
    assert "Approved: 6 signatures." in response.content.decode()
    assert Signatory.objects.filter(status="approved").count() == 6


def test_a_team_members_queue_is_counted_without_joining_the_letters(moderator_client, letter):
    """By the team's letter ids: joined to the letters, PostgreSQL AND-ed a bitmap of every
    row of a six-million-name letter to count the unconfirmed (bench/scale.py)."""
    from django.test.utils import CaptureQueriesContext

    SignatoryFactory.create_batch(2, letter=letter, confirmed_at=None)  # (walls: tests/teams)
    with CaptureQueriesContext(connection) as captured:
        response = moderator_client.get(
            reverse("admin:signatories_signatory_changelist"), {"queue": "unconfirmed"}
        )
    assert response.context["cl"].result_count == 2
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
    assert counts and all('JOIN "letters_letter"' not in sql for sql in counts), counts


def test_the_letter_column_shows_only_when_the_list_holds_more_than_one_letter(admin_client):
    first = SignatoryFactory(status="pending").letter
    url = reverse("admin:signatories_signatory_changelist")
    assert "field-letter" not in admin_client.get(url, {"queue": "all"}).content.decode()
    SignatoryFactory(status="pending")  # a second letter
    html = admin_client.get(url, {"queue": "all"}).content.decode()
    assert f'class="field-letter nowrap">{first.title}</td>' in html
    one = admin_client.get(url, {"queue": "all", "letter__id__exact": first.pk})
    assert "field-letter" not in one.content.decode()


def _found(client, term):
    response = client.get(reverse("admin:signatories_signatory_changelist"), {"q": term})
    return {row.pk for row in response.context["cl"].result_list}


def test_each_word_of_a_search_is_found_in_the_name_or_the_affiliation(admin_client, letter):
    zhanat = SignatoryFactory(letter=letter, name="Жанат Қанатов", affiliation="КТР Казахстана")
    other = SignatoryFactory(letter=letter, name="Жанат Серіков", affiliation="Unite")
    ada = SignatoryFactory(letter=letter, name="Ada Lovelace", affiliation="member of Unite")

    assert _found(admin_client, "Жанат") == {zhanat.pk, other.pk}
    assert _found(admin_client, "LOVELACE unite") == {ada.pk}  # in any case
    assert _found(admin_client, "Жанат Қанатов") == {zhanat.pk}
    assert _found(admin_client, "Жанат КТР") == {zhanat.pk}  # one word in each field
    assert _found(admin_client, "Жанат Lovelace") == set()
    assert _found(admin_client, '"Қанатов КТР"') == set()  # a quoted phrase spans no fields
    assert _found(admin_client, '"Жанат Қанатов"') == {zhanat.pk}


@pytest.mark.postgres
def test_a_search_of_two_words_is_read_off_one_trigram_index(letter):
    if connection.vendor != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's")
    SignatoryFactory.create_batch(3, letter=letter)
    queryset = Signatory.objects.matching_words(["Жанат", "Қанатов"]).order_by().values("pk")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A table of three rows: make the planner show whether the index can serve at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "signatory_search_trgm_idx" in plan
    assert "BitmapAnd" not in plan  # both words in one index scan
    # Samples enough for the planner to tell a common surname from a rare one.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'signatory_search_trgm_idx'::regclass AND attnum = 1"
        )
        assert cursor.fetchone()[0] == 1000


@pytest.mark.parametrize(
    "term", ["\x00", "a\x00b c", "%", "_", "\\", "'", '"', "x" * 10_000, "\u202e"]
)
def test_any_search_is_a_page_not_a_500(admin_client, letter, term):
    SignatoryFactory(letter=letter, name="Ada Lovelace")
    url = reverse("admin:signatories_signatory_changelist")
    assert admin_client.get(url, {"q": term}).status_code == 200
