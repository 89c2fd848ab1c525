import csv
import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from beneficiaries.enums import HouseholdRole, Payer
from beneficiaries.models import Beneficiary

pytestmark = pytest.mark.django_db(transaction=True)

# A list as a département's software exports it for French Excel: Windows-1252, `;`, a blank
# line, trailing spaces, a CAF number that lost its leading zero, and a row with a civility
# the import does not know (held, the others written).
LIST = (
    "Civilité;Prénom bénéficiaire;Nom bénéficiaire;Adresses Mails;N° Téléphones;"
    "Date de Naissance;CP Ville;N° CAF;ID interne;Référent;Role\r\n"
    "Mme;Ysée ;Vasseur-Imbert;ysee.vi@exemple.fr;06 12 34 56 78;14/03/1986;"
    "42000 Saint-Étienne;345678;A-101;Sophie Durand;DEM\r\n"
    "\r\n"
    "M.;Quentin;Vasseur-Imbert;;0477000000;02/11/1984;42000 Saint-Étienne;0345678;A-102;"
    "Sophie Durand;CJT\r\n"
    "Madame;Noé;Castagnet;noe@exemple.fr;;01/02/1999;42300 Roanne;7654321;A-103;;\r\n"
    "Dr;Léon;Retenu;;;05/05/1990;42000 Saint-Étienne;1111111;A-104;;\r\n"
)


def test_a_pilot_imports_a_list_of_people_and_finds_them_in_the_list(
    page, live_server, a11y, log_in, tmp_path
):
    call_command("seed_demo", "--beneficiaries", "20", stdout=StringIO())
    upload = tmp_path / "liste-rsa.csv"
    upload.write_bytes(LIST.encode("cp1252"))

    log_in("pilote", "demo-pti-2026")
    page.goto(f"{live_server.url}/beneficiaires/")
    a11y.check(name="beneficiaires")
    page.get_by_role("link", name="Importer une liste").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer des bénéficiaires")
    a11y.check(name="import-beneficiaires")

    # The file is analysed in the background; its page says what the import will do, shows
    # the held row and why, and nothing is written yet.
    page.get_by_label("Fichier à importer").set_input_files(upload)
    page.get_by_role("button", name="Analyser le fichier").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Import de bénéficiaires n° ")
    expect(page.get_by_text("Analyse terminée : rien n'a encore été enregistré")).to_be_visible()
    expect(
        page.get_by_text(
            "L'import ferait : 3 créations, 0 modification, 0 ligne inchangée, 1 ligne retenue."
        )
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Lignes retenues (1)")).to_be_visible()
    expect(
        page.get_by_role("listitem").filter(
            has_text="Ligne 6 : Civilité : « Dr » n'est pas une civilité"
        )
    ).to_be_visible()
    preview = page.get_by_role("table", name=re.compile("Lignes du fichier"))
    expect(preview.get_by_role("columnheader", name="CP Ville")).to_be_visible()
    expect(preview.get_by_role("rowheader", name="5")).to_be_visible()
    expect(preview.get_by_role("row")).to_have_count(4)
    expect(preview.get_by_role("row").nth(3)).to_contain_text("Castagnet")
    expect(preview).not_to_contain_text("Retenu")
    assert not Beneficiary.objects.filter(last_name="Castagnet").exists()
    a11y.check(name="import-beneficiaires-apercu")

    # The held row comes back as a CSV that French Excel opens, its error first.
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger les lignes retenues (CSV)").click()
    assert download.value.suggested_filename == "lignes-retenues-import-de-beneficiaires.csv"
    data = download.value.path().read_bytes()
    assert data.startswith(b"\xef\xbb\xbfErreur;Civilit\xc3\xa9;")
    rows = list(csv.reader(StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:4] == [
        "Civilité : « Dr » n'est pas une civilité (M., Mme, Monsieur ou Madame).",
        "Dr",
        "Léon",
        "Retenu",
    ]

    # The confirmation writes the other rows; the run's page reads the outcome.
    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.locator(".pti-messages")).to_contain_text(
        "Import confirmé : il s'enregistre en arrière-plan."
    )
    expect(
        page.get_by_text(
            "Import terminé : 3 créations, 0 modification, 0 ligne inchangée, 1 ligne retenue."
        )
    ).to_be_visible()
    expect(page.get_by_role("link", name="Télécharger les lignes retenues (CSV)")).to_be_visible()
    a11y.check(name="import-beneficiaires-resultat")
    assert not Beneficiary.objects.filter(last_name="Retenu").exists()
    page.get_by_role("link", name="Voir les bénéficiaires").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bénéficiaires")
    page.get_by_label("Nom, n° d'allocataire ou date de naissance").fill("vasseur imbert")
    page.get_by_role("button", name="Rechercher").click()
    results = page.locator("#resultats")
    expect(results.get_by_text("2 personnes")).to_be_visible()
    expect(results.get_by_role("link", name="VASSEUR-IMBERT Ysée")).to_be_visible()
    expect(results.get_by_role("link", name="VASSEUR-IMBERT Quentin")).to_be_visible()
    expect(results.get_by_role("row", name=re.compile("Ysée"))).to_contain_text("Sophie Durand")
    a11y.check(name="import-beneficiaires-recherche")
    assert Beneficiary.objects.get(last_name="Castagnet").household.caf_number == "7654321"


def test_a_pilot_imports_the_contacts_sent_by_the_caf_without_ever_seeing_a_nir(
    page, live_server, a11y, log_in, tmp_path
):
    call_command("seed_demo", "--beneficiaries", "20", stdout=StringIO())
    person = (
        Beneficiary.objects.filter(
            household_role=HouseholdRole.APPLICANT,
            anonymised_on__isnull=True,
            household__payer=Payer.CAF,
        )
        .select_related("household")
        .order_by("pk")
        .first()
    )
    matricule = person.household.caf_number.lstrip("0")  # as Excel leaves it
    nir = "2860342218123"
    upload = tmp_path / "coordonnees-caf.csv"
    upload.write_bytes(
        (
            "MATRICULE;ROLE PERSONNE;TYPE PERSONNE;NIR;NUMERO DEMANDE RSA;DATE DEMANDE RSA;"
            "DATE DEBUT DROITS - DEVOIRS;NOM/PRENOM RESPONSABLE DOSSIER;NUMERO TELEPHONE "
            "DOSSIER;NUMERO TELEPHONE 2 DOSSIER;ADRESSE ELECTRONIQUE DOSSIER\r\n"
            f"{matricule};DEM;P;{nir};00012345;02/01/2026;01/02/2026;"
            f"{person.last_name.upper()} {person.first_name.upper()};0699887766;;"
            "nouvelle.adresse@exemple.fr\r\n"
            f"{matricule};ENF;P;5{nir[1:]};00012345;02/01/2026;01/02/2026;"
            f"{person.last_name.upper()} {person.first_name.upper()};;;\r\n"
            f"9999999;DEM;P;1{nir[1:]};00099999;02/01/2026;01/02/2026;"
            "INCONNU JEAN;0611111111;;\r\n"
        ).encode("cp1252")
    )

    log_in("pilote", "demo-pti-2026")
    page.goto(f"{live_server.url}/beneficiaires/")
    a11y.check(name="beneficiaires")
    page.get_by_role("link", name="Importer les coordonnées CAF").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Importer les coordonnées transmises par la CAF"
    )
    expect(page.get_by_text("La colonne NIR n'est lue par personne")).to_be_visible()
    a11y.check(name="import-coordonnees-caf")

    # The preview says what will happen, why rows are left aside, and shows no NIR.
    page.get_by_label("Fichier à importer").set_input_files(upload)
    page.get_by_role("button", name="Analyser le fichier").click()
    expect(page.get_by_text("coordonnees-caf.csv")).to_be_visible()
    summary = page.get_by_text("L'import ferait :")
    expect(summary).to_contain_text("1 modification")
    expect(summary).to_contain_text("2 lignes ignorées")
    preview = page.get_by_role("table", name=re.compile("Lignes du fichier"))
    expect(preview.get_by_role("columnheader", name="MATRICULE")).to_be_visible()
    expect(preview.get_by_role("columnheader", name="NIR", exact=True)).to_have_count(0)
    # The row to change is shown; the rows left aside are only counted, by reason.
    expect(preview.get_by_role("row")).to_have_count(2)
    expect(preview.get_by_role("row").nth(1)).to_contain_text("modification")
    expect(
        page.get_by_role("listitem").filter(has_text="dossier inconnu : 1 ligne")
    ).to_be_visible()
    assert nir[1:] not in page.content()
    assert "INCONNU" not in page.content()
    a11y.check(name="import-coordonnees-caf-apercu")

    page.get_by_role("button", name="Confirmer l'import").click()
    expect(
        page.get_by_text(
            "Import terminé : 0 création, 1 modification, 0 ligne inchangée, 2 lignes ignorées "
            "(dossier inconnu : 1, enfant ou autre membre du foyer : 1)."
        )
    ).to_be_visible()
    assert nir[1:] not in page.content()
    a11y.check(name="import-coordonnees-caf-resultat")
    person.refresh_from_db()
    assert (person.phone, person.email) == ("06 99 88 77 66", "nouvelle.adresse@exemple.fr")
