"""Signatures as a viral letter collects them, written into PostgreSQL with COPY.

Names in Latin, Russian and Kazakh letters (Қ Ө Ү Ұ Ғ Ң І Ә), with titles
and post-nominals now and then and the namesakes a big list has; a few per
cent organisations; every status, display choice and language; addresses
encrypted and hashed as the app stores them, so every measured path reads
what production would. Deterministic for a given start number.

Rows are made and written by worker processes, each with a COPY of its
own (two cores, two streams).
"""

import os
import random
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context


def _words(text, separator=" "):
    return [word.strip() for word in text.split(separator) if word.strip()]


FIRST = {
    "latin": _words(
        "Ada Alan Alice Amir Anna Ben Carla Chen Dan David Ella Emma Eve Fatima Finn Grace "
        "Hana Harry Ian Isla Jack James Jane Jo Joe John Kate Kofi Lara Leo Liam Lily Lucy Maria "
        "Mark Mary Max Mia Nadia Nina Noah Olga Omar Owen Paul Priya Rosa Ruth Sam Sara Sean Sofia "
        "Tom Una Vera Will Yusuf Zoe"
    ),
    "russian": _words(
        "Александр Алексей Анастасия Анна Андрей Вера Виктор Галина Дмитрий Евгения "
        "Елена Иван Ирина Кирилл Ксения Людмила Максим Мария Михаил Наталья Никита Ольга Павел "
        "Сергей Светлана Татьяна Юлия Юрий Ярослав"
    ),
    "kazakh": _words(
        "Айгерім Айдана Айжан Әсел Әлия Бақыт Ғалым Гүлнар Дәурен Ерлан Жанат Жұлдыз "
        "Қанат Қайрат Мұрат Нұрлан Өмірзақ Рауан Сәуле Серік Талғат Ұлан Үміт Іңкәр Шынар"
    ),
}
SURNAMES = {
    "latin": _words(
        "Abbott Ahmed Anderson Baker Bowring Brown Campbell Chen Clarke Davies Doyle Evans "
        "Fischer Garcia Green Hall Harris Hughes Jackson Jones Kaur Kelly Khan King la_Falce "
        "Lavery "
        "Lewis Martin Morgan Murphy Nguyen O'Brien Øberg Patel Roberts Robinson Rossi Scott Singh "
        "Smith Taylor Thomas Thompson van_der_Berg Walker Watson White Williams Wilson Wright "
        "Young"
    ),
    "russian": _words(
        "Иванов Смирнова Кузнецов Попова Васильев Петрова Соколов Михайлова Новиков "
        "Фёдорова Морозов Волкова Алексеев Лебедева Семёнов Егорова Павлов Козлова Степанов "
        "Николаева Орлов Андреева Макаров Захарова Зайцев"
    ),
    "kazakh": _words(
        "Әбілов Ахметова Байжанов Ғабдуллина Дәулетов Жанатова Жұмабаев Исаева Қанатов "
        "Қасымова Мырынбаев Нұрланова Оспанов Өтепова Сейітқали Сүлейменова Тоқаев Ұзақова "
        "Үсенов Шәріпова Ілиясов Ыбыраева"
    ),
}
TITLES = ["Dr ", "Prof ", "Cllr ", "Rev "]
POST_NOMINALS = [" MP", " OBE", " PhD"]
AFFILIATIONS = [
    "member of Unite, personal capacity",
    "member of Unison, personal capacity",
    "RMT member",
    "PCS member, personal capacity",
    "University of London",
    "Lecturer, UCU",
    "Қазақстан мұнайшылары кәсіподағы",
    "КТР Казахстана",
    "Солидарность",
    "",
]
ORGANISATIONS = [
    "RMT {} branch",
    "Unite {} branch",
    "{} Trades Council",
    "UCU {} branch",
    "Қазақстан мұнайшылары кәсіподағы, {}",
    "Профсоюз «{}»",
]
PLACES = _words("Central Line West|Camden|Leeds|Glasgow|Cardiff|Ақтау|Жаңаөзен|Алматы|Астана", "|")

COLUMNS = _words(
    "letter_id kind name affiliation email email_hash sort_name sort_key source status "
    "confirmed_at withdrawn_at display suspicion language confirmation_attempts "
    "already_signed_attempts is_notable consents_to_updates paper_sheet ip_hash created_at"
)


def _state(rng, when):
    """(status, confirmed_at, withdrawn_at, suspicion) in a viral letter's proportions."""
    draw = rng.random()
    confirmed = when + timedelta(minutes=rng.randint(1, 600))
    if draw < 0.80:
        return "approved", confirmed, None, ""
    if draw < 0.88:
        return "pending", confirmed, None, ""  # awaiting a decision
    if draw < 0.89:
        return "rejected", confirmed, None, ""
    if draw < 0.95:
        return "pending", None, None, ""  # never confirmed (half of them old enough to purge)
    if draw < 0.97:
        return "approved", confirmed, confirmed + timedelta(days=2), ""  # withdrawn
    if draw < 0.98:
        return "pending", confirmed, None, "rate"  # held as suspect
    return "pending", confirmed, None, "shared"  # a meeting on one address, published


def row(n, letter_id, epoch, span_days):
    """The n-th signature of the letter, always the same one."""
    from signatories.crypto import blind_index, encrypt
    from signatories.names import derive_sort_name, sort_key

    rng = random.Random(n * 7919 + letter_id)
    script = rng.choices(["latin", "russian", "kazakh"], weights=[60, 20, 20])[0]
    organisation = rng.random() < 0.03
    if organisation:
        name = rng.choice(ORGANISATIONS).format(rng.choice(PLACES))
        affiliation = ""
    else:
        surname = rng.choice(SURNAMES[script]).replace("_", " ")  # "la Falce", "van der Berg"
        name = f"{rng.choice(FIRST[script])} {surname}"
        if rng.random() < 0.03:
            name = rng.choice(TITLES) + name
        if rng.random() < 0.01:
            name += rng.choice(POST_NOMINALS)
        affiliation = rng.choice(AFFILIATIONS)
    sort_name = derive_sort_name(name, is_organisation=organisation)
    when = epoch + timedelta(seconds=rng.randint(0, span_days * 86400))
    status, confirmed, withdrawn, suspicion = _state(rng, when)
    address = f"s{n}.l{letter_id}@example.org"
    return (
        letter_id,
        "organisation" if organisation else "individual",
        name,
        affiliation,
        encrypt(address),
        blind_index(address),
        sort_name,
        sort_key(sort_name),
        rng.choices(["web", "paper"], weights=[95, 5])[0],
        status,
        confirmed,
        withdrawn,
        rng.choices(["full", "name", "hidden"], weights=[80, 12, 8])[0],
        suspicion,
        {"latin": "en", "russian": "ru", "kazakh": "kk"}[script],
        0,
        0,
        rng.random() < 0.00002,
        rng.random() < 0.6,
        "",
        f"{rng.getrandbits(128):032x}",
        when,
    )


def _copy(args):
    url, letter_id, start, stop, epoch, span_days = args
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        columns = ", ".join(COLUMNS)
        with cursor.copy(f"COPY signatories_signatory ({columns}) FROM STDIN") as copy:
            for n in range(start, stop):
                copy.write_row(row(n, letter_id, epoch, span_days))
    return stop - start


def copy_signatures(url, letter_id, start, stop, *, span_days=60, processes=2, chunk=250_000):
    """Rows start..stop of the letter, signed over the last `span_days`, COPYed in chunks."""
    epoch = datetime.now(UTC) - timedelta(days=span_days)
    jobs = [
        (url, letter_id, lo, min(lo + chunk, stop), epoch, span_days)
        for lo in range(start, stop, chunk)
    ]
    # Spawned, not forked: a forked child would share this process's database sockets.
    with get_context("spawn").Pool(processes) as pool:
        return sum(pool.imap_unordered(_copy, jobs))
