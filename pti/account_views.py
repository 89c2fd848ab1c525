"""« Mon compte »: the person's own password and second factor; the code page after the
password; the pilot's list of failed logins."""

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from pti import account_services, authentication
from pti.account_forms import (
    EnrolmentForm,
    LoginFailureFilterForm,
    OwnPasswordChangeForm,
    SecondFactorForm,
)
from pti.authentication import (
    confirmed_totp_device,
    note_second_factor,
    second_factor_required,
)
from pti.pages import confirm_page, form_error_status, refuse
from pti.permissions import PILOTS, role_required
from pti.redirects import safe_next

SESSION_RECOVERY_CODES = "pti_recovery_codes"  # shown once, then dropped from the session
FAILURES_PAGE_SIZE = 50


def account_trail():
    return [("Mon compte", reverse("pti:account"))]


def next_url(request):
    """The page to go back to: `next` if it is one of ours, else the home page."""
    return safe_next(request, reverse("pti:home"))


def with_next(url_name, request):
    target = next_url(request)
    if target == reverse("pti:home"):
        return reverse(url_name)
    return reverse(url_name) + "?" + urlencode({"next": target})


@require_http_methods(["GET"])
def account(request):
    user = request.user
    device = confirmed_totp_device(user)
    context = {
        "device": device,
        "codes_left": account_services.recovery_codes_left(user) if device else 0,
        "required": second_factor_required(user),
    }
    return render(request, "pti/account.html", context)


@require_http_methods(["GET", "POST"])
def password_change(request):
    user = request.user
    forced = user.must_change_password
    form = OwnPasswordChangeForm(user, request.POST or None)
    if form.is_valid():
        account_services.password_change(user=user, new_password=form.cleaned_data["new_password1"])
        # The current session stays open; the others end (their password hash no longer fits).
        update_session_auth_hash(request, user)
        messages.success(
            request,
            "Votre mot de passe est changé. Vos autres sessions ouvertes sont fermées.",
        )
        return redirect(next_url(request) if forced else reverse("pti:account"))
    context = {
        "form": form,
        "forced": forced,
        "next": request.GET.get("next", ""),
        "min_length": min_password_length(),
        "trail": account_trail(),
        "hide_navigation": forced,
    }
    return render(request, "pti/password_change.html", context, status=form_error_status(form))


def min_password_length():
    for validator in settings.AUTH_PASSWORD_VALIDATORS:
        if validator["NAME"].endswith("MinimumLengthValidator"):
            return validator.get("OPTIONS", {}).get("min_length", 8)
    return None


@require_http_methods(["GET", "POST"])
def second_factor(request):
    """After the password: the code of the application, or a recovery code."""
    user = request.user
    if user.is_verified():
        return redirect(next_url(request))
    if confirmed_totp_device(user) is None:
        # Reset by IT meanwhile: set it up again if the role requires it, else go on.
        note_second_factor(request, present=False)
        if second_factor_required(user):
            return redirect(with_next("pti:second_factor_enrol", request))
        return redirect(next_url(request))
    form = SecondFactorForm(request.POST or None)
    if form.is_valid():
        try:
            device = account_services.second_factor_verify(
                user=user, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            otp_login(request, device)
            # A new session key for the session that now has both factors.
            request.session.cycle_key()
            if isinstance(device, StaticDevice):
                left = account_services.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"Vous avez utilisé un code de secours : il vous en reste {left}. "
                    "Vous pouvez en générer de nouveaux depuis « Mon compte ».",
                )
            return redirect(next_url(request))
    context = {
        "form": form,
        "next": request.GET.get("next", ""),
        "issuer": settings.OTP_TOTP_ISSUER,
        "hide_navigation": True,
    }
    return render(request, "pti/second_factor.html", context, status=form_error_status(form))


def qr_code_svg(device):
    """The device's otpauth:// address as an inline SVG QR code (segno: no image file, no
    script, nothing that a strict CSP would refuse)."""
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(
        scale=4,
        border=4,
        dark="#000",
        light="#fff",
        title="QR code à scanner avec votre application d'authentification",
    )
    # segno writes the code itself from the device's address: nothing in it is user input.
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))


def grouped_secret(device):
    """The secret in base32, as applications ask for it, in groups of four characters."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@require_http_methods(["GET", "POST"])
def second_factor_enrol(request):
    """Set up the application: scan (or type) the secret, confirm with a first code."""
    user = request.user
    if confirmed_totp_device(user) is not None:
        if not user.is_verified():
            # Never a second device to get round the first one.
            return redirect(with_next("pti:second_factor", request))
        messages.info(request, "La double authentification est déjà activée sur votre compte.")
        return redirect("pti:account")
    device = account_services.totp_enrolment_start(user=user)
    form = EnrolmentForm(request.POST or None)
    if form.is_valid():
        try:
            device, codes = account_services.totp_enrolment_confirm(
                user=user, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            otp_login(request, device)
            request.session.cycle_key()
            note_second_factor(request, present=True)
            request.session[SESSION_RECOVERY_CODES] = codes
            messages.success(request, "La double authentification est activée.")
            return redirect(with_next("pti:recovery_codes", request))
    context = {
        "form": form,
        "qr_code": qr_code_svg(device),
        "secret": grouped_secret(device),
        "issuer": settings.OTP_TOTP_ISSUER,
        "required": second_factor_required(user),
        "next": request.GET.get("next", ""),
        "trail": account_trail(),
        "hide_navigation": second_factor_required(user),
    }
    return render(request, "pti/second_factor_enrol.html", context, status=form_error_status(form))


@require_http_methods(["GET"])
def recovery_codes(request):
    """The new recovery codes, shown once."""
    codes = request.session.pop(SESSION_RECOVERY_CODES, None)
    if not codes:
        messages.info(
            request,
            "Les codes de secours ne s'affichent qu'une fois. Si vous ne les avez plus, "
            "générez-en de nouveaux.",
        )
        return redirect("pti:account")
    return render(request, "pti/recovery_codes.html", {"codes": codes, "next": next_url(request)})


@require_POST
def recovery_codes_renew(request):
    try:
        codes = account_services.recovery_codes_renew(user=request.user)
    except ValidationError as error:
        return refuse(request, error, "pti:account")
    request.session[SESSION_RECOVERY_CODES] = codes
    messages.success(request, "Vos anciens codes de secours ne fonctionnent plus.")
    return redirect("pti:recovery_codes")


@require_http_methods(["GET", "POST"])
def second_factor_disable(request):
    user = request.user
    if second_factor_required(user):
        return refuse(request, ValidationError(account_services.REQUIRED_FOR_ROLE), "pti:account")
    if confirmed_totp_device(user) is None:
        return refuse(request, ValidationError(account_services.NO_DEVICE), "pti:account")
    if request.method == "POST":
        account_services.second_factor_disable(user=user)
        note_second_factor(request, present=False)
        messages.success(
            request,
            "La double authentification est désactivée : vous vous connecterez avec votre seul "
            "mot de passe.",
        )
        return redirect("pti:account")
    return confirm_page(
        request,
        title="Désactiver la double authentification",
        message=(
            "Votre compte ne sera plus protégé que par votre mot de passe. Votre application "
            "d'authentification et vos codes de secours ne serviront plus."
        ),
        confirm_label="Désactiver",
        cancel_url=reverse("pti:account"),
        breadcrumb=account_trail(),
    )


@role_required(PILOTS)
@require_http_methods(["GET"])
def login_failures(request):
    """Failed logins (by day, username typed, address) and the locks in force now."""
    form = LoginFailureFilterForm(request.GET or None)
    criteria = form.cleaned_data if form.is_valid() else {}
    rows = authentication.login_failures(
        day_from=criteria.get("day_from"),
        day_to=criteria.get("day_to"),
        username=criteria.get("username", ""),
    )
    page = Paginator(rows, FAILURES_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "trail": [("Journal des accès", reverse("beneficiaries:journal"))],
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "lockouts": authentication.current_lockouts(),
        "cooloff_minutes": settings.PTI_LOGIN_COOLOFF_MINUTES,
        "per_account": settings.PTI_LOGIN_FAILURES_PER_ACCOUNT,
        "per_address": settings.PTI_LOGIN_FAILURES_PER_ADDRESS,
    }
    return render(request, "pti/login_failures.html", context, status=form_error_status(form))
