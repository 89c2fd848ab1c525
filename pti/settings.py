"""Settings of PTI, read from the environment only.

Every value comes from an environment variable (or a `.env` file beside `manage.py`). The
defaults are production's: without DJANGO_DEBUG=true, a secret key and the server's names
are required. `make run` and `make test` write DJANGO_DEBUG=true in a new `.env`, so that
`manage.py` works by hand in a development checkout. A malformed value stops start-up with an
`ImproperlyConfigured` that says which variable is wrong and what it should be.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from pti.enums import Role

BASE_DIR = Path(__file__).resolve().parent.parent

# PTI_ENV_FILE names another file (the tests name none: a developer's .env never reaches them).
ENV_FILE = Path(os.environ.get("PTI_ENV_FILE", "").strip() or BASE_DIR / ".env")
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE)

_TRUE = {"1", "true", "yes", "on", "oui", "vrai"}
_FALSE = {"0", "false", "no", "off", "non", "faux"}


def env_bool(name, default):
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} doit valoir « true » ou « false » (valeur reçue : {raw!r})."
    )


def env_int(name, default, *, minimum=0):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} doit être un nombre entier (valeur reçue : {raw!r})."
        ) from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} doit être supérieur ou égal à {minimum}.")
    return value


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_roles(name, default):
    """A set of role codes from a comma-separated list; « none » (or « aucun ») for no role."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return frozenset(str(code) for code in default)
    if raw.lower() in {"none", "aucun"}:
        return frozenset()
    codes = [item.strip() for item in raw.split(",") if item.strip()]
    unknown = [code for code in codes if code not in Role.values]
    if unknown:
        raise ImproperlyConfigured(
            f"{name} : rôle inconnu {', '.join(unknown)} ; les rôles sont "
            f"{', '.join(Role.values)}, séparés par des virgules, ou « none » pour aucun."
        )
    return frozenset(codes)


def database_from_url(url):
    """Django's DATABASES entry for `url`, or a clear error naming what is wrong."""
    supported = {
        "django.db.backends.postgresql": "postgres://utilisateur:motdepasse@hôte:5432/base",
        "django.db.backends.sqlite3": "sqlite:////chemin/absolu/pti.sqlite3",
    }
    example = " ou ".join(supported.values())
    if "://" not in url:
        raise ImproperlyConfigured(
            f"DATABASE_URL n'est pas une adresse de base de données ; exemple attendu : {example}."
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:
        raise ImproperlyConfigured(
            f"DATABASE_URL est mal formée ({exc}) ; exemple : {example}."
        ) from None
    if config.get("ENGINE") not in supported:
        scheme = url.split("://", 1)[0]
        raise ImproperlyConfigured(
            f"DATABASE_URL : le type de base « {scheme} » n'est pas pris en charge "
            f"(PostgreSQL ou SQLite) ; exemple : {example}."
        )
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"DATABASE_URL ne nomme pas de base ; exemple : {example}.")
    config["ATOMIC_REQUESTS"] = True
    config["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 0)
    config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"] == "django.db.backends.postgresql":
        # The JIT compiler costs hundreds of milliseconds on the lists' queries and saves none;
        # the indicators' grouped queries sort in memory with a little more than the default.
        config.setdefault("OPTIONS", {})["options"] = "-c jit=off -c work_mem=16MB"
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Several requests at once (the browser tests, a second tab) wait for the lock
        # instead of failing with "database is locked".
        config["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    return config


def contrast_ratio_with_white(hex_colour):
    """WCAG contrast ratio between `hex_colour` (#rrggbb) and white."""

    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
    return 1.05 / (luminance + 0.05)


# --- Core ------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)
# In debug mode, Django's English technical 404/500 pages instead of the French ones.
PTI_TECHNICAL_ERROR_PAGES = env_bool("PTI_TECHNICAL_ERROR_PAGES", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY n'est pas définie. En production, donnez-lui une longue valeur "
            "aléatoire (par exemple : "
            'python -c "import secrets; print(secrets.token_urlsafe(50))"). '
            "Sur un poste de développement, DJANGO_DEBUG=true (variable d'environnement, ou "
            "ligne du fichier .env à côté de manage.py, qu'écrivent make run et make test) "
            "utilise une clé de développement."
        )
    SECRET_KEY = "dev-only-insecure-key-never-used-when-debug-is-off"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS n'est pas définie : indiquez le ou les noms du serveur, séparés par "
        "des virgules (par exemple ALLOWED_HOSTS=pti.departement.fr)."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The project's apps, in the direction of their imports: each imports only from its left.
PTI_APPS = ["pti", "signatories", "actions", "beneficiaries", "evaluation", "home"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "django_filters",
    "import_export",
    "django_htmx",
    "pti.third_party_apps.AuditlogConfig",
    "csp",
    "axes",
    "django_otp",
    "pti.third_party_apps.TotpConfig",
    "pti.third_party_apps.StaticCodesConfig",
    "django_tasks",
    "pti.third_party_apps.TasksDatabaseConfig",
    *PTI_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before whitenoise, so that static files carry these headers too.
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "pti.headers.CrossOriginResourcePolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Answers no cache may keep (pages, fragments, exports, PDFs): may hold personal data.
    "pti.middleware.PrivateResponseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Session age, second factor, password to choose: after the login and the messages.
    "pti.authentication.AccountSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Inside the CSP middleware, so that the French error page is rendered with its nonce.
    "pti.middleware.FrenchErrorPagesMiddleware",
    # A NUL character in a parameter: 400 before any view reads it (its page needs the nonce).
    "pti.middleware.RejectNulCharactersMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Writes the trace of a refused look at a file, once the view's transaction is undone.
    "beneficiaries.traces.RefusedAccessMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the French 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pti.urls"
FORM_RENDERER = "pti.forms_renderer.PtiFormRenderer"
WSGI_APPLICATION = "pti.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "pti.context_processors.layout",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A run's progress is written outside the run's transaction, on a connection of its own
    # (pti.runs.Progress), so that its page moves while the work goes on. SQLite takes one
    # writer at a time: there the page shows the work's end only.
    DATABASES["progress"] = {**DATABASES["default"], "ATOMIC_REQUESTS": False}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background work -------------------------------------------------------------------
# Django's tasks framework (django-tasks on Django 5.2) with its database backend: a worker
# (`manage.py db_worker`, started by `make run` beside the server) takes the tasks from the
# database, SQLite or PostgreSQL alike; several workers on several machines share one
# PostgreSQL. See pti/runs.py.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A run whose worker has not reported for this long (seconds) is shown interrupted, and may
# be started again; a worker on the same machine that died is seen at once.
PTI_RUN_STALL_SECONDS = env_int("PTI_RUN_STALL_SECONDS", 15 * 60, minimum=60)
# The file an import run was given (people, for most) is deleted this many days after the
# run ended, with the errors it listed (pti.runs.purge_run_files, from apply_retention).
PTI_RUN_FILE_RETENTION_DAYS = env_int("PTI_RUN_FILE_RETENTION_DAYS", 30, minimum=1)
# A run writes its progress at most this often (seconds).
PTI_RUN_PROGRESS_SECONDS = 1

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts --------------------------------------------------------------------------

AUTH_USER_MODEL = "pti.User"
LOGIN_URL = "pti:login"
LOGIN_REDIRECT_URL = "pti:home"
LOGOUT_REDIRECT_URL = "pti:login"
# django-axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# OWASP ASVS 5.0 (6.2): at least 12 characters, not a common or all-numeric password, not close
# to the person's own names or e-mail. Django's messages come out in French (LANGUAGE_CODE).
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        # The full name too: « sophiedurand2026 » is too close to Sophie Durand.
        "OPTIONS": {
            "user_attributes": ["username", "first_name", "last_name", "email", "full_name"]
        },
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions (ASVS 7.3): they end after PTI_SESSION_IDLE_MINUTES without a request (the expiry
# moves with every request) and PTI_SESSION_MAX_HOURS after the login whatever the activity
# (pti.authentication.AccountSecurityMiddleware), and with the browser.
PTI_SESSION_IDLE_MINUTES = env_int("PTI_SESSION_IDLE_MINUTES", 30, minimum=5)
PTI_SESSION_MAX_HOURS = env_int("PTI_SESSION_MAX_HOURS", 12, minimum=1)
SESSION_COOKIE_AGE = PTI_SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login throttling (django-axes, ASVS 6.3.1): PTI_LOGIN_FAILURES_PER_ACCOUNT failures on one
# username, or PTI_LOGIN_FAILURES_PER_ADDRESS from one address, each within
# PTI_LOGIN_COOLOFF_MINUTES of the previous one, make that username or address wait
# PTI_LOGIN_COOLOFF_MINUTES after its last failure. Never a permanent lock: an attacker could
# use one to lock people out. Failures are kept in the database (pilot page « Échecs de
# connexion », Django admin); `manage.py axes_reset_username <identifiant>` unlocks early.
PTI_LOGIN_FAILURES_PER_ACCOUNT = env_int("PTI_LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=3)
PTI_LOGIN_FAILURES_PER_ADDRESS = env_int("PTI_LOGIN_FAILURES_PER_ADDRESS", 20, minimum=5)
PTI_LOGIN_COOLOFF_MINUTES = env_int("PTI_LOGIN_COOLOFF_MINUTES", 15, minimum=1)
if PTI_LOGIN_FAILURES_PER_ACCOUNT > PTI_LOGIN_FAILURES_PER_ADDRESS:
    raise ImproperlyConfigured(
        "PTI_LOGIN_FAILURES_PER_ACCOUNT doit être inférieur ou égal à "
        "PTI_LOGIN_FAILURES_PER_ADDRESS : une adresse essaie au moins autant qu'un compte."
    )
# Reverse proxies in front of gunicorn that each add the address they received the request
# from to X-Forwarded-For (nginx: proxy_add_x_forwarded_for). 0: the client is REMOTE_ADDR.
PTI_TRUSTED_PROXY_COUNT = env_int("PTI_TRUSTED_PROXY_COUNT", 0)
AXES_ENABLED = True
AXES_HANDLER = "pti.authentication.LoginThrottlingHandler"
# Two counters, each with its own limit (pti.authentication.failure_limit).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = "pti.authentication.failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=PTI_LOGIN_COOLOFF_MINUTES)
# A successful login forgives its own account's failures only (the handler does it), never
# the other usernames tried from the same address.
AXES_RESET_ON_SUCCESS = False
# An attempt during a wait is refused without being counted: the wait does not grow, so the
# page says truly when to come back (and an attacker cannot keep an account locked by trying
# once in a while). The handler still logs the refused attempt.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "pti.authentication.lockout_response"
AXES_CLIENT_IP_CALLABLE = "pti.authentication.client_address"
# Axes' own log lines name neither the username nor the address.
AXES_VERBOSE = False

# Second factor (django-otp, ASVS 6.4): TOTP with static recovery codes. Required for the roles
# in PTI_OTP_REQUIRED_ROLES (comma-separated codes, or « none » for none: the demo of
# `make run`), offered to the others from « Mon compte ». `check --deploy` warns when no role
# requires it on a production server.
PTI_OTP_REQUIRED_ROLES = env_roles("PTI_OTP_REQUIRED_ROLES", [Role.PILOT, Role.MANAGER, Role.ADMIN])
OTP_TOTP_ISSUER = f"PTI {os.environ.get('PTI_DEPARTMENT_NAME', '').strip() or 'Loire'}"
# Wrong codes make the next try wait 1, 2, 4, 8... seconds (django-otp's throttling).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# The admin never shows a TOTP secret nor its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Language, time, formats -----------------------------------------------------------

LANGUAGE_CODE = "fr-fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["pti.formats"]

# --- Static files ----------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", "").strip() or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", "").strip() or BASE_DIR / "media")
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# On a developer's machine whitenoise serves the files where they are, without collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security --------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
# A __Host- cookie is Secure, for Path=/ and this host only (no Domain): browsers refuse it
# otherwise, so the prefix goes with the Secure flag (not on plain HTTP in development).
SESSION_COOKIE_NAME = "__Host-sessionid" if SESSION_COOKIE_SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if CSRF_COOKIE_SECURE else "csrftoken"
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = "/"
SESSION_COOKIE_DOMAIN = CSRF_COOKIE_DOMAIN = None
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Cross-Origin-Resource-Policy on every response (pti.headers).
PTI_CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"
# No page uses these browser features: denied to the pages and to anything they might embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    # The reverse proxy terminates TLS and says so in this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Nothing is loaded from another server: scripts, styles, fonts and images are ours.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Logging: no personal data is ever logged; records say who and what, by ids. -------

# Every handler redacts what may still carry personal data (pti.log_privacy): query strings,
# database error details, e-mails, phones, dates, CAF numbers. Django's own loggers are routed
# here too, so that none keeps a handler of its default configuration.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_personal_data": {"()": "pti.log_privacy.RedactPersonalData"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- The département -------------------------------------------------------------------

PTI_DEPARTMENT_NAME = os.environ.get("PTI_DEPARTMENT_NAME", "").strip() or "Loire"
PTI_DEPARTMENT_CODE = os.environ.get("PTI_DEPARTMENT_CODE", "").strip() or "42"
# Where the pact is signed ("Fait à ..."): the seat of the conseil départemental.
PTI_DEPARTMENT_SEAT = os.environ.get("PTI_DEPARTMENT_SEAT", "").strip() or "Saint-Étienne"
# Path of the logo under static/, or empty for none.
PTI_LOGO = os.environ.get("PTI_LOGO", "").strip()
PTI_BRAND_COLOUR = os.environ.get("PTI_BRAND_COLOUR", "").strip() or "#1d4f7c"
if not re.fullmatch(r"#[0-9a-fA-F]{6}", PTI_BRAND_COLOUR):
    raise ImproperlyConfigured(
        "PTI_BRAND_COLOUR doit être une couleur #rrggbb (par exemple #1d4f7c)."
    )
if contrast_ratio_with_white(PTI_BRAND_COLOUR) < 4.5:
    raise ImproperlyConfigured(
        f"PTI_BRAND_COLOUR {PTI_BRAND_COLOUR} est trop claire : le texte blanc posé dessus doit "
        "avoir un contraste d'au moins 4,5:1 (RGAA 3.2). Choisissez une couleur plus foncée."
    )

# seed_demo creates accounts with a shared, printed password: never on a production server.
PTI_DEMO_ALLOWED = env_bool("PTI_DEMO_ALLOWED", DEBUG)

# --- The parcours: legal deadlines (DOMAIN.md), as settings since they may change ----------

PTI_DELAYS = {
    # Orientation: 6 weeks after the département learns the right is open.
    "orientation": {"weeks": env_int("PTI_DELAY_ORIENTATION_WEEKS", 6, minimum=1)},
    # Contract: 1 month after the orientation is notified (a reorientation restarts it).
    "contract": {"months": env_int("PTI_DELAY_CONTRACT_MONTHS", 1, minimum=1)},
    # Social parcours: reviewed 6 months after signing, 12 for health, disability, housing, family.
    "social_review": {"months": env_int("PTI_DELAY_SOCIAL_REVIEW_MONTHS", 6, minimum=1)},
    "social_review_long": {"months": env_int("PTI_DELAY_SOCIAL_REVIEW_LONG_MONTHS", 12, minimum=1)},
    # Shown in the portfolio: a contract ending soon, no interview for a while.
    "contract_ending": {"days": env_int("PTI_CONTRACT_ENDING_DAYS", 30, minimum=1)},
    "no_interview": {"months": env_int("PTI_NO_INTERVIEW_MONTHS", 3, minimum=1)},
}
# Every CER and PPAE must have become a contrat d'engagement by this date.
PTI_LEGACY_CONTRACTS_DEADLINE = os.environ.get("PTI_LEGACY_CONTRACTS_DEADLINE", "2027-01-01")
# The date of an event of a file (an interview, a contract's start…) is at most this many years
# after today: beyond, it is a typing error (beneficiaries/event_dates.py).
PTI_EVENT_YEARS_AHEAD = env_int("PTI_EVENT_YEARS_AHEAD", 1, minimum=1)
# People per référent above which a caseload is flagged (seed 004: 50 in the Loiret).
PTI_CASELOAD_THRESHOLD = env_int("PTI_CASELOAD_THRESHOLD", 50, minimum=1)
# A contract of this many days or more is durable employment (6 months).
PTI_DURABLE_EMPLOYMENT_DAYS = env_int("PTI_DURABLE_EMPLOYMENT_DAYS", 183, minimum=1)
# Secret statistique: no figure a partner or a reader of the pact's PDF sees may rest on fewer
# people than this, nor give back such a figure by subtraction (evaluation/disclosure.py).
# 11 is the DREES threshold and DOMAIN.md's; raise it if your DPO asks, do not lower it.
PTI_SMALL_CELL_THRESHOLD = env_int("PTI_SMALL_CELL_THRESHOLD", 11, minimum=1)
# How long the log of accesses to files is kept (CNIL: 6 to 12 months).
PTI_FILE_ACCESS_RETENTION_DAYS = env_int("PTI_FILE_ACCESS_RETENTION_DAYS", 365, minimum=180)
# A closed file stays in the active base this long after the last contact, then is anonymised
# (CNIL référentiel for social accompaniment: 2 years). `manage.py apply_retention` does it.
PTI_ACTIVE_RETENTION_DAYS = env_int("PTI_ACTIVE_RETENTION_DAYS", 730, minimum=365)
# A file without exit nor contact is shown to its référent and the pilots this many days
# before it is closed for lack of contact (then anonymised with the others).
PTI_RETENTION_NOTICE_DAYS = env_int("PTI_RETENTION_NOTICE_DAYS", 30, minimum=1)
if PTI_RETENTION_NOTICE_DAYS >= PTI_ACTIVE_RETENTION_DAYS:
    raise ImproperlyConfigured(
        f"PTI_RETENTION_NOTICE_DAYS ({PTI_RETENTION_NOTICE_DAYS}) doit être plus court que "
        f"PTI_ACTIVE_RETENTION_DAYS ({PTI_ACTIVE_RETENTION_DAYS}) : le préavis précède la clôture."
    )

# --- Imports: what an uploaded spreadsheet may weigh before it is read (pti/tabular.py) -----
# The file as sent (CSV, XLSX or ODS), in bytes.
PTI_IMPORT_MAX_BYTES = env_int("PTI_IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
# What the members of an XLSX or ODS (zip files) may add up to once inflated, in bytes: a
# zip member of a few KB can declare hundreds of MB. An XLSX of 300,000 rows of CAF contacts
# (7 columns) inflates to about 120 MB; the same as ODS, about 250 MB.
PTI_IMPORT_MAX_UNCOMPRESSED_BYTES = env_int(
    "PTI_IMPORT_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024, minimum=1024 * 1024
)
# Data rows read from one file, on any page or command (a page may take fewer: the people
# import takes 1,000). A whole-CAF contacts file, tens of thousands of rows, fits.
PTI_IMPORT_MAX_ROWS = env_int("PTI_IMPORT_MAX_ROWS", 300_000, minimum=1)
# The CNAF flux is XML, read as it streams (memory stays flat): 100,000 households weigh some
# 200 MB. The proxy must let such a request through on the flux's page.
PTI_CNAF_FLUX_MAX_BYTES = env_int("PTI_CNAF_FLUX_MAX_BYTES", 512 * 1024 * 1024, minimum=1024)

# --- The trail of changes to people's files (django-auditlog) --------------------------------
# What changed, by whom, when. Personal values are masked: the trail names the fields.
_PERSONAL = ["last_name", "birth_name", "first_name", "birth_date", "email", "phone"]
AUDITLOG_MASK_CALLABLE = "pti.audit.mask_completely"
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {
        "model": "beneficiaries.beneficiary",
        "exclude_fields": ["search_key"],
        "mask_fields": _PERSONAL,
    },
    {"model": "beneficiaries.household", "mask_fields": ["caf_number", "address"]},
    {"model": "beneficiaries.referentassignment", "mask_fields": ["note"]},
    {"model": "beneficiaries.orientationdecision", "mask_fields": ["reason"]},
    {
        "model": "beneficiaries.contract",
        "mask_fields": ["objectives", "hours_reduction_note", "revision_reason"],
    },
    {"model": "beneficiaries.interview", "mask_fields": ["note"]},
    {"model": "beneficiaries.obstacle", "mask_fields": ["note"]},
    {"model": "beneficiaries.prescription", "mask_fields": ["note", "refusal_reason", "outcome"]},
    {"model": "beneficiaries.exit", "mask_fields": ["note"]},
)
