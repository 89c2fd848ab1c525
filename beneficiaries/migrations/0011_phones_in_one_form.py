"""The phones already stored, written in the one form the imports and the form now write
(beneficiaries.contacts.phone_number): « 06 12 34 56 78 », an overseas number in its national
form, a foreign one « +32 … ». A value the contacts file once wrote instead of a NIR it had
removed (« (valeur retirée) ») is no phone: it is emptied. Any other value that is no valid
number is kept as it is (nothing is lost); the person's file shows it for a person to correct.

The rules are copied here, as they are today, so that this migration gives the same result
whatever later becomes of the module."""

import phonenumbers
from django.db import migrations

REMOVED = "(valeur retirée)"
FRENCH_REGIONS = ("FR", "RE", "YT", "GP", "MQ", "GF", "BL", "MF")
PHONE_MAX_LENGTH = 20
BATCH = 1000


def _stored_form(text):
    """The stored form of the phone `text`, or None when it is no valid number."""
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code == 269 and str(number.national_number).startswith(("269", "639")):
        number = phonenumbers.parse(f"+262{number.national_number}")
    if not phonenumbers.is_valid_number(number):
        if text.lstrip().startswith(("+", "00")):
            return None
        for region in FRENCH_REGIONS[1:]:
            overseas = phonenumbers.parse(text, region)
            if phonenumbers.is_valid_number(overseas):
                number = overseas
                break
        else:
            return None
    if phonenumbers.region_code_for_number(number) in FRENCH_REGIONS:
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    else:
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return shown if len(shown) <= PHONE_MAX_LENGTH else None


def phones_in_one_form(apps, schema_editor):
    Beneficiary = apps.get_model("beneficiaries", "Beneficiary")
    changed = []
    people = Beneficiary.objects.exclude(phone="").only("pk", "phone").order_by("pk")
    for person in people.iterator(chunk_size=BATCH):
        if person.phone.strip() == REMOVED:
            stored = ""
        else:
            stored = _stored_form(person.phone) or person.phone
        if stored == person.phone:
            continue
        person.phone = stored
        changed.append(person)
        if len(changed) >= BATCH:
            Beneficiary.objects.bulk_update(changed, ["phone"])
            changed = []
    Beneficiary.objects.bulk_update(changed, ["phone"])


class Migration(migrations.Migration):
    dependencies = [
        ("beneficiaries", "0010_msa_households_keep_their_own_number"),
    ]

    operations = [
        migrations.RunPython(phones_in_one_form, migrations.RunPython.noop, elidable=True),
    ]
