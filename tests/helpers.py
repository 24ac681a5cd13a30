import re

from django.urls import reverse


def sign_data(**overrides):
    data = {
        "name": "Ada Lovelace",
        "affiliation": "member of Unite, personal capacity",
        "email": "ada@example.net",
        "kind": "individual",
    }
    data.update(overrides)
    return data


def sign_url(letter):
    return reverse("letters:sign", kwargs={"slug": letter.slug})


def link_path(mail, kind):
    """The path of the confirm or withdraw link in a mail."""
    return re.search(rf"http://[^/\s]+(/s/{kind}/\S+/)", mail.body).group(1)
