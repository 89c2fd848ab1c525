"""The plausible dates of the events of a person's file: an interview, an obstacle identified
or moving on, an orientation decided or notified, a contract starting or signed, a référent
designated, an exit, a follow-up after it. Such a date is neither before the person's birth,
nor before their RSA request (`Beneficiary.rsa_requested_on`: the file, and the parcours with
it, starts there), nor more than `PTI_EVENT_YEARS_AHEAD` (1) years after today (a typing
error: 2062 for 2026). The services of the file check it before every write; the imports of
the CAF/MSA flux and of spreadsheets write the dates they carry as they are (an orientation
the CAF knew of before the request is the CAF's record, not a typing error)."""

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone


def latest_event_date(today=None):
    """The last date an event of a file may have: today plus PTI_EVENT_YEARS_AHEAD years."""
    today = today or timezone.localdate()
    return today + relativedelta(years=settings.PTI_EVENT_YEARS_AHEAD)


def event_date_error(person, day, *, today=None):
    """The French message that refuses `day` (a date) as the date of an event of the file of
    `person` (a Beneficiary), or None when it is plausible."""
    if day is None:
        return None
    if person.birth_date and day < person.birth_date:
        return (
            "La date doit être postérieure à la naissance de la personne, le "
            f"{person.birth_date:%d/%m/%Y}."
        )
    if person.rsa_requested_on and day < person.rsa_requested_on:
        return (
            "La date doit être postérieure à la demande de RSA du "
            f"{person.rsa_requested_on:%d/%m/%Y}."
        )
    latest = latest_event_date(today)
    if day > latest:
        years = settings.PTI_EVENT_YEARS_AHEAD
        ahead = "un an" if years == 1 else f"{years} ans"
        return f"La date ne peut pas dépasser le {latest:%d/%m/%Y} ({ahead})."
    return None


def check_event_dates(person, today=None, **dates):
    """Raises ValidationError({name: message}) for each of `dates` (name=date or None, the
    names of the form fields that carry them) that is not a plausible date of an event of the
    file of `person` (event_date_error)."""
    errors = {}
    for name, day in dates.items():
        message = event_date_error(person, day, today=today)
        if message:
            errors[name] = message
    if errors:
        raise ValidationError(errors)
