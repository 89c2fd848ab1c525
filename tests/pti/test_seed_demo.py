from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from beneficiaries.models import Beneficiary
from evaluation.models import Snapshot
from pti.enums import OrganisationKind, Role
from pti.models import Commune, Objective, Organisation, Orientation, Pact, Territory, User

pytestmark = pytest.mark.django_db

DEMO_USERNAMES = {"pilote", "responsable", "referent", "operateur", "partenaire", "admin"}
# What the tests of the accounts and options need, without the time of the whole demo.
SMALL = ("--beneficiaries", "50", "--no-snapshots")


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Territory,
            Commune,
            Organisation,
            User,
            Pact,
            Orientation,
            Objective,
            Beneficiary,
            Snapshot,
        )
    }


def test_seed_demo_builds_a_plausible_department():
    seed()
    assert Territory.objects.count() >= 4
    assert Organisation.objects.filter(kind=OrganisationKind.DEPARTEMENT).count() == 1
    partners = Organisation.objects.exclude(kind=OrganisationKind.DEPARTEMENT)
    assert partners.count() >= 20
    kinds = set(partners.values_list("kind", flat=True))
    assert {
        "etat",
        "region",
        "caf",
        "msa",
        "france_travail",
        "plie",
        "mission_locale",
        "ccas",
        "association",
        "siae",
    } <= kinds

    pact = Pact.objects.get(period_start=2016, period_end=2020, version=1)
    assert list(pact.orientations.values_list("title", flat=True)) == [
        "Partage de la connaissance",
        "Levée des freins liés à la santé",
        "Levée des freins périphériques à l'emploi",
        "Accompagnement des publics vers et dans l'emploi",
        "Développement de l'emploi et des relations avec le monde économique",
    ]
    objectives = Objective.objects.filter(orientation__pact=pact)
    assert sorted(objectives.values_list("title", flat=True)) == sorted(
        [
            "Lever les freins sociaux",
            "Se (re)mobiliser pour se remettre en activité",
            "Renforcer son projet de retour à l'emploi",
            "Accéder à la qualification",
            "Créer son activité",
            "Accéder à l'emploi",
        ]
    )


def test_seed_demo_creates_one_account_per_role_and_prints_them():
    output = seed(*SMALL)
    users = {user.username: user for user in User.objects.filter(username__in=DEMO_USERNAMES)}
    assert set(users) == DEMO_USERNAMES
    assert {user.role for user in users.values()} == set(Role.values)
    for username in DEMO_USERNAMES:
        assert username in output
        assert users[username].check_password("demo-pti-2026")
    assert "Mot de passe : demo-pti-2026" in output
    assert users["admin"].is_superuser
    assert users["admin"].is_staff
    assert not users["pilote"].is_staff


def test_seed_demo_twice_changes_nothing():
    seed()
    first = counts()
    assert first["Beneficiary"] == 2000
    assert first["Snapshot"] >= 2  # each past year of the pact's data, arrêté
    seed()
    assert counts() == first


def test_no_snapshots_leaves_the_past_years_open():
    output = seed(*SMALL)
    assert not Snapshot.objects.exists()
    assert "chiffres de 0 années passées" in output


def test_password_option_changes_every_demo_password():
    seed(*SMALL)
    output = seed(*SMALL, "--password", "autre-mot-de-passe")
    assert "Mot de passe : autre-mot-de-passe" in output
    assert all(
        user.check_password("autre-mot-de-passe")
        for user in User.objects.filter(username__in=DEMO_USERNAMES)
    )


def test_dry_run_writes_nothing():
    output = seed(*SMALL, "--dry-run")
    assert "rien n'a été enregistré" in output
    assert Pact.objects.count() == 0
    assert User.objects.count() == 0


def test_seed_demo_is_refused_on_a_production_server(settings):
    settings.PTI_DEMO_ALLOWED = False
    with pytest.raises(CommandError, match="refusées sur un serveur de production"):
        seed()
    assert User.objects.count() == 0
