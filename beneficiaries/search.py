"""Finding a person: by name without caring about accents or case, by CAF number, by birth
date. On PostgreSQL a trigram similarity also finds names typed with a small mistake."""

import datetime
import re
import unicodedata

from django.db import connection
from django.db.models import Q

from beneficiaries.allocataire import stored_forms


def normalise(text):
    """'Hélène  DURAND-Lefèvre' -> 'helene durand lefevre'."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def search_key(last_name, birth_name, first_name):
    return normalise(f"{last_name} {birth_name} {first_name}")


def identity_keys(last_name, birth_name, first_name):
    """The names a person may be known under, normalised: the last name with the first name,
    with or without the birth name, and the birth name with the first name. Two people born
    the same day who share one of these keys are taken for the same person (a second file is
    refused; the imports update the first)."""
    keys = {normalise(f"{last_name} {first_name}"), search_key(last_name, birth_name, first_name)}
    if birth_name:
        keys.add(normalise(f"{birth_name} {first_name}"))
    return keys


def parse_date(text):
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def search_condition(queryset, text):
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
    if connection.vendor != "postgresql":
        return queryset.filter(exact)
    # A word close to one in the name (a typo) also matches; the trigram index serves it.
    similar = Q()
    for word in words:
        similar &= Q(search_key__trigram_word_similar=word)
    return queryset.filter(exact | similar)
