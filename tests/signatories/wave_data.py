"""A bot wave among real signatures, for the tests of the bot-wave page and for a look at it.

Real signers: everyday names (English, Russian, Kazakh), their own network
addresses and mail providers, one every few minutes over the last day.
The wave: machine-made names ("Kqzvb4821"), one network address, one
throwaway domain, 100 a minute an hour ago.
"""

import random
from datetime import timedelta

from django.utils import timezone

from signatories.abuse import hash_ip
from signatories.models import Signatory
from tests.factories import SignatoryFactory

FIRST = [
    "Mary",
    "John",
    "Aigerim",
    "Qanat",
    "Sarah",
    "David",
    "Олег",
    "Наталья",
    "Ерлан",
    "Fiona",
    "Patrick",
    "Gulnara",
    "Tom",
    "Helen",
    "Ахмет",
    "Rosa",
    "Kevin",
    "Asel",
]
LAST = [
    "Smith",
    "O'Brien",
    "Abilov",
    "Nurmagambetova",
    "Jones",
    "Taylor",
    "Иванов",
    "Смирнова",
    "Сейтқали",
    "Walsh",
    "Morgan",
    "Kenzhebayeva",
    "Clarke",
    "Evans",
    "Davies",
]
REAL_DOMAINS = [
    "gmail.com",
    "unite.org.uk",
    "rmt.org.uk",
    "outlook.com",
    "yandex.kz",
    "btinternet.com",
    "unison.co.uk",
    "mail.ru",
]
BOT_DOMAIN = "mailbox-now.xyz"
BOT_IP = "203.0.113.7"
CONSONANTS = "bcdfghjklmnpqrstvwxz"


def bot_name(rng):
    return (
        rng.choice(CONSONANTS).upper()
        + "".join(rng.choice(CONSONANTS) for _ in range(4))
        + str(rng.randrange(1000, 10000))
    )


def build_wave(letter, *, bots=500, real=500, seed=20):
    """Add `real` real signatures over the last 23 hours and `bots` bot ones an hour ago.

    Returns (real pks, bot pks).
    """
    rng = random.Random(seed)
    now = timezone.now()
    rows = []
    for i in range(real):
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}"
        rows.append(
            SignatoryFactory.build(
                letter=letter,
                name=name,
                email=f"real{seed}.{i}@{REAL_DOMAINS[i % len(REAL_DOMAINS)]}",
                ip_hash=hash_ip(f"10.{i // 250}.{i % 250}.1"),
                status=Signatory.Status.APPROVED if i % 4 else Signatory.Status.PENDING,
                created_at=now - timedelta(hours=23) + timedelta(seconds=i * 23 * 3600 // real),
            )
        )
    start = now - timedelta(hours=1)
    for i in range(bots):
        name = bot_name(rng)
        rows.append(
            SignatoryFactory.build(
                letter=letter,
                name=name,
                affiliation="",
                email=f"{name.lower()}{i}@{BOT_DOMAIN}",
                ip_hash=hash_ip(BOT_IP),
                status=Signatory.Status.PENDING,
                confirmed_at=now if i % 2 else None,
                created_at=start + timedelta(seconds=i * 60 // 100, microseconds=i),
            )
        )
    created = Signatory.objects.bulk_create(rows)
    return [s.pk for s in created[:real]], [s.pk for s in created[real:]]
