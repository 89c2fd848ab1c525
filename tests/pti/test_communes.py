"""Communes with all their postal codes: the table and its constraints, the migration that
moved each commune's code into it, the comparison key of names, the demo's communes, the
admin, and load_communes with the official files (samples in tests/pti/files/)."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from pti.communes import OfficialCode, commune_key, read_insee_communes, read_postal_codes
from pti.demo import seed_territories
from pti.models import Commune, PostalCode
from tests.pti.factories import CommuneFactory, PostalCodeFactory, TerritoryFactory, UserFactory

FILES = Path(__file__).parent / "files"
COG = FILES / "v_commune_2024_extrait.csv"
LA_POSTE = FILES / "019HexaSmal_extrait.csv"


def codes_of(insee_code):
    return list(
        PostalCode.objects.filter(commune__insee_code=insee_code)
        .order_by("code")
        .values_list("code", flat=True)
    )


# --- One key for the names of communes ------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "Saint-Étienne",
        "SAINT-ETIENNE",
        "saint étienne",
        "St Étienne",
        "ST ETIENNE",
        "St-Etienne",
        "ST ETIENNE CEDEX",
        "Saint-Étienne Cedex 2",
        "SAINT ETIENNE CÉDEX 01",
        "  Saint--Étienne  ",
    ],
)
def test_every_way_of_writing_saint_etienne_has_one_key(written):
    assert commune_key(written) == "saint etienne"


@pytest.mark.parametrize(
    ("written", "official"),
    [
        ("STE CROIX EN JAREZ", "Sainte-Croix-en-Jarez"),
        ("L’HORME", "L'Horme"),
        ("L HORME", "L'Horme"),
        ("Talaudière (La)", "La Talaudière"),
        ("TALAUDIERE LA", "La Talaudière"),
        ("ST JUST ST RAMBERT", "Saint-Just-Saint-Rambert"),
        ("OEUILLY", "Œuilly"),
        ("Chambon-Feugerolles (Le)", "Le Chambon-Feugerolles"),
    ],
)
def test_abbreviations_articles_apostrophes_and_ligatures_compare_equal(written, official):
    assert commune_key(written) == commune_key(official)


def test_different_communes_keep_different_keys():
    assert commune_key("Saint-Chamond") != commune_key("Saint-Étienne")
    assert commune_key("Sainte-Foy") != commune_key("Saint-Foy")


# --- The table ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_commune_has_several_postal_codes_and_a_code_serves_several_communes():
    saint_etienne = CommuneFactory(insee_code="42218", name="Saint-Étienne", postal_code="42000")
    PostalCodeFactory(commune=saint_etienne, code="42100")
    roche = CommuneFactory(insee_code="42189", name="Roche-la-Molière", postal_code="42230")
    PostalCodeFactory(commune=saint_etienne, code="42230")

    assert codes_of("42218") == ["42000", "42100", "42230"]
    assert list(
        PostalCode.objects.filter(code="42230")
        .order_by("commune__name")
        .values_list("commune__name", flat=True)
    ) == ["Roche-la-Molière", "Saint-Étienne"]
    assert roche.postal_codes.get().code == "42230"


@pytest.mark.django_db
def test_the_database_refuses_a_code_twice_for_one_commune_and_a_malformed_code():
    commune = CommuneFactory(postal_code="42000")

    with pytest.raises(IntegrityError), transaction.atomic():
        PostalCode.objects.create(commune=commune, code="42000")
    with pytest.raises(IntegrityError), transaction.atomic():
        PostalCode.objects.create(commune=commune, code="4210")
    with pytest.raises(ValidationError, match="Le code postal compte cinq chiffres"):
        PostalCode(commune=commune, code="4210A").full_clean()


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_commune_s_postal_code_as_one_of_its_codes():
    executor = MigrationExecutor(connection)
    executor.migrate([("pti", "0006_table_import_runs")])
    old = executor.loader.project_state([("pti", "0006_table_import_runs")]).apps
    territory = old.get_model("pti", "Territory").objects.create(code="t", name="T")
    old.get_model("pti", "Commune").objects.create(
        insee_code="42218", name="Saint-Étienne", postal_code="42000", territory=territory
    )
    old.get_model("pti", "Commune").objects.create(
        insee_code="42187", name="Roanne", postal_code="42300", territory=territory
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert codes_of("42218") == ["42000"]
    assert codes_of("42187") == ["42300"]
    assert Commune.objects.get(insee_code="42218").postal_code == "42000"


# --- The demo's communes --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_communes_have_their_real_postal_codes_and_seeding_twice_changes_nothing():
    seed_territories()
    seed_territories()

    assert codes_of("42218") == ["42000", "42100", "42230"]
    assert Commune.objects.get(insee_code="42218").postal_code == "42000"
    assert codes_of("42189") == ["42230"]  # Roche-la-Molière shares 42230 with Saint-Étienne
    assert PostalCode.objects.filter(code="42300").count() == 2  # Roanne and Mably
    assert PostalCode.objects.get(commune__insee_code="42218", code="42100").delivery_label == (
        "ST ETIENNE"
    )
    assert PostalCode.objects.get(commune__insee_code="42218", code="42230").locality_list() == [
        "ST VICTOR SUR LOIRE"
    ]
    # Every commune's main postal code is one of its codes.
    assert not [
        commune
        for commune in Commune.objects.prefetch_related("postal_codes")
        if commune.postal_code not in {p.code for p in commune.postal_codes.all()}
    ]


# --- The admin ------------------------------------------------------------------------------


@pytest.fixture
def it(client_as):
    return client_as(UserFactory(admin=True))


@pytest.mark.django_db
def test_the_admin_shows_and_edits_a_commune_s_postal_codes_inline(it):
    commune = CommuneFactory(insee_code="42218", name="Saint-Étienne", postal_code="42000")
    url = reverse("admin:pti_commune_change", args=[commune.pk])
    main = commune.postal_codes.get()

    page = it.get(url).content.decode()
    saved = it.post(
        url,
        {
            "insee_code": "42218",
            "name": "Saint-Étienne",
            "postal_code": "42000",
            "territory": commune.territory_id,
            "postal_codes-TOTAL_FORMS": "2",
            "postal_codes-INITIAL_FORMS": "1",
            "postal_codes-0-id": main.pk,
            "postal_codes-0-commune": commune.pk,
            "postal_codes-0-code": "42000",
            "postal_codes-0-delivery_label": "ST ETIENNE",
            "postal_codes-1-commune": commune.pk,
            "postal_codes-1-code": "42100",
            "postal_codes-1-delivery_label": "ST ETIENNE",
        },
    )

    assert "Codes postaux" in page
    assert "Libellé d&#x27;acheminement" in page or "Libellé d'acheminement" in page
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert codes_of("42218") == ["42000", "42100"]


@pytest.mark.django_db
def test_the_admin_keeps_the_main_code_among_the_codes_and_finds_a_commune_by_any_code(it):
    commune = CommuneFactory(insee_code="42218", name="Saint-Étienne", postal_code="42000")
    PostalCodeFactory(commune=commune, code="42100")
    CommuneFactory(insee_code="42187", name="Roanne", postal_code="42300")
    url = reverse("admin:pti_commune_change", args=[commune.pk])

    it.post(
        url,
        {
            "insee_code": "42218",
            "name": "Saint-Étienne",
            "postal_code": "42230",  # a main code not listed yet
            "territory": commune.territory_id,
            "postal_codes-TOTAL_FORMS": "0",
            "postal_codes-INITIAL_FORMS": "0",
        },
    )
    found = it.get(reverse("admin:pti_commune_changelist"), {"q": "42100"}).content.decode()

    assert codes_of("42218") == ["42000", "42100", "42230"]
    assert "Saint-Étienne" in found
    assert "Roanne" not in found


# --- Reading the official files -------------------------------------------------------------


def test_the_cog_file_gives_the_communes_of_one_departement_only():
    communes = read_insee_communes(COG.read_bytes(), "42")

    assert communes == {
        "42001": "Aboën",
        "42002": "Ailleux",
        "42127": "Mably",
        "42187": "Roanne",
        "42189": "Roche-la-Molière",
        "42218": "Saint-Étienne",
    }  # not the commune déléguée (COMD), nor Haute-Loire's


def test_a_cog_file_with_semicolons_reads_the_same():
    data = COG.read_text(encoding="utf-8").replace(",", ";").encode("utf-8-sig")

    assert read_insee_communes(data, "42") == read_insee_communes(COG.read_bytes(), "42")


def test_la_poste_s_file_in_latin_1_gives_every_code_once_with_its_label():
    codes = read_postal_codes(LA_POSTE.read_bytes(), "42")

    assert codes["42218"] == {
        "42000": OfficialCode("ST ETIENNE"),
        "42100": OfficialCode("ST ETIENNE", ["ROCHETAILLEE"]),
        "42230": OfficialCode("ST ETIENNE", ["ST VICTOR SUR LOIRE"]),
    }
    assert codes["42189"] == {"42230": OfficialCode("ROCHE LA MOLIERE")}
    assert "43157" not in codes


def test_la_poste_s_newer_file_comma_separated_in_lower_case_reads_the_same():
    data = (
        b"code_commune_insee,nom_de_la_commune,code_postal,libelle_d_acheminement,ligne_5\n"
        b"42218,ST ETIENNE,42000,ST ETIENNE,\n"
        b"42218,ST ETIENNE,42100,ST ETIENNE,ROCHETAILLEE\n"
        b"1001,L ABERGEMENT CLEMENCIAT,1400,L ABERGEMENT CLEMENCIAT,\n"
    )

    assert read_postal_codes(data, "42") == {
        "42218": {
            "42000": OfficialCode("ST ETIENNE"),
            "42100": OfficialCode("ST ETIENNE", ["ROCHETAILLEE"]),
        }
    }
    # Leading zeros lost by a spreadsheet are restored.
    assert read_postal_codes(data, "01") == {
        "01001": {"01400": OfficialCode("L ABERGEMENT CLEMENCIAT")}
    }


# --- load_communes --------------------------------------------------------------------------


def load(*args):
    out = StringIO()
    call_command(
        "load_communes",
        "--departement",
        "42",
        "--communes",
        str(COG),
        "--codes-postaux",
        str(LA_POSTE),
        *args,
        stdout=out,
    )
    return out.getvalue()


@pytest.fixture
def known():
    """Two communes already here, in their territories; one the COG no longer lists."""
    roannais = TerritoryFactory(code="roannais", name="Roannais")
    saint_etienne = TerritoryFactory(code="saint-etienne", name="Saint-Étienne")
    CommuneFactory(
        insee_code="42218", name="Saint-Étienne", postal_code="42000", territory=saint_etienne
    )
    CommuneFactory(insee_code="42187", name="ROANNE", postal_code="42300", territory=roannais)
    CommuneFactory(insee_code="42997", name="Fusionnée", postal_code="42110", territory=roannais)
    return {"roannais": roannais, "saint_etienne": saint_etienne}


def state():
    return sorted(
        (c.insee_code, c.name, c.postal_code, c.territory.code, tuple(codes_of(c.insee_code)))
        for c in Commune.objects.select_related("territory")
    )


@pytest.mark.django_db
def test_the_dry_run_says_what_would_be_done_and_writes_nothing(known):
    before = (state(), list(PostalCode.objects.values_list("code", "delivery_label")))

    out = load("--dry-run")

    assert (state(), list(PostalCode.objects.values_list("code", "delivery_label"))) == before
    assert (
        "4 commune(s) seraient créée(s), 1 renommée(s), 6 code(s) postal(aux) seraient "
        "ajouté(s), 2 code(s) complété(s) (libellé d'acheminement, lieux-dits) ; 0 commune(s) "
        "déjà à jour."
    ) in out
    assert "renommée : ROANNE → Roanne" in out
    assert "Fusionnée (42997) : absente du fichier de l'INSEE, conservée" in out
    assert "Les communes nouvelles demanderont un territoire (--territoire)" in out
    assert "Simulation : rien n'a été enregistré." in out


@pytest.mark.django_db
def test_new_communes_need_a_territory_and_nothing_is_written_without_one(known):
    before = state()

    with pytest.raises(CommandError, match="indiquez le territoire où placer les nouvelles"):
        load()

    assert state() == before


@pytest.mark.django_db
def test_loading_adds_communes_and_codes_keeps_territories_and_a_second_run_changes_nothing(
    known,
):
    out = load("--territoire", "saint-etienne")
    after = state()
    again = load("--territoire", "saint-etienne")

    assert "4 commune(s) ont été créée(s), 1 renommée(s), 6 code(s) postal(aux) ont été" in out
    assert after == [
        ("42001", "Aboën", "42380", "saint-etienne", ("42380",)),
        ("42002", "Ailleux", "42130", "saint-etienne", ("42130",)),
        ("42127", "Mably", "42300", "saint-etienne", ("42300",)),
        ("42187", "Roanne", "42300", "roannais", ("42300",)),  # its territory kept
        ("42189", "Roche-la-Molière", "42230", "saint-etienne", ("42230",)),
        ("42218", "Saint-Étienne", "42000", "saint-etienne", ("42000", "42100", "42230")),
        ("42997", "Fusionnée", "42110", "roannais", ("42110",)),  # kept: households may live there
    ]
    assert PostalCode.objects.get(commune__insee_code="42187").delivery_label == "ROANNE"
    assert dict(
        PostalCode.objects.filter(commune__insee_code="42218").values_list("code", "localities")
    ) == {"42000": "", "42100": "ROCHETAILLEE", "42230": "ST VICTOR SUR LOIRE"}
    assert state() == after
    assert (
        "0 commune(s) ont été créée(s), 0 renommée(s), 0 code(s) postal(aux) ont été "
        "ajouté(s), 0 code(s) complété(s) (libellé d'acheminement, lieux-dits) ; 6 commune(s) "
        "déjà à jour."
    ) in again


@pytest.mark.django_db
def test_a_code_here_that_la_poste_does_not_list_is_kept_and_said(known):
    PostalCodeFactory(commune=Commune.objects.get(insee_code="42218"), code="42029")

    out = load("--territoire", "saint-etienne")

    assert "Saint-Étienne : code postal 42029 conservé, absent de la base de La Poste" in out
    assert codes_of("42218") == ["42000", "42029", "42100", "42230"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--departement", "4"], "Département « 4 » inconnu"),
        (
            ["--departement", "43", "--territoire", "nulle-part"],
            "Territoire « nulle-part » inconnu",
        ),
        (["--departement", "01"], "Aucune commune du département 01"),
    ],
)
def test_the_command_refuses_a_wrong_departement_or_territory(known, args, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "load_communes", "--communes", str(COG), "--codes-postaux", str(LA_POSTE), *args
        )


@pytest.mark.django_db
def test_files_swapped_are_refused_with_the_column_missing(tmp_path):
    with pytest.raises(CommandError, match="colonne « typecom » absente"):
        call_command(
            "load_communes",
            "--departement",
            "42",
            "--communes",
            str(LA_POSTE),
            "--codes-postaux",
            str(COG),
        )
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command(
            "load_communes",
            "--departement",
            "42",
            "--communes",
            str(tmp_path / "absent.csv"),
            "--codes-postaux",
            str(LA_POSTE),
        )


@pytest.mark.django_db
def test_places_typed_here_are_kept_and_la_poste_s_are_added(known):
    here = PostalCodeFactory(
        commune=Commune.objects.get(insee_code="42218"), code="42100", localities="TERRENOIRE"
    )

    load("--territoire", "saint-etienne")

    here.refresh_from_db()
    assert (here.delivery_label, here.locality_list()) == (
        "ST ETIENNE",
        ["TERRENOIRE", "ROCHETAILLEE"],
    )


@pytest.mark.django_db
def test_a_commune_added_from_its_territory_in_the_admin_has_its_postal_code(it):
    territory = TerritoryFactory(code="ondaine", name="Ondaine")

    saved = it.post(
        reverse("admin:pti_territory_change", args=[territory.pk]),
        {
            "code": "ondaine",
            "name": "Ondaine",
            "communes-TOTAL_FORMS": "1",
            "communes-INITIAL_FORMS": "0",
            "communes-0-territory": territory.pk,
            "communes-0-insee_code": "42095",
            "communes-0-name": "Firminy",
            "communes-0-postal_code": "42700",
        },
    )

    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert codes_of("42095") == ["42700"]
