"""Finding a person: by name without caring about accents or case, by CAF number, by birth
date. On PostgreSQL a trigram similarity also finds names typed with a small mistake.

One comparison key for names, everywhere people are compared (the imports, the duplicate
check of the form, the CNAF flux, the contacts file, search): `name_key`. A name is
transliterated to ASCII by anyascii (« œ » -> « oe », « æ » -> « ae », the typographic
apostrophes ’ ‘ ʼ -> « ' », accents dropped), put in lower case, and its separators
(spaces, hyphens, apostrophes, dots) are removed: « N’DIAYE », « N'Diaye » and « N Diaye »
are the same name, and so are « DAlmeida » and « D'Almeida », « Mœglin » and « Moeglin ».
"""

import re

from anyascii import anyascii
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from beneficiaries.allocataire import stored_forms
from pti import dates


def name_words(text):
    """The words of a text as compared: 'Hélène  DURAND-Lefèvre' -> ['helene', 'durand',
    'lefevre']; 'N’DIAYE' -> ['n', 'diaye']; 'Gaillard-Œuvray' -> ['gaillard', 'oeuvray']."""
    return re.findall(r"[a-z0-9]+", anyascii(str(text or "")).lower())


def normalise(text):
    """The words of a text, transliterated, lower case, separated by one space:
    'Hélène  DURAND-Lefèvre' -> 'helene durand lefevre'. For what is not a person's name
    (civilities, communes) and for search words; names compare by `name_key`."""
    return " ".join(name_words(text))


def name_key(text):
    """The comparison key of one name (a last, birth or first name): its words run together,
    'N’DIAYE' and 'N Diaye' -> 'ndiaye', 'Jean-Luc' -> 'jeanluc', 'Mœglin' -> 'moeglin'.
    "" for an empty name."""
    return "".join(name_words(text))


def search_key(last_name, birth_name, first_name):
    """The key stored in Beneficiary.search_key: the keys of the last name, the birth name
    (left out when it is the last name) and the first name, separated by one space:
    ('Gaillard-Œuvray', '', 'Maëlys') -> 'gaillardoeuvray maelys'. Searched by word
    (`search_condition`) and compared whole (the imports, the flux)."""
    last, birth, first = name_key(last_name), name_key(birth_name), name_key(first_name)
    if birth == last:
        birth = ""
    return " ".join(key for key in (last, birth, first) if key)


def identity_keys(last_name, birth_name, first_name):
    """The names a person may be known under, as keys: the last name with the first name,
    with or without the birth name, and the birth name with the first name. Two people born
    the same day who share one of these keys have the same identity: the same person when
    they are also in the same household, probable homonyms otherwise."""
    keys = {search_key(last_name, "", first_name), search_key(last_name, birth_name, first_name)}
    if name_key(birth_name):
        keys.add(search_key(birth_name, "", first_name))
    return keys


def holds_name(text, name):
    """Whether `text` (« NOM PRENOM », any order) holds `name` as a run of its whole words,
    whatever the separators: 'D ARCANGELO JEAN LUC' holds 'Jean-Luc' and 'D'Arcangelo', not
    'Jean'."""
    key, words = name_key(name), name_words(text)
    if not key:
        return False
    for start in range(len(words)):
        run = ""
        for word in words[start:]:
            run += word
            if run == key:
                return True
            if len(run) >= len(key):
                break
    return False


def parse_date(text):
    """The birth date a search text is, read as the imports and forms read dates
    (pti.dates: 14/03/1986, 14-03-1986, 14.03.1986, 1986-03-14, 14/03/56 of the previous
    century), or None: a text without a separator (five digits are an allocataire number here,
    never a serial date) or that is no date."""
    text = text.strip()
    if not re.search(r"[/.\-]", text):
        return None
    try:
        return dates.parse_date(text, today=timezone.localdate(), century="previous")
    except ValueError:
        return None


def search_condition(queryset, text):
    """`queryset` narrowed to the people `text` names: a birth date, a CAF number (leading
    zeros optional), or words of their names. A name matches when each word of the text is
    in its key, or when the text's words run together are (« N Diaye » finds N’Diaye,
    « oeuvray » Gaillard-Œuvray); on PostgreSQL also by trigram similarity."""
    text = (text or "").strip()
    if not text:
        return queryset
    birth_date = parse_date(text)
    if birth_date:
        return queryset.filter(birth_date=birth_date)
    digits = re.sub(r"\s", "", text)
    if digits.isdigit():
        # Every stored form the number may mean (allocataire_number): « 12345 », « 0012345 »
        # and « 1234500000000 » find the same household; an MSA matricule its 13 digits.
        return queryset.filter(household__caf_number__in=stored_forms(digits))
    words = normalise(text).split()
    if not words:
        return queryset.none()
    exact = Q()
    for word in words:
        exact &= Q(search_key__contains=word)
    if len(words) > 1:
        exact |= Q(search_key__contains="".join(words))
    if connection.vendor != "postgresql":
        return queryset.filter(exact)
    # A word close to one in the name (a typo) also matches; the trigram index serves it.
    similar = Q()
    for word in words:
        similar &= Q(search_key__trigram_word_similar=word)
    return queryset.filter(exact | similar)
