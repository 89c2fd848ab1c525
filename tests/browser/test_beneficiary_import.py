import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from beneficiaries.models import Beneficiary

pytestmark = pytest.mark.django_db(transaction=True)

# A list as a département's software exports it for French Excel: Windows-1252, `;`, a blank
# line, trailing spaces, a CAF number that lost its leading zero.
LIST = (
    "Civilité;Prénom bénéficiaire;Nom bénéficiaire;Adresses Mails;N° Téléphones;"
    "Date de Naissance;CP Ville;N° CAF;ID interne;Référent;Role\r\n"
    "Mme;Ysée ;Vasseur-Imbert;ysee.vi@exemple.fr;06 12 34 56 78;14/03/1986;"
    "42000 Saint-Étienne;345678;A-101;Sophie Durand;DEM\r\n"
    "\r\n"
    "M.;Quentin;Vasseur-Imbert;;0477000000;02/11/1984;42000 Saint-Étienne;0345678;A-102;"
    "Sophie Durand;CJT\r\n"
    "Madame;Noé;Castagnet;noe@exemple.fr;;01/02/1999;42300 Roanne;7654321;A-103;;\r\n"
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

    # The preview says what will happen, and writes nothing.
    page.get_by_label("Fichier à importer").set_input_files(upload)
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("heading", name="Aperçu de « liste-rsa.csv »")).to_be_visible()
    expect(page.get_by_text("Rien n'est encore enregistré")).to_contain_text("3 créations")
    preview = page.get_by_role("table", name=re.compile("Lignes du fichier"))
    expect(preview.get_by_role("columnheader", name="CP Ville")).to_be_visible()
    expect(preview.get_by_role("row")).to_have_count(4)
    expect(preview.get_by_role("row").nth(3)).to_contain_text("Castagnet")
    assert not Beneficiary.objects.filter(last_name="Castagnet").exists()
    a11y.check(name="import-beneficiaires-apercu")

    # The confirmation writes everything and comes back to the list.
    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bénéficiaires")
    expect(page.locator(".pti-messages")).to_contain_text(
        "Import terminé : 3 création(s), 0 modification(s), 0 ligne(s) inchangée(s)."
    )
    a11y.check(name="import-beneficiaires-resultat")
    page.get_by_label("Nom, n° d'allocataire ou date de naissance").fill("vasseur imbert")
    page.get_by_role("button", name="Rechercher").click()
    results = page.locator("#resultats")
    expect(results.get_by_text("2 personnes")).to_be_visible()
    expect(results.get_by_role("link", name="VASSEUR-IMBERT Ysée")).to_be_visible()
    expect(results.get_by_role("link", name="VASSEUR-IMBERT Quentin")).to_be_visible()
    expect(results.get_by_role("row", name=re.compile("Ysée"))).to_contain_text("Sophie Durand")
    a11y.check(name="import-beneficiaires-recherche")
    assert Beneficiary.objects.get(last_name="Castagnet").household.caf_number == "7654321"
