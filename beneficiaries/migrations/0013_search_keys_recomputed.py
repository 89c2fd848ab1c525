"""The people's search keys, recomputed with the comparison key of names
(beneficiaries.search.name_key): « Mœglin » and « Moeglin », « N’Diaye » and « N'Diaye »,
« D'Almeida » and « DAlmeida » now have the same key, so imports, the flux and search find
the person a file wrote otherwise. Anonymised files keep theirs. In batches of primary keys, on SQLite and PostgreSQL."""

import re
import unicodedata

from anyascii import anyascii
from django.db import migrations

BATCH = 2000


def _recompute(apps, key):
    Beneficiary = apps.get_model("beneficiaries", "Beneficiary")
    last_pk = 0
    while True:
        rows = list(
            Beneficiary.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list(
                "pk", "last_name", "birth_name", "first_name", "search_key", "anonymised_on"
            )[:BATCH]
        )
        if not rows:
            return
        last_pk = rows[-1][0]
        changed = [
            Beneficiary(pk=pk, search_key=new)
            for pk, last, birth, first, old, anonymised_on in rows
            if anonymised_on is None and (new := key(last, birth, first)) != old
        ]
        Beneficiary.objects.bulk_update(changed, ["search_key"], batch_size=500)


def _name_key(text):
    """beneficiaries.search.name_key as this migration wrote it (frozen here: a later change
    of the live key must not change what this migration did)."""
    return "".join(re.findall(r"[a-z0-9]+", anyascii(str(text or "")).lower()))


def _search_key(last_name, birth_name, first_name):
    """beneficiaries.search.search_key as this migration wrote it."""
    last, birth, first = _name_key(last_name), _name_key(birth_name), _name_key(first_name)
    if birth == last:
        birth = ""
    return " ".join(key for key in (last, birth, first) if key)


def recompute_keys(apps, schema_editor):
    _recompute(apps, _search_key)


def _former_key(last_name, birth_name, first_name):
    """The key before this migration: accents dropped by NFKD, other letters lost."""
    text = f"{last_name} {birth_name} {first_name}"
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def restore_former_keys(apps, schema_editor):
    _recompute(apps, _former_key)


class Migration(migrations.Migration):
    dependencies = [("beneficiaries", "0012_exit_closure_reason")]

    operations = [migrations.RunPython(recompute_keys, restore_former_keys, elidable=True)]
