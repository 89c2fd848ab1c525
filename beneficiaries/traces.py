"""Traces of every look at people, as the CNIL expects of a social-accompaniment file
(référentiel « accompagnement social » 2021: who, when, what operation, which file; kept 6 to
12 months, `PTI_FILE_ACCESS_RETENTION_DAYS`):

- a file read or written: `FileAccess` (`beneficiaries.services.record_access`);
- several people at once (a list, a search, an inbox, an import preview): `ListAccess`, with
  the criteria, a searched text only as its kind and a keyed fingerprint, and how many people
  were shown;
- an attempt to open a file, a prescription or an obstacle outside the user's scope or role:
  `RefusedAccess`, written by `RefusedAccessMiddleware` once the request's transaction has
  been rolled back (the refusal is an exception), for the views marked `refusals_traced`.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.crypto import salted_hmac

from beneficiaries.allocataire import stored_forms
from beneficiaries.enums import PeopleView
from beneficiaries.models import ListAccess, RefusedAccess
from beneficiaries.search import normalise, parse_date

FINGERPRINT_SALT = "pti.beneficiaries.traces.search"


def search_kind(text):
    """What a search text looks like: "date de naissance", "n° d'allocataire" or "nom"."""
    text = (text or "").strip()
    if parse_date(text):
        return "date de naissance"
    if text.replace(" ", "").isdigit():
        return "n° d'allocataire"
    return "nom"


def search_fingerprint(text):
    """A keyed fingerprint (32 hex characters) of a searched text, the same however it was
    typed (accents, case, order of the words, leading zeros, date format), from which the text
    cannot be read back without the server's secret key. "" for an empty text."""
    text = (text or "").strip()
    if not text:
        return ""
    birth_date = parse_date(text)
    if birth_date:
        canonical = birth_date.isoformat()
    elif text.replace(" ", "").isdigit():
        digits = text.replace(" ", "")
        canonical = ",".join(sorted(stored_forms(digits))) or digits
    else:
        canonical = " ".join(sorted(normalise(text).split()))
    return salted_hmac(FINGERPRINT_SALT, canonical, algorithm="sha256").hexdigest()[:32]


def record_list_access(*, user, view, shown, total, criteria=None, search_text=""):
    """Trace a look at several people: `view` a PeopleView, `shown` and `total` numbers of
    people (on the page, and matching), `criteria` {label: value shown to the user} without any
    personal data, `search_text` the searched name/number/date (kept only as its kind and
    fingerprint)."""
    criteria = dict(criteria or {})
    if search_text:
        criteria["recherche"] = search_kind(search_text)
    return ListAccess.objects.create(
        user=user,
        view=PeopleView(view),
        filters=criteria,
        search_fingerprint=search_fingerprint(search_text),
        shown=shown,
        total=total,
    )


def refusals_traced(target):
    """Mark a view whose URL names a person's file, prescription or obstacle (its `pk`): a 403
    or 404 it raises is traced as a refused attempt (`target`, a RefusedTarget). Put it above
    `role_required`, so that a refusal by role is traced too."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except (Http404, PermissionDenied) as refusal:
                refusal.refused_access = (target, kwargs.get("pk"))
                raise

        return wrapper

    return decorator


class RefusedAccessMiddleware:
    """Writes the `RefusedAccess` of a refusal marked by `refusals_traced`. It runs after the
    view's transaction was rolled back, so the trace is kept although the request failed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        marked = getattr(exception, "refused_access", None)
        if marked is None or not request.user.is_authenticated:
            return None
        target, object_id = marked
        if object_id is None:
            return None
        match = request.resolver_match
        RefusedAccess.objects.create(
            user=request.user,
            target=target,
            object_id=object_id,
            page=match.view_name if match else request.path[:80],
            status=403 if isinstance(exception, PermissionDenied) else 404,
        )
        return None  # Django answers the 403 or 404 page as usual
