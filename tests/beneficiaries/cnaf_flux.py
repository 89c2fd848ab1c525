"""VRSB0801 files of any size, for the tests and the benchmark: fictitious households that
follow the CNAF schema (a generated file of 50 households was checked against it).

The same `seed` gives the same households month after month; `month` moves some of them to
another address, closes some (ETATDOSRSA 5) and changes some people's rights and duties.
"""

import datetime
import random
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

LAST_NAMES = [
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS",
    "MOREAU", "LAURENT", "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID",
    "BERTRAND", "MOREL", "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE",
    "ROUSSEAU", "VINCENT", "MULLER", "FAURE", "ANDRE", "MERCIER", "BLANC", "GUERIN",
    "BOYER", "GARNIER", "CHEVALIER", "FRANCOIS", "LEGRAND", "GAUTHIER", "GARCIA", "PERRIN",
]  # fmt: skip
FIRST_NAMES = {
    "1": ["KARIM", "JEAN-PIERRE", "THOMAS", "NICOLAS", "JULIEN", "MEHDI", "LUCAS", "YANIS"],
    "2": ["SOPHIE", "NADIA", "CHANTAL", "MARIE", "LÉA", "INÈS", "CAMILLE", "FATIMA"],
}
STREETS = ["RUE DE LA PAIX", "AVENUE DE LA LIBERATION", "RUE MICHELET", "BOULEVARD JULES FERRY"]


@dataclass
class Person:
    last_name: str
    birth_name: str
    first_name: str
    birth_date: datetime.date
    sex: str
    role: str  # DEM, CJT, ENF
    subject: bool | None


@dataclass
class Household:
    matricule: str
    payer: str
    requested_on: datetime.date
    sitfam: str
    insee_code: str
    street_number: int
    street: str
    homeless: bool
    state: str
    closed_on: datetime.date | None = None
    people: list = field(default_factory=list)


def households(count, *, insee_codes, seed=42, first_matricule=1, month=0):
    """`count` households; at `month` 1 and after, about 10 % have moved, 5 % are closed and
    5 % of the adults have changed rights and duties."""
    for number in range(first_matricule, first_matricule + count):
        rng = random.Random(f"{seed}-{number}")
        changes = random.Random(f"{seed}-{number}-{month}")
        requested_on = datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(2000))
        couple = rng.random() < 0.3
        children = rng.choice([0, 0, 1, 2, 3])
        family_name = rng.choice(LAST_NAMES)
        sex = rng.choice("12")
        people = [_adult(rng, family_name, sex, "DEM")]
        if couple:
            people.append(_adult(rng, family_name, "2" if sex == "1" else "1", "CJT"))
        for _ in range(children):
            child_sex = rng.choice("12")
            people.append(
                Person(
                    last_name=family_name,
                    birth_name=family_name,
                    first_name=rng.choice(FIRST_NAMES[child_sex]),
                    birth_date=datetime.date(2008, 1, 1)
                    + datetime.timedelta(days=rng.randrange(5000)),
                    sex=child_sex,
                    role="ENF",
                    subject=None,
                )
            )
        # Twins with the same first name would be the same person twice: one is kept.
        people = list({(p.first_name, p.birth_date): p for p in people}.values())
        household = Household(
            matricule=f"{number:07d}",
            payer="MSA" if rng.random() < 0.05 else "CAF",
            requested_on=requested_on,
            sitfam=("MAR" if rng.random() < 0.5 else "VIM")
            if couple
            else rng.choice(["CEL", "DIV", "SEF", "VEU"]),
            insee_code=rng.choice(insee_codes),
            street_number=rng.randint(1, 120),
            street=rng.choice(STREETS),
            homeless=rng.random() < 0.02,
            state=rng.choice("2222222234"),
            people=people,
        )
        if month:
            if changes.random() < 0.10:
                household.insee_code = changes.choice(insee_codes)
                household.street_number = changes.randint(121, 240)
            if changes.random() < 0.05:
                household.state = "5"
                household.closed_on = datetime.date(2025, 10, 31)
            for person in people:
                if person.subject is not None and changes.random() < 0.05:
                    person.subject = not person.subject
        yield household


def _adult(rng, family_name, sex, role):
    married_name = sex == "2" and role == "CJT"
    return Person(
        last_name=family_name,
        birth_name=rng.choice(LAST_NAMES) if married_name else family_name,
        first_name=rng.choice(FIRST_NAMES[sex]),
        birth_date=datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(15000)),
        sex=sex,
        role=role,
        subject=rng.random() < 0.85,
    )


def _person_xml(person):
    rights = ""
    if person.subject is not None:
        rights = (
            "<MontantCalculDroitRSAPersonne><TOPPERSDRODEVORSA>"
            f"{int(person.subject)}</TOPPERSDRODEVORSA></MontantCalculDroitRSAPersonne>"
        )
    return (
        "<Personne><Identification>"
        f"<NOM>{escape(person.last_name)}</NOM><NOMNAI>{escape(person.birth_name)}</NOMNAI>"
        f"<PRENOM>{escape(person.first_name)}</PRENOM><NOMCOMNAI>SAINT ETIENNE</NOMCOMNAI>"
        f"<DTNAI>{person.birth_date.isoformat()}</DTNAI><SEXE>{person.sex}</SEXE>"
        "</Identification>"
        "<DossierCAF><TOPRESPDOS>false</TOPRESPDOS><DDRATDOS>2020-01-01</DDRATDOS></DossierCAF>"
        f"<Prestations><NATPREST>PFA</NATPREST><ROLEPERS>{person.role}</ROLEPERS>"
        "<TOPCHAPERS>false</TOPCHAPERS></Prestations>"
        f"<Prestations><NATPREST>RSA</NATPREST><ROLEPERS>{person.role}</ROLEPERS>"
        "<TOPCHAPERS>false</TOPCHAPERS></Prestations>"
        f"{rights}</Personne>"
    )


def _household_xml(household):
    closure = ""
    if household.state == "5":
        closure = (
            "<FinDroit><MOTICLORSA>RFD</MOTICLORSA>"
            f"<DTCLORSA>{household.closed_on.isoformat()}</DTCLORSA></FinDroit>"
        )
    return (
        "<InfosFoyerRSA><IdentificationRSA>"
        f"<Organisme><FONORG>{household.payer}</FONORG><NUMORG>421</NUMORG>"
        f"<MATRICULE>{household.matricule}</MATRICULE></Organisme>"
        "<Partenaire><TYPEPARTE>CG</TYPEPARTE><IDEPARTE>042</IDEPARTE></Partenaire>"
        f"<DemandeRSA><DTDEMRSA>{household.requested_on.isoformat()}</DTDEMRSA>"
        f"<NUMDEMRSA>421{household.matricule}</NUMDEMRSA></DemandeRSA>"
        "</IdentificationRSA>"
        + "".join(_person_xml(person) for person in household.people)
        + "<DonneesAdministratives><SituationFamille>"
        f"<SITFAM>{household.sitfam}</SITFAM><DDSITFAM>2015-01-01</DDSITFAM></SituationFamille>"
        "<Adresse><TroncCommunAdresse><RGADR>01</RGADR><PAYS>FRA</PAYS><TYPEADR>D</TYPEADR>"
        "<ETATADR>CO</ETATADR></TroncCommunAdresse><AdresseDetailleeFrance>"
        "<COMPLIDEADR></COMPLIDEADR><COMPLADR></COMPLADR>"
        f"<NUMVOIE>{household.street_number}</NUMVOIE><LIBTYPEVOIE></LIBTYPEVOIE>"
        f"<NOMVOIE>{household.street}</NOMVOIE><LIEUDIST></LIEUDIST>"
        f"<NUMCOM>{household.insee_code}</NUMCOM><CODEPOS>42000</CODEPOS>"
        "<NOMCOM>COMMUNE</NOMCOM></AdresseDetailleeFrance></Adresse>"
        "</DonneesAdministratives>"
        "<PrestationRSA><SituationDossierRSA>"
        f"<EtatDossierRSA><ETATDOSRSA>{household.state}</ETATDOSRSA></EtatDossierRSA>"
        f"{closure}</SituationDossierRSA>"
        "<DetailDroitRSA><TroncCommunDroitRSA>"
        f"<TOPSANSDOMFIXE>{int(household.homeless)}</TOPSANSDOMFIXE><ORIDEMRSA>RSA</ORIDEMRSA>"
        "</TroncCommunDroitRSA></DetailDroitRSA></PrestationRSA>"
        "</InfosFoyerRSA>\n"
    )


def write_flux(path, flux_households, *, created_on, reference_on, declared=None):
    """Write the file; `declared` overrides NBTOTDOSRSATRANSM. Returns how many households."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<Racine><IdentificationFlux>'
            "<APPLIEME>CRI</APPLIEME><NUMVERSIONAPPLIEME>0801</NUMVERSIONAPPLIEME>"
            "<TYPEFLUX>M</TYPEFLUX><NATFLUX>B</NATFLUX>"
            f"<DTCREAFLUX>{created_on.isoformat()}</DTCREAFLUX>"
            "<HEUCREAFLUX>05:00:00</HEUCREAFLUX>"
            f"<DTREF>{reference_on.isoformat()}</DTREF></IdentificationFlux>\n"
        )
        for household in flux_households:
            out.write(_household_xml(household))
            count += 1
        out.write(
            "<TransmissionFlux>"
            f"<NBTOTDOSRSATRANSM>{count if declared is None else declared}</NBTOTDOSRSATRANSM>"
            "<NBTOTDOSRSATRANSMANO>0</NBTOTDOSRSATRANSMANO></TransmissionFlux></Racine>\n"
        )
    return count
