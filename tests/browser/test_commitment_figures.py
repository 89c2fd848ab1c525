"""A commitment measured from end to end: the pilot ties a new commitment to an indicator with
a target for this year, the pact is signed, the partner enters its figure with a comment, the
pilot reads it on the signatory's page and in the PDF of the pact's figures."""

import datetime
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from evaluation.catalogue import sync
from evaluation.models import Indicator
from pti.services import pact_adopt
from signatories.services import signature_record, signature_round_close
from tests.pti.factories import (
    OrganisationFactory,
    OrientationFactory,
    PactFactory,
    UserFactory,
)
from tests.signatories.factories import SignatoryFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "mot-de-passe-de-test"
THIS_YEAR = datetime.date.today().year
FLUX = "Fichiers mensuels du flux des allocataires transmis"


def test_a_commitment_tied_to_an_indicator_is_reported_by_the_partner_and_read_by_the_pilot(
    page, live_server, a11y, log_in
):
    # A browser test's database is emptied between tests, the migrations' catalogue with it.
    sync(Indicator)
    pact = PactFactory(period_start=THIS_YEAR - 1, period_end=THIS_YEAR + 3)
    OrientationFactory(pact=pact, position=1, title="Partage de la connaissance")
    caf = OrganisationFactory(name="Caisse d'allocations familiales de la Loire", short_name="CAF")
    signatory = SignatoryFactory(pact=pact, organisation=caf, signer_name="Hélène Brun")
    departement = SignatoryFactory(pact=pact, organisation__departement=True)
    UserFactory(pilot=True, username="pilote-test")
    UserFactory(partner=True, username="caf-test", organisation=caf)

    # The pilot adds the commitment and lands on its indicators.
    log_in("pilote-test", PASSWORD)
    page.goto(f"{live_server.url}/signataires/{signatory.pk}/")
    a11y.check(name="signataire-projet")
    page.get_by_role("link", name="Ajouter un engagement").click()
    a11y.check(name="nouvel-engagement")
    page.get_by_label("Orientation").select_option(label="1. Partage de la connaissance")
    page.get_by_role("textbox", name=re.compile("^Engagement")).fill(
        "Transmettre chaque mois le flux"
    )
    page.get_by_role("button", name="Enregistrer l'engagement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicateurs de l'engagement")
    expect(page.get_by_text("Liez-le maintenant à ses indicateurs")).to_be_visible()
    a11y.check(name="indicateurs-engagement-vide")
    page.get_by_role("combobox", name=re.compile("^Indicateur")).select_option(label=FLUX)
    page.get_by_label(f"Cible {THIS_YEAR}").fill("12")
    page.get_by_role("button", name="Lier l'indicateur").click()
    expect(page.get_by_text(f"Les cibles de « {FLUX} » sont enregistrées.")).to_be_visible()
    expect(page.get_by_role("heading", name=FLUX)).to_be_visible()
    a11y.check(name="indicateurs-engagement")
    page.get_by_role("button", name="Se déconnecter").click()

    # The pact is adopted and signed (the signature round has its own pages and tests).
    today = datetime.date.today()
    pact_adopt(pact=pact, deliberation_date=today)
    signature_record(
        signatory=signatory, signer_name="Hélène Brun", signer_title="Directrice", signed_on=today
    )
    signature_record(
        signatory=departement, signer_name="Bernard Vial", signer_title="Président", signed_on=today
    )
    signature_round_close(pact=pact)

    # The partner enters its figure of this year with a comment.
    log_in("caf-test", PASSWORD)
    page.get_by_role("link", name="Mes engagements").click()
    table = page.get_by_role("table", name=f"Indicateurs de l'engagement en {THIS_YEAR}")
    expect(table.get_by_role("row", name=re.compile(FLUX))).to_contain_text("12")
    a11y.check(name="mes-engagements")
    page.get_by_label(f"Votre chiffre {THIS_YEAR} pour {FLUX}").fill("11")
    page.get_by_label(f"Commentaire pour {FLUX}").fill("Le fichier de décembre arrive en janvier")
    page.get_by_role("button", name=f"Enregistrer le chiffre de {FLUX}").click()
    expect(
        page.get_by_text(f"Votre chiffre {THIS_YEAR} pour « {FLUX} » est enregistré.")
    ).to_be_visible()
    expect(table).to_contain_text("« Le fichier de décembre arrive en janvier »")
    a11y.check(name="mes-engagements-saisi")
    page.get_by_role("button", name="Se déconnecter").click()

    # The pilot reads it beside the target, then in the PDF of the pact's figures.
    log_in("pilote-test", PASSWORD)
    page.goto(f"{live_server.url}/signataires/{signatory.pk}/")
    rows = page.get_by_role(
        "table", name="Indicateurs et cibles de l'engagement, et derniers chiffres du partenaire"
    )
    expect(rows.get_by_role("row", name=re.compile(str(THIS_YEAR)))).to_contain_text("11")
    expect(rows).to_contain_text("Le fichier de décembre arrive en janvier")
    a11y.check(name="signataire-signe")
    page.goto(f"{live_server.url}/evaluation/signataires/")
    reporting = page.get_by_role("table", name=re.compile("Chiffres attendus, saisis et manquants"))
    expect(reporting.get_by_role("row", name=re.compile("Caisse d'allocations"))).to_contain_text(
        today.strftime("%d/%m/%Y")
    )
    a11y.check(name="chiffres-des-signataires")
    # The signed PDF stays as it was signed; the figures are in the PDF of the pact's figures
    # (the link « Annexe des chiffres à ce jour (PDF) » of the pact's page).
    response = page.request.get(f"{live_server.url}/pacte/{pact.pk}/chiffres.pdf")
    assert response.ok
    data = response.body()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    annex = text[text.index("Annexe : engagements des signataires, cibles et chiffres") :]
    assert f"CAF Transmettre chaque mois le flux {FLUX} {THIS_YEAR} 12 11" in annex
