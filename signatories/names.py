"""How names are cleaned, how they sort, and the key the database orders by.

The seed letter lists individuals by surname: "Professor Bill Bowring" under
B, "David Anderson MP" under A, "Dr Maria la Falce" under L between Jones and
Lavery. `derive_sort_name` reproduces that from the name alone; organisers can
override the result in the admin.
"""

import contextlib
import re
import unicodedata

TITLES = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "doctor",
    "prof",
    "professor",
    "sir",
    "dame",
    "lord",
    "lady",
    "baroness",
    "baron",
    "cllr",
    "councillor",
    "rev",
    "revd",
    "reverend",
    "fr",
    "father",
    "sister",
    "brother",
    "hon",
    "rt",
    "right",
    "honourable",
    "cde",
    "comrade",
}
# Degrees that are also surnames ("Jack Ma", "Amadou Ba") are left out.
POST_NOMINALS = {
    "mp",
    "mep",
    "msp",
    "mla",
    "qc",
    "kc",
    "obe",
    "mbe",
    "cbe",
    "kbe",
    "dbe",
    "frs",
    "fba",
    "phd",
    "dphil",
    "jp",
    "msc",
    "bsc",
    "llb",
    "llm",
    "jr",
    "sr",
    "jnr",
    "snr",
    "ii",
    "iii",
}
# Lower-case particles stay with the surname: "Maria la Falce" -> "la Falce".
PARTICLES = {
    "la",
    "le",
    "de",
    "del",
    "della",
    "der",
    "den",
    "di",
    "da",
    "das",
    "dos",
    "du",
    "van",
    "von",
    "ter",
    "ten",
    "zu",
    "bin",
    "binti",
    "ibn",
    "al",
    "el",
    "af",
    "av",
    "y",
    "st",
}

# Bidi embeddings, overrides and isolates can make a name display as
# something it is not; a real right-to-left name never needs them.
_BIDI_CONTROLS = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
)
_SPACES = re.compile(r"\s+")


def clean_text(value):
    """Normalise user-typed text: NFC, bidi controls removed, spaces collapsed."""
    value = unicodedata.normalize("NFC", value).translate(_BIDI_CONTROLS)
    return _SPACES.sub(" ", value).strip()


# Joiners are needed inside words in Persian and Indic scripts; every other
# invisible format character could make a blank-looking name.
_ALLOWED_FORMAT = {"\u200c", "\u200d"}


def has_control_characters(value):
    """Control, invisible-format, unassigned or replacement characters (undecodable input)."""
    return any(
        ch == "\ufffd"
        or unicodedata.category(ch) in {"Cc", "Cs", "Co", "Cn"}
        or (unicodedata.category(ch) == "Cf" and ch not in _ALLOWED_FORMAT)
        for ch in value
    )


# An e-mail address inside a name or an affiliation, which are published. Written
# so that Python's re (SQLite's REGEXP) and PostgreSQL's ~ read it alike; spaces
# are already collapsed to one by clean_text.
EMAIL_IN_TEXT = r"[^ @]+@[^ @]+\.[^ @]+"
_EMAIL_IN_TEXT = re.compile(EMAIL_IN_TEXT)


def has_email_address(value):
    """True if the text holds something shaped like an address (also in full-width ＠)."""
    return bool(_EMAIL_IN_TEXT.search(unicodedata.normalize("NFKC", value)))


def has_letter_or_digit(value):
    return any(ch.isalnum() for ch in value)


def _bare(token):
    return token.strip(".,()").casefold()


def derive_sort_name(name, *, is_organisation=False):
    """'Surname, Given names' for people; organisations sort as written."""
    name = clean_text(name)
    if is_organisation or not has_letter_or_digit(name):
        return name
    tokens = name.split(" ")
    while len(tokens) > 1 and _bare(tokens[0]) in TITLES:
        tokens.pop(0)
    while len(tokens) > 1 and _bare(tokens[-1]) in POST_NOMINALS:
        tokens.pop()
    tokens[-1] = tokens[-1].rstrip(",")
    if len(tokens) == 1:
        return tokens[0] if has_letter_or_digit(tokens[0]) else name
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1] in PARTICLES:
        start -= 1
    surname = " ".join(tokens[start:])
    given = " ".join(tokens[:start])
    if not has_letter_or_digit(surname):
        return name  # "Dr ." or "- MP": nothing left to sort by but the name as written
    return f"{surname}, {given}"


# The collation: each character becomes five decimal digits of weight. A string
# of digits orders the same under every database collation (SQLite's BINARY,
# PostgreSQL's "C", en_US or ICU), so the letter page, the PDF and a paginated
# keyset all agree, whichever locale the production database was created with.
_LATIN = "abcdefghijklmnopqrstuvwxyz"
# Russian, Ukrainian, Belarusian and Kazakh letters in Kazakh alphabet order.
_CYRILLIC = "аәбвгғґдђеєёжзѕийјкқлљмнңњоөпрстћуұүўфхһцчџшщъыіїьэюя"
_WEIGHTS = {" ": 2, ",": 1}
_WEIGHTS.update({str(d): 10 + d for d in range(10)})
_WEIGHTS.update({ch: 100 + i for i, ch in enumerate(_LATIN)})
_WEIGHTS.update({ch: 200 + i for i, ch in enumerate(_CYRILLIC)})
_EXTRA_LATIN = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "ı": "i", "þ": "th"}
_MAX_KEY_CHARS = 60
_WIDTH = 5
KEY_LENGTH = _MAX_KEY_CHARS * _WIDTH


def _fold(text):
    """Case-fold and strip accents from Latin letters; Cyrillic letters stay whole."""
    out = []
    for ch in text.casefold():
        if ch in _WEIGHTS:
            out.append(ch)
        elif ch in _EXTRA_LATIN:
            out.append(_EXTRA_LATIN[ch])
        else:
            base = unicodedata.normalize("NFD", ch)[0]
            # й and ё decompose to и and е plus a mark; they are letters of
            # their own in Russian and Kazakh, so keep them when listed.
            out.append(base if base in _WEIGHTS and "a" <= base <= "z" else ch)
    return "".join(out)


def sort_key(sort_name):
    """The value the database orders by: case- and accent-insensitive."""
    weights = []
    for ch in _fold(clean_text(sort_name)):
        if len(weights) == _MAX_KEY_CHARS:
            break
        if ch in _WEIGHTS:
            weights.append(_WEIGHTS[ch])
        elif ch.isalnum():
            # Other scripts after Latin and Cyrillic, in code point order;
            # the rare letters beyond the Basic Multilingual Plane share the last weight.
            weights.append(min(10000 + ord(ch), 99999))
        # Punctuation (hyphens, apostrophes, dots) is ignored.
    return "".join(f"{w:0{_WIDTH}d}" for w in weights)


def domain_is_encodable(email):
    """Can the domain be spelled the way DNS needs (IDNA)? Mail to it is impossible otherwise."""
    domain = email.rpartition("@")[2]
    try:
        domain.encode("idna")
    except UnicodeError:
        return False
    return True


def normalise_email(email):
    """One spelling per address: trimmed, lower case, the domain as DNS spells it (IDNA).

    So "Ivan@Почта.РФ" and "ivan@xn--80a1acny.xn--p1ai" are the same signer,
    and Python and the database (SQLite folds ASCII only) fold the same text.
    """
    email = email.strip().lower()
    local, at, domain = email.rpartition("@")
    if not at:
        return email
    # On a malformed domain the form's validator has the last word.
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    return f"{local}@{domain}"


# Post-nominals as they are written, when a name comes in capitals.
_POST_NOMINAL_CASE = {
    "phd": "PhD",
    "dphil": "DPhil",
    "msc": "MSc",
    "bsc": "BSc",
    "jr": "Jr",
    "sr": "Sr",
    "jnr": "Jnr",
    "snr": "Snr",
}
_APOSTROPHES = "'’"


def is_in_capitals(name):
    """Written in block capitals, as paper sheets ask: two or more letters, none lower case."""
    letters = [ch for ch in name if ch.isalpha()]
    return len(letters) >= 2 and not any(ch.islower() for ch in letters)


def _capitalise(part):
    """One word or hyphen-part: "o'brien" -> "O'Brien", "mcdonnell" -> "McDonnell"."""
    lower = part.lower()
    start = next((i for i, ch in enumerate(lower) if ch.isalpha()), None)
    if start is None:
        return lower
    head, word = lower[:start], lower[start:]
    if len(word) > 2 and word[1] in _APOSTROPHES and word[2].isalpha():
        return head + word[0].upper() + word[1] + word[2].upper() + word[3:]
    if word.startswith("mc") and len(word) > 2 and word[2].isalpha():
        return head + "Mc" + word[2].upper() + word[3:]
    return head + word[0].upper() + word[1:]


def name_case(name):
    """A name in block capitals in the case it is usually written; any other name as it is.

    "MARY O'BRIEN" -> "Mary O'Brien", "DR MARIA LA FALCE" -> "Dr Maria la Falce",
    "IAN LAVERY MP" -> "Ian Lavery MP", "ҰЛЖАН СЕЙІТҚАЛИ" -> "Ұлжан Сейітқали".
    Particles after the first word stay lower case; post-nominals keep their
    own case ("MP", "PhD"). For people only: an organisation's capitals may
    be its name ("RMT").
    """
    name = clean_text(name)
    if not is_in_capitals(name):
        return name
    words = []
    for position, word in enumerate(name.split(" ")):
        bare = _bare(word)
        if position and bare in PARTICLES:
            words.append(word.lower())
        elif position and bare in POST_NOMINALS:
            words.append(
                word.replace(word.strip(".,()"), _POST_NOMINAL_CASE.get(bare, bare.upper()))
            )
        else:
            words.append("-".join(_capitalise(part) for part in word.split("-")))
    return " ".join(words)
