"""The main navigation: what each role finds in the header.

An entry names a URL and the roles it is shown to. Showing a link is a convenience only:
every view checks the user's role and scopes its queries itself.
"""

from dataclasses import dataclass

from django.urls import reverse

from pti.enums import Role
from pti.permissions import PACT_READERS, PILOTS

ALL_ROLES = frozenset(Role.values)
PRESCRIBERS = frozenset({Role.REFERENT, Role.MANAGER})
OPERATORS = frozenset({Role.OPERATOR})
REFERENTS = frozenset({Role.REFERENT})
PARTNERS = frozenset({Role.PARTNER})
MANAGERS = frozenset({Role.MANAGER, Role.PILOT})
FILE_READERS = frozenset({Role.PILOT, Role.MANAGER, Role.REFERENT})


@dataclass(frozen=True)
class NavEntry:
    """A header link: its `label`, the view `url_name` it leads to, the `roles` it is shown
    to, and `sections`: other path prefixes whose pages belong to it (a référent's person
    file, /beneficiaires/<pk>/, is reached from « Mon portefeuille »)."""

    label: str
    url_name: str
    roles: frozenset
    sections: tuple = ()


NAVIGATION = (
    NavEntry("Accueil", "pti:home", ALL_ROLES),
    NavEntry(
        "Mon portefeuille",
        "beneficiaries:portfolio",
        REFERENTS,
        sections=("/beneficiaires/", "/suivis-apres-sortie/", "/freins/", "/prescriptions/"),
    ),
    NavEntry("Bénéficiaires", "beneficiaries:list", FILE_READERS),
    NavEntry("Référents", "beneficiaries:caseload", MANAGERS),
    # A référent reaches it from the counter of « Mon portefeuille ».
    NavEntry("Suivis après sortie", "beneficiaries:exit_follow_ups", MANAGERS),
    NavEntry("Réorientations", "beneficiaries:reorientation_list", MANAGERS),
    NavEntry("Prescriptions reçues", "beneficiaries:operator_inbox", OPERATORS),
    NavEntry("Pacte", "pti:pact_list", PACT_READERS),
    NavEntry("Offre d'insertion", "actions:action_list", PILOTS),
    NavEntry(
        "Catalogue des actions", "actions:catalogue", frozenset({Role.REFERENT, Role.MANAGER})
    ),
    NavEntry(
        "Mes actions",
        "actions:my_actions",
        frozenset({Role.OPERATOR}),
        sections=("/operateur/actions/",),
    ),
    NavEntry("Évaluation", "evaluation:dashboard", PILOTS | PARTNERS),
    NavEntry("Mes engagements", "evaluation:partner_commitments", PARTNERS),
    NavEntry("Conventions", "signatories:convention_list", PILOTS),
    NavEntry("Gouvernance", "signatories:body_list", PILOTS),
    NavEntry("Organisations", "pti:organisation_list", PILOTS),
    # Its tabs lead to the refused attempts and the failed logins.
    NavEntry("Journal des accès", "beneficiaries:journal", PILOTS),
)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    is_current: bool


def _matches(url, path):
    """Whether the page at `path` lies under the navigation entry at `url` ("/" only itself)."""
    return path == url or (url != "/" and path.startswith(url))


def navigation_for(request):
    """The role's entries, as NavLinks; at most one is current: the entry with the longest
    address or section that starts the page's path, so that « Mes engagements »
    (/evaluation/engagements/) is highlighted alone rather than with « Évaluation »
    (/evaluation/)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    entries = [(entry, reverse(entry.url_name)) for entry in NAVIGATION if user.role in entry.roles]
    matching = [
        (len(prefix), url)
        for entry, url in entries
        for prefix in (url, *entry.sections)
        if _matches(prefix, request.path)
    ]
    current = max(matching, default=(0, None))[1]
    return [NavLink(entry.label, url, url == current) for entry, url in entries]
