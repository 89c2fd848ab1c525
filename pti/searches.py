"""Searches that never travel in a URL.

A name, a CAF number or a birth date typed in a search box is personal data: in a query
string it would land in the server's access log, the browser's history and the Referer of the
next request. So search forms are posted; the text is kept in the user's session under a
short random handle, and the page is redirected to a URL that carries only the handle
(`?recherche=Xy3…`). The handle means nothing outside this session and expires with it.
"""

import secrets

from django.http import QueryDict

SESSION_KEY = "pti_searches"
HANDLE_PARAMETER = "recherche"
KEPT = 20  # the most recent searches of a session that pagination and "back" can still reach


def remember(request, text):
    """Keep `text` (a str) in the session; return its handle (a str of 11 URL-safe
    characters), or "" for an empty text."""
    text = (text or "").strip()
    if not text:
        return ""
    kept = request.session.get(SESSION_KEY, {})
    for handle, known in kept.items():
        if known == text:
            return handle
    handle = secrets.token_urlsafe(8)
    kept[handle] = text
    request.session[SESSION_KEY] = dict(list(kept.items())[-KEPT:])
    return handle


def recall(request, handle):
    """The text kept under `handle` in this session, or None when there is none (another
    session's handle, an expired session, a typo)."""
    if not handle:
        return None
    return request.session.get(SESSION_KEY, {}).get(handle)


def redirect_query(request, *, text_field, fields):
    """The query string for the page after a posted search: the posted `fields` (a list of
    names) as they are, the posted `text_field` replaced by its handle."""
    query = QueryDict(mutable=True)
    for name in fields:
        if name == text_field:
            continue
        for value in request.POST.getlist(name):
            if value != "":
                query.appendlist(name, value)
    handle = remember(request, request.POST.get(text_field, ""))
    if handle:
        query[HANDLE_PARAMETER] = handle
    return query.urlencode()


def resolved_query(request, *, text_field):
    """request.GET with the handle replaced by the text it stands for (under `text_field`),
    and any `text_field` of the URL itself dropped: a search typed in a URL is not read.
    Returns (QueryDict, whether a handle was given but is unknown here)."""
    query = request.GET.copy()
    query.pop(text_field, None)
    handle = query.pop(HANDLE_PARAMETER, [""])[0]
    text = recall(request, handle)
    if text:
        query[text_field] = text
    return query, bool(handle) and text is None
