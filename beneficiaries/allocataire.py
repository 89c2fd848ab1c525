"""The number of a household at its payer (numéro d'allocataire, matricule), read the same way
everywhere: the lists of people, the CAF contacts file, the CNAF or MSA flux, the creation
form and the search.

- CAF: 7 digits. Excel and the flux's schema (MATRICULE typed as an integer) drop the leading
  zeros: they are put back. The CNAF files write it on 15 digits, the 7-digit number followed
  by eight zeros (« 900010100000000 » is 9000101), its own leading zeros possibly dropped too
  (« 1234500000000 » is 0012345).
- MSA: the MSA's own matricule, 13 digits, kept as it is (one that ends with eight zeros is
  the CNAF's form above: no MSA matricule does); a number of 7 digits at most is read as the
  CAF's.

The database holds exactly these forms (models.Household, constraint household_number_format).
"""

import re

from beneficiaries.enums import Payer

CAF_LENGTH = 7
MSA_LENGTH = 13
# The CNAF's 15-digit form: the 7-digit number followed by eight zeros.
CNAF_LONG_LENGTH = 15
TRAILING_ZEROS = CNAF_LONG_LENGTH - CAF_LENGTH
# What a number typed by hand may hold between its digits.
SEPARATORS = re.compile(r"[\s.\u00a0\u202f]")


def allocataire_number(value, payer):
    """The stored form of the allocataire number `value` of a household paid by `payer` (a
    Payer value; anything else is read as the CAF): a str of 7 digits, or of 13 digits for the
    MSA's own matricule.

    `value` is a str as typed (spaces and dots between digits allowed), or an int or a whole
    float as a spreadsheet cell gives it. Raises ValueError with the French message shown to
    the user (without the column's name) when the cell is empty or is not such a number."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = SEPARATORS.sub("", str(value if value is not None else ""))
    if not text:
        raise ValueError("le numéro d'allocataire est obligatoire.")
    if text.isdigit() and text.isascii():
        if len(text) <= CAF_LENGTH:
            return text.zfill(CAF_LENGTH)
        padded = text.zfill(CNAF_LONG_LENGTH)
        if len(text) <= CNAF_LONG_LENGTH and padded.endswith("0" * TRAILING_ZEROS):
            return padded[:CAF_LENGTH]
        if payer == Payer.MSA and len(text) == MSA_LENGTH:
            return text
    if payer == Payer.MSA:
        raise ValueError(
            f"« {value} » n'est pas un numéro d'allocataire MSA (13 chiffres, ou 7 chiffres au "
            "plus)."
        )
    if text.isdigit() and len(text) == MSA_LENGTH:
        raise ValueError(
            f"« {value} » n'est pas un numéro d'allocataire CAF (7 chiffres au plus) : un "
            "matricule de 13 chiffres est celui de la MSA, indiquez alors l'organisme payeur MSA."
        )
    raise ValueError(f"« {value} » n'est pas un numéro d'allocataire (7 chiffres au plus).")


def stored_forms(text):
    """Every stored number a search text may mean, whatever the payer: {"0012345"} for
    « 12345 », {"9000101"} for « 900010100000000 », the 13 digits of an MSA matricule; an
    empty set when the text is no such number."""
    forms = set()
    for payer in Payer.values:
        try:
            forms.add(allocataire_number(text, payer))
        except ValueError:
            continue
    return forms
