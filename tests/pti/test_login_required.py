"""Every page needs a logged-in user, except the login page itself and the accessibility
statement it links to (RGAA: the statement is reachable by everyone)."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

PUBLIC_URL_NAMES = {"pti:login", "admin:login", "pti:accessibility"}
ADMIN_LOGIN = reverse("admin:login")


def iter_patterns(resolver, prefix="", namespace=None):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            if ns and namespace and pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}"
            yield from iter_patterns(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield (
                prefix + str(pattern.pattern),
                (f"{namespace}:{pattern.name}" if namespace else pattern.name),
            )


def example_path(route):
    """A concrete path for a route: each converter gets a plausible value."""
    route = route.lstrip("^").rstrip("$")
    route = re.sub(r"<export:\w+>", "csv", route)
    route = re.sub(r"<int:\w+>|<path:\w+>(?=/|$)", "1", route)
    route = re.sub(r"<slug:\w+>|<str:\w+>|<\w+>", "x", route)
    route = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    route = route.replace("\\", "")
    return "/" + route


ALL_PATTERNS = sorted(set(iter_patterns(get_resolver())))


def test_the_project_has_urls_to_check():
    names = {name for _, name in ALL_PATTERNS}
    assert {"pti:home", "pti:login", "admin:index"} <= names


@pytest.mark.parametrize(("route", "name"), ALL_PATTERNS, ids=[r for r, _ in ALL_PATTERNS])
def test_anonymous_visitor_is_sent_to_login(client, route, name):
    if name in PUBLIC_URL_NAMES:
        assert client.get(example_path(route)).status_code == 200
        return
    path = example_path(route)
    response = client.get(path)
    assert response.status_code == 302, f"{path} answered {response.status_code}"
    assert response.url.startswith((reverse("pti:login"), ADMIN_LOGIN)), (
        f"{path} redirects to {response.url}"
    )


def test_a_post_from_an_anonymous_visitor_changes_nothing_and_goes_to_login(client):
    response = client.post(reverse("pti:home"), {"anything": "1"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("pti:login"))
