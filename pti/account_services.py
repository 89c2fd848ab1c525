"""Writes about accounts: a person's own password, their second factor, IT's resets.

The second factor is TOTP (RFC 6238: 6 digits, 30-second steps, a 160-bit secret) with ten
static recovery codes (OWASP ASVS 5.0, 6.5), through django-otp. Wrong codes are throttled by
django-otp itself: each one makes the next try wait twice as long (1, 2, 4, 8... seconds).
"""

import math

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pti.authentication import second_factor_required

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Application d'authentification"
RECOVERY_DEVICE_NAME = "Codes de secours"

WRONG_CODE = "Ce code n'est pas le bon, ou il a expiré : saisissez le code affiché maintenant."
NO_DEVICE = "Aucune double authentification n'est activée sur votre compte."
ENROLMENT_GONE = (
    "La mise en place a été interrompue : rechargez la page pour obtenir un nouveau QR code."
)
REQUIRED_FOR_ROLE = (
    "Votre rôle exige la double authentification : elle ne peut pas être désactivée."
)


def _wait_message(extra):
    seconds = math.ceil((extra["locked_until"] - timezone.now()).total_seconds())
    seconds = max(1, seconds)
    return (
        f"Trop de codes erronés : patientez {seconds} seconde{'s' if seconds > 1 else ''} "
        "avant de réessayer."
    )


def _code_error(device, code):
    """Check `code` on `device` (a locked row); None if accepted, else the French reason.
    A wrong code is recorded on the device (django-otp's throttling) in any case."""
    allowed, extra = device.verify_is_allowed()
    if not allowed:
        return _wait_message(extra) if extra and "locked_until" in extra else WRONG_CODE
    if not device.verify_token(code):
        return WRONG_CODE
    return None


def normalise_code(code):
    """A code as people type it: spaces dropped, lower case (recovery codes are lower case)."""
    return "".join(code.split()).lower()


def _new_recovery_codes(user):
    device, _ = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": RECOVERY_DEVICE_NAME, "confirmed": True}
    )
    device.token_set.all().delete()
    device.throttle_reset(commit=False)
    device.confirmed = True
    device.save()
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def password_change(*, user, new_password):
    """Give `user` the password they chose (validated by the form, AUTH_PASSWORD_VALIDATORS):
    the one IT set, if any, no longer has to be replaced. The caller keeps the current session
    (update_session_auth_hash); the user's other sessions end at their next request."""
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    return user


@transaction.atomic
def totp_enrolment_start(*, user):
    """The TOTP device being set up for `user`, not yet confirmed: the one already started
    (a reload shows the same secret) or a new one with a random secret."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("-pk")
        .first()
    )
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_enrolment_confirm(*, user, code):
    """Confirm the device being set up with a first code from the application.

    Returns (device, codes): the confirmed TOTPDevice and the ten new recovery codes (text), to
    be shown once. Any other TOTP device of the user is removed. Raises ValidationError with
    the French reason when the code is wrong or when wrong codes make the user wait; the
    failure stays recorded for the throttling (the check commits before the error is raised).
    """
    codes = None
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        error = ENROLMENT_GONE if device is None else _code_error(device, normalise_code(code))
        if error is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = _new_recovery_codes(user)
    if error is not None:
        raise ValidationError(error, code="wrong_code")
    return device, codes


def second_factor_verify(*, user, code):
    """The device that accepts `code` for `user`: the TOTP application for a 6-digit code, the
    recovery codes otherwise (a recovery code works once).

    Raises ValidationError with the French reason (wrong or expired code, too many wrong codes:
    wait N seconds, no second factor); the failure stays recorded for the throttling.
    """
    code = normalise_code(code)
    totp = code.isdigit() and len(code) == 6
    model = TOTPDevice if totp else StaticDevice
    with transaction.atomic():
        device = (
            model.objects.select_for_update().filter(user=user, confirmed=True).order_by("-pk")
        ).first()
        if device is None:
            has_any = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            error = WRONG_CODE if has_any else NO_DEVICE
        else:
            error = _code_error(device, code)
    if error is not None:
        raise ValidationError(error, code="wrong_code")
    return device


def recovery_codes_left(user):
    """How many recovery codes `user` has not used yet."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def recovery_codes_renew(*, user):
    """Ten new recovery codes for `user` (text), replacing the old ones. Raises ValidationError
    when the user has no second factor."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError(NO_DEVICE, code="no_device")
    return _new_recovery_codes(user)


@transaction.atomic
def second_factor_disable(*, user):
    """Remove the user's own second factor (TOTP application and recovery codes). Refused with
    a ValidationError when their role requires one (PTI_OTP_REQUIRED_ROLES)."""
    if second_factor_required(user):
        raise ValidationError(REQUIRED_FOR_ROLE, code="required")
    deleted = _delete_devices([user.pk])
    if not deleted:
        raise ValidationError(NO_DEVICE, code="no_device")


@transaction.atomic
def second_factor_reset(*, users):
    """IT: remove the second factor of `users` (a lost telephone). At their next login, a role
    that requires one sets it up again; the others log in with their password. Returns how
    many of them had one."""
    return _delete_devices([user.pk for user in users])


def _delete_devices(user_ids):
    had_totp = set(
        TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list(
            "user_id", flat=True
        )
    )
    TOTPDevice.objects.filter(user_id__in=user_ids).delete()
    StaticDevice.objects.filter(user_id__in=user_ids).delete()
    return len(had_totp)
