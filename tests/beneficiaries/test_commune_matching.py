"""A commune found by any of its postal codes (Saint-Étienne: 42000, 42100, 42230) and by its
name however it is written, in every place a commune is read: the list of people (its engine,
the command, the page), the creation form, and the CNAF flux, which finds it by its INSEE code
and holds a household whose commune is unknown here instead of refusing the month."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from beneficiaries.models import HeldHousehold, Household
from beneficiaries.people_import import CommuneIndex
from pti.demo import seed_territories
from pti.models import Commune
from tests.import_pages import confirm, error_lines, outcome_of, page, run_page, upload_file
from tests.pti.factories import UserFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
LIST = FILES / "communes-postal-codes-list.csv"
SEPTEMBER = FILES / "vrsb0801_2025_09.xml"

# The list's rows that are imported, by CAF number: the INSEE code of their commune.
IMPORTED = {
    "7610001": "42218",  # 42100 Saint-Étienne
    "7610002": "42218",  # 42100 ST ETIENNE (La Poste's libellé d'acheminement)
    "7610003": "42218",  # 42230 St-Étienne (Saint-Victor-sur-Loire)
    "7610004": "42189",  # 42230 ROCHE LA MOLIERE
    "7610005": "42218",  # 42029 SAINT ETIENNE CEDEX 1 (a CEDEX code, not a commune's)
    "7610006": "42127",  # 42300 MABLY (42300 is Roanne's too)
    "7610007": "42305",  # Talaudière (La), no postal code: the name is enough
    "7610010": "42218",  # 42230 Saint-Victor-sur-Loire (merged into Saint-Étienne: ligne 5)
}
REFUSED = [
    "Ligne 9 : CP Ville : plusieurs communes ont le code postal 42230 (Roche-la-Molière, "
    "Saint-Étienne) : ajoutez le nom (par exemple « 42000 Saint-Étienne »).",
    "Ligne 10 : CP Ville : le code postal 42000 n'est pas celui de Roanne (42300) : vérifiez "
    "le code postal et le nom.",
]


@pytest.fixture
def loire():
    """The demo département's communes, with their real postal codes."""
    seed_territories()


@pytest.fixture
def pilot():
    return UserFactory(pilot=True, username="pilote")


@pytest.fixture
def index(loire):
    communes = CommuneIndex()
    communes.load()
    return communes


def insee_of(found):
    return Commune.objects.get(pk=found[0]).insee_code


# --- The comparison, one cell at a time -----------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "postal_code", "insee_code"),
    [
        ("42100 Saint-Étienne", None, "42218"),
        ("42000 Saint-Étienne", None, "42218"),
        ("42230 Saint-Étienne", None, "42218"),
        ("42100 SAINT-ETIENNE", None, "42218"),
        ("42100 ST ETIENNE", None, "42218"),
        ("Saint-Étienne 42100", None, "42218"),
        ("42000 St-Étienne CEDEX 1", None, "42218"),
        ("42230 Saint-Victor-sur-Loire", None, "42218"),  # La Poste's ligne 5
        ("St Victor sur Loire", "42230", "42218"),
        ("SAINT VICTOR SUR LOIRE", None, "42218"),
        ("42029 SAINT ETIENNE CEDEX", None, "42218"),
        ("Saint Etienne", "42100", "42218"),
        ("ST ETIENNE", 42100.0, "42218"),  # a number cell of a spreadsheet
        ("Saint-Étienne", None, "42218"),
        ("42100", None, "42218"),  # the only commune with 42100
        ("42230 Roche-la-Molière", None, "42189"),
        ("42230 ROCHE LA MOLIERE", None, "42189"),
        ("42300 Mably", None, "42127"),
        ("42300 roanne", None, "42187"),
        ("Talaudière (La)", None, "42305"),
        ("42350 LA TALAUDIERE", None, "42305"),
        ("42170 ST JUST ST RAMBERT", None, "42279"),
        ("42500 Chambon-Feugerolles (Le)", None, "42044"),
        ("42160 Andrezieux Boutheon", None, "42005"),
    ],
)
def test_a_commune_is_found_by_any_of_its_codes_and_any_spelling(
    index, cell, postal_code, insee_code
):
    assert insee_of(index.find(cell, postal_code)) == insee_code


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            "42230",
            "plusieurs communes ont le code postal 42230 (Roche-la-Molière, Saint-Étienne) : "
            "ajoutez le nom",
        ),
        (
            "42300 Saint-Étienne",
            "le code postal 42300 n'est pas celui de Saint-Étienne (42000, 42100, 42230) : "
            "vérifiez le code postal et le nom.",
        ),
        ("42000 Roanne", "le code postal 42000 n'est pas celui de Roanne (42300)"),
        ("42999 Nulle-Part", "commune « 42999 Nulle-Part » introuvable parmi celles du"),
        ("42029 NULLE PART CEDEX", "commune « 42029 NULLE PART CEDEX » introuvable"),
        ("43000 Le Puy-en-Velay", "introuvable parmi celles du département"),
    ],
)
def test_a_cell_that_names_no_single_commune_says_why(index, cell, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        index.find(cell)


# --- The list of people, by the command and by the page -------------------------------------


def communes_of_households():
    return dict(
        Household.objects.filter(caf_number__startswith="761").values_list(
            "caf_number", "commune__insee_code"
        )
    )


def test_the_command_imports_every_row_whose_commune_is_known_under_any_code(loire, pilot):
    out, err = StringIO(), StringIO()

    call_command("import_beneficiaries", str(LIST), "--user", "pilote", stdout=out, stderr=err)

    assert "Import terminé : 8 créations" in out.getvalue()
    assert "2 lignes retenues" in out.getvalue()
    assert [line.strip() for line in err.getvalue().splitlines()[1:]] == REFUSED
    assert communes_of_households() == IMPORTED
    territories = dict(
        Household.objects.filter(caf_number__in=["7610003", "7610004"]).values_list(
            "caf_number", "territory__code"
        )
    )
    assert territories == {"7610003": "saint-etienne", "7610004": "ondaine"}


def test_the_import_page_previews_and_writes_the_same(loire, pilot, client_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_as(pilot)

    run = upload_file(client, reverse("beneficiaries:import"), LIST.name, LIST.read_bytes())
    preview = run_page(client, run)
    run = confirm(client, run)

    assert error_lines(preview) == REFUSED
    assert "8 créations" in outcome_of(run)
    assert communes_of_households() == IMPORTED


# --- The creation form ----------------------------------------------------------------------


def test_the_creation_form_shows_each_commune_with_all_its_codes(loire, pilot, client_as):
    shown = page(client_as(pilot).get(reverse("beneficiaries:create")))

    assert "Saint-Étienne (42000, 42100, 42230)" in shown
    assert "Roche-la-Molière (42230)" in shown


# --- The CNAF flux --------------------------------------------------------------------------


def variant(tmp_path, source, old, new):
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / source.name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def import_cnaf(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_cnaf", str(path), "--user", "pilote", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_flux_finds_the_commune_by_its_insee_code_whatever_its_postal_code(
    loire, pilot, tmp_path
):
    path = variant(tmp_path, SEPTEMBER, "<CODEPOS>42000</CODEPOS>", "<CODEPOS>42100</CODEPOS>")

    import_cnaf(path)

    household = Household.objects.select_related("commune", "territory").get(caf_number="0012345")
    assert (household.commune.insee_code, household.territory.code) == ("42218", "saint-etienne")


def test_an_unknown_commune_holds_its_household_and_the_month_is_imported_without_retenir(
    loire, pilot, tmp_path
):
    path = variant(tmp_path, SEPTEMBER, "<NUMCOM>42095</NUMCOM>", "<NUMCOM>42998</NUMCOM>")

    out, _err = import_cnaf(path)

    assert "Flux importé." in out
    assert "1 foyer(s) en erreur mis de côté « à traiter »" in out
    assert (
        "à traiter : Foyer n°3 (ligne 287), matricule 7654321 : commune inconnue (code INSEE "
        "« 42998 »)"
    ) in out
    held = HeldHousehold.objects.get()
    assert (held.caf_number, held.reasons, held.resolved_at) == (
        "7654321",
        "commune inconnue (code INSEE « 42998 »)",
        None,
    )
    assert not Household.objects.filter(caf_number="7654321").exists()
    assert Household.objects.filter(caf_number="0012345").exists()


def test_a_file_refused_for_another_fault_still_lists_the_unknown_commune(loire, pilot, tmp_path):
    path = variant(tmp_path, SEPTEMBER, "<NUMCOM>42095</NUMCOM>", "<NUMCOM>42998</NUMCOM>")
    path = variant(
        tmp_path, path, "<MATRICULE>0987654</MATRICULE>", "<MATRICULE>7654321</MATRICULE>"
    )

    with pytest.raises(CommandError, match="Fichier refusé : 2 erreur"):
        import_cnaf(path)

    assert not HeldHousehold.objects.exists()
    assert not Household.objects.exists()


def test_once_load_communes_knows_the_commune_the_next_flux_settles_the_household(
    loire, pilot, tmp_path
):
    import_cnaf(variant(tmp_path, SEPTEMBER, "<NUMCOM>42095</NUMCOM>", "<NUMCOM>42998</NUMCOM>"))
    cog = tmp_path / "v_commune_2024.csv"
    cog.write_text(
        "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n"
        "COM,42998,84,42,42D,423,0,NOUVELLE COMMUNE,Nouvelle-Commune,Nouvelle-Commune,4211,\n",
        encoding="utf-8",
    )
    la_poste = tmp_path / "019HexaSmal.csv"
    la_poste.write_bytes(
        "#Code_commune_INSEE;Nom_de_la_commune;Code_postal;Libellé_d_acheminement;Ligne_5\n"
        "42998;NOUVELLE COMMUNE;42700;NOUVELLE COMMUNE;\n".encode("latin-1")
    )
    call_command(
        "load_communes",
        "--departement",
        "42",
        "--communes",
        str(cog),
        "--codes-postaux",
        str(la_poste),
        "--territoire",
        "ondaine",
        stdout=StringIO(),
    )

    # The same month again (replayed on purpose), or the next one, reads the household.
    import_cnaf(
        variant(tmp_path, SEPTEMBER, "<NUMCOM>42095</NUMCOM>", "<NUMCOM>42998</NUMCOM>"),
        "--rattrapage",
    )

    held = HeldHousehold.objects.get()
    assert held.resolved_at is not None
    household = Household.objects.select_related("commune").get(caf_number="7654321")
    assert (household.commune.name, household.territory.code) == ("Nouvelle-Commune", "ondaine")
    # The commune kept by the flux was created with its postal code.
    assert Commune.objects.get(insee_code="42998").postal_code == "42700"
