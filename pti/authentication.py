"""How people log in: login throttling, the second factor, the age of a session.

OWASP ASVS 5.0, level 2:

- Throttling (6.3.1), by django-axes with its database handler: failures are counted per
  username typed and per client address, each with its own limit (settings
  PTI_LOGIN_FAILURES_PER_ACCOUNT and PTI_LOGIN_FAILURES_PER_ADDRESS); a username or an address
  that reaches its limit waits PTI_LOGIN_COOLOFF_MINUTES after its last failure. The refusal is
  the login page with HTTP 429, the same whether the account exists or not.
- Second factor (6.4, 6.5): TOTP with static recovery codes (django-otp), required for the
  roles of PTI_OTP_REQUIRED_ROLES. Until the session is verified, every page sends to the code
  page (or to the enrolment page when a required second factor is not set up yet).
- Sessions (7.3): PTI_SESSION_IDLE_MINUTES without a request end the session (Django's session
  expiry, moved by each request); PTI_SESSION_MAX_HOURS after the login it ends whatever the
  activity (this module's middleware, from the login time kept in the session).
- A password set by IT in the admin is replaced by the person's own before anything else.
"""

import ipaddress
import math
import time
from urllib.parse import urlencode, urlsplit

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core import checks
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect
from django_otp.plugins.otp_totp.models import TOTPDevice

from pti.forms import LoginForm

# What the session keeps about the login (set by `start_session`).
SESSION_LOGIN_AT = "pti_login_at"  # Unix time of the login, in seconds
SESSION_HAS_SECOND_FACTOR = "pti_has_second_factor"  # the account had a device at login

# Pages open whatever remains to be done: leaving, and the pages that do it.
ALWAYS_OPEN = frozenset({"pti:logout", "admin:logout"})
SECOND_FACTOR_PAGES = frozenset(
    {"pti:second_factor", "pti:second_factor_enrol", "pti:recovery_codes"}
)

SESSION_EXPIRED_MESSAGE = (
    "Votre session a expiré : par sécurité, une session dure au plus {hours} heures. "
    "Reconnectez-vous pour continuer."
)


# --- Login throttling (django-axes) ------------------------------------------------------


def client_address(request):
    """The client's IP address (text), for AXES_CLIENT_IP_CALLABLE.

    With PTI_TRUSTED_PROXY_COUNT = n > 0, the n-th address from the right of X-Forwarded-For:
    each trusted proxy appends the address it received the request from, so whatever the
    client wrote itself stays on the left and is never read. With n = 0 (no proxy), or when
    the header does not hold a valid address there, REMOTE_ADDR. None for a request without
    an address (a test client's login).
    """
    count = settings.PTI_TRUSTED_PROXY_COUNT
    if count:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= count:
            try:
                return str(ipaddress.ip_address(forwarded[-count]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or None


def _counting_attempts(request):
    """The failure records that still count: last failure within the cool-off."""
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    return AccessAttempt.objects.filter(attempt_time__gte=now - get_cool_off(request))


def failure_limit(request, credentials=None):
    """AXES_FAILURE_LIMIT: the number of failures at which django-axes locks this attempt out.

    Axes counts the failures of the username typed and those of the client address
    (AXES_LOCKOUT_PARAMETERS), keeps the larger and compares it with one limit. Returning the
    per-account limit when the username has reached it, and the per-address limit otherwise,
    locks exactly when either count reaches its own limit, because the per-account limit is
    the lower (the settings refuse otherwise).
    """
    username = get_client_username(request, credentials)
    per_account = settings.PTI_LOGIN_FAILURES_PER_ACCOUNT
    failures = (
        _counting_attempts(request)
        .filter(username=username)
        .aggregate(total=Sum("failures_since_start"))["total"]
    )
    if (failures or 0) >= per_account:
        return per_account
    return settings.PTI_LOGIN_FAILURES_PER_ADDRESS


class LoginThrottlingHandler(AxesDatabaseHandler):
    """Axes' database handler, with two changes.

    - An attempt refused during a wait is written to the failure log too (axes skips it when
      AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is off), so that the pilot and IT see it.
    - A successful login forgives its own account's failures only. AXES_RESET_ON_SUCCESS
      would also delete every failure recorded from the same address, whatever the username:
      an attacker could try other people's accounts and clear the address's count with a
      login of their own.
    """

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        refused_during_wait = (
            request is not None
            and getattr(request, "axes_locked_out", False)
            and not settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT
        )
        if refused_during_wait and settings.AXES_ENABLE_ACCESS_FAILURE_LOG:
            AccessFailureLog.objects.create(
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
                user_agent=request.axes_user_agent,
                http_accept=request.axes_http_accept,
                path_info=request.axes_path_info,
                attempt_time=request.axes_attempt_time,
                locked_out=True,
            )
        super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        AccessAttempt.objects.filter(username=user.get_username()).delete()


def lockout_ends_at(request, credentials=None):
    """When the lock that refused this attempt lifts (aware datetime).

    For the username and for the address, the lock lifts when the records still counting add
    up to less than the limit: when the record that made the count reach it, newest first,
    leaves the cool-off. The later of the two.
    """
    cool_off = get_cool_off(request)
    attempts = _counting_attempts(request)
    counters = (
        (attempts.filter(username=get_client_username(request, credentials)),
         settings.PTI_LOGIN_FAILURES_PER_ACCOUNT),
        (attempts.filter(ip_address=request.axes_ip_address),
         settings.PTI_LOGIN_FAILURES_PER_ADDRESS),
    )  # fmt: skip
    ends = []
    for records, limit in counters:
        total = 0
        rows = records.order_by("-attempt_time").values_list("attempt_time", "failures_since_start")
        for attempt_time, failures in rows:
            total += failures
            if total >= limit:
                ends.append(attempt_time + cool_off)
                break
    return max(ends, default=timezone.now() + cool_off)


def lockout_minutes(request, credentials=None):
    """Whole minutes left before the lock lifts, rounded up, at least 1."""
    seconds = (lockout_ends_at(request, credentials) - timezone.now()).total_seconds()
    return max(1, math.ceil(seconds / 60))


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the login page, empty, with the wait, as HTTP 429.

    Nothing in it depends on the username typed (not even the username itself), so that the
    answer does not tell whether an account exists. The Django admin's login gets it too.
    """
    context = {
        "form": LoginForm(request),
        "lockout_minutes": lockout_minutes(request, credentials),
    }
    return render(request, "pti/login.html", context, status=429)


def login_failures(*, day_from=None, day_to=None, username=""):
    """Failed logins grouped by day (Europe/Paris), username typed and address, newest first.

    Rows: dicts with `day` (date), `username`, `ip_address`, `failures` (count), `last`
    (datetime of the last failure) and `locked_out` (whether one of them was refused by a
    lock). `day_from`, `day_to`: dates, inclusive; `username`: part of the username typed,
    any case. Read from django-axes' AccessFailureLog (kept for the pilot and IT).
    """
    failures = AccessFailureLog.objects.annotate(
        day=TruncDate("attempt_time", tzinfo=timezone.get_current_timezone())
    )
    if day_from:
        failures = failures.filter(day__gte=day_from)
    if day_to:
        failures = failures.filter(day__lte=day_to)
    if username:
        failures = failures.filter(username__icontains=username)
    return (
        failures.values("day", "username", "ip_address")
        .annotate(
            failures=Count("id"),
            last=Max("attempt_time"),
            locked_out=Count("id", filter=Q(locked_out=True)),
        )
        .order_by("-day", "-last", "username")
    )


def current_lockouts():
    """The usernames and addresses that wait now, with their count and the end of the wait.

    Rows: dicts with `kind` (« identifiant » or « adresse »), `value`, `failures` and `until`
    (aware datetime). From django-axes' AccessAttempt records still counting.
    """
    now = timezone.now()
    cool_off = get_cool_off()
    attempts = AccessAttempt.objects.filter(attempt_time__gte=now - cool_off)
    rows = []
    for kind, field, limit in (
        ("identifiant", "username", settings.PTI_LOGIN_FAILURES_PER_ACCOUNT),
        ("adresse", "ip_address", settings.PTI_LOGIN_FAILURES_PER_ADDRESS),
    ):
        grouped = (
            attempts.values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit)
            .order_by("-last")
        )
        rows.extend(
            {
                "kind": kind,
                "value": row[field],
                "failures": row["failures"],
                "until": row["last"] + cool_off,
            }
            for row in grouped
        )
    return sorted(rows, key=lambda row: row["until"], reverse=True)


# --- The second factor -------------------------------------------------------------------


def second_factor_required(user):
    """Whether the user must log in with a second factor: their role is in
    PTI_OTP_REQUIRED_ROLES, or they may enter the Django admin (is_staff) while a second factor
    is required of anyone — the admin reaches every account, whatever the account's role."""
    required = settings.PTI_OTP_REQUIRED_ROLES
    return user.role in required or (bool(required) and user.is_staff)


def confirmed_totp_device(user):
    """The user's TOTP device in use, or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def has_second_factor(request):
    """Whether the logged-in user has a second factor to give, as noted at login."""
    if SESSION_HAS_SECOND_FACTOR not in request.session:
        request.session[SESSION_HAS_SECOND_FACTOR] = confirmed_totp_device(request.user) is not None
    return request.session[SESSION_HAS_SECOND_FACTOR]


def note_second_factor(request, *, present):
    """Record in the session that the user now has (or no longer has) a second factor."""
    request.session[SESSION_HAS_SECOND_FACTOR] = present


def start_session(sender, request, user, **kwargs):
    """user_logged_in receiver: the session notes when it began and whether the account has a
    second factor, so that no page needs a query to know it. Every login goes through it: the
    login page, the admin's, a test client's."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session[SESSION_LOGIN_AT] = int(time.time())
    session[SESSION_HAS_SECOND_FACTOR] = confirmed_totp_device(user) is not None


def pending_step(request):
    """What the logged-in user must do before any other page: the URL name of the page that
    does it, or None.

    First the second factor (give a code, or set one up if the role requires it), then the
    password when IT set it.
    """
    user = request.user
    if not user.is_verified():
        if has_second_factor(request):
            return "pti:second_factor"
        if second_factor_required(user):
            return "pti:second_factor_enrol"
    if user.must_change_password:
        return "pti:password_change"
    return None


def redirect_to(request, url_name):
    """A redirect to `url_name` that comes back to the page asked for (a GET), or for htmx to
    the page the fragment was asked from, which the browser then loads whole."""
    url = reverse(url_name)
    if request.headers.get("HX-Request"):
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        if current.path and current.netloc in ("", request.get_host()):
            back = current.path + (f"?{current.query}" if current.query else "")
            url += "?" + urlencode({"next": back})
        return HttpResponseClientRedirect(url)
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return redirect(url)


class AccountSecurityMiddleware:
    """Ends sessions past their absolute age; holds a logged-in user on the page of what they
    must do first (second factor, own password). Placed after the authentication, OTP and
    messages middleware, and after LoginRequiredMiddleware, which deals with anonymous
    visitors first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            login_at = request.session.setdefault(SESSION_LOGIN_AT, int(time.time()))
            if time.time() - login_at > settings.PTI_SESSION_MAX_HOURS * 3600:
                logout(request)
                messages.warning(
                    request, SESSION_EXPIRED_MESSAGE.format(hours=settings.PTI_SESSION_MAX_HOURS)
                )
                return redirect_to(request, "pti:login")
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if name in ALWAYS_OPEN:
            return None
        if name in SECOND_FACTOR_PAGES:
            # They decide for themselves: enrolment refuses an account that already has a
            # device, the code page lets a verified session through.
            return None
        step = pending_step(request)
        if step is None or name == step:
            return None
        return redirect_to(request, step)


def check_second_factor_roles(app_configs, **kwargs):
    """`manage.py check --deploy`: a production server where no role needs a second factor."""
    if settings.DEBUG or settings.PTI_OTP_REQUIRED_ROLES:
        return []
    return [
        checks.Warning(
            "Aucun rôle n'exige la double authentification (PTI_OTP_REQUIRED_ROLES=none) alors "
            "que DJANGO_DEBUG est désactivé.",
            hint=(
                "En production, laissez la valeur par défaut (pilot,manager,admin) ou nommez "
                "les rôles qui l'exigent ; « none » ne convient qu'à une démonstration."
            ),
            id="pti.W001",
        )
    ]
