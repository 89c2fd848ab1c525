"""Why the CAF or the MSA closed an RSA dossier (MOTICLORSA, in the FinDroit and
FinDroitMoisAnterieur blocks of the VRSB0801 flux), and the exit each reason is here: the one
table that says so.

The codes are those of the CNAF's VRSB0801 specification as the départements' own
applications list them (WebRSA, « motif de clôture du dossier RSA »). The exit categories are
DOMAIN.md's: end of right, out of rights and duties, move to another département, sanction,
death. A code not in this table still closes the dossier as an end of right, and the import's
report names it for a person to check (`closure_exit`).
"""

from dataclasses import dataclass

from beneficiaries.enums import ExitCategory


@dataclass(frozen=True)
class ClosureReason:
    category: str  # ExitCategory
    label: str  # French, as the report and the exit's note show it


# MOTICLORSA -> what the closure is here.
CLOSURE_REASONS = {
    # Four months in a row with no payment due: the right ends.
    "ECH": ClosureReason(ExitCategory.END_OF_RIGHT, "échéance : quatre mois sans droit"),
    "RFD": ClosureReason(ExitCategory.END_OF_RIGHT, "radiation pour fin de droit"),
    "RAU": ClosureReason(ExitCategory.END_OF_RIGHT, "radiation pour un autre motif"),
    "EFF": ClosureReason(ExitCategory.END_OF_RIGHT, "annulation du passage du RMI ou de l'API"),
    # Overseas: the person opted for the RSTA or the RSO instead of the RSA.
    "RST": ClosureReason(ExitCategory.END_OF_RIGHT, "radiation : option pour le RSTA (outre-mer)"),
    "RSO": ClosureReason(ExitCategory.END_OF_RIGHT, "radiation : option pour le RSO (outre-mer)"),
    # The people go on in another dossier: those this flux finds there are moved with their
    # file and get no exit (beneficiaries.cnaf); the others leave.
    "RGD": ClosureReason(ExitCategory.END_OF_RIGHT, "regroupement avec un autre dossier"),
    # The dossier went to the CAF or MSA of another département: the person moved.
    "MUT": ClosureReason(ExitCategory.MOVED, "mutation du dossier vers un autre organisme"),
    # Closed on a decision of the président du conseil départemental (a radiation after the
    # sanctions of CASF L262-37): the PCD's sanction.
    "PCG": ClosureReason(ExitCategory.SANCTION, "décision du président du conseil départemental"),
}

UNKNOWN_CATEGORY = ExitCategory.END_OF_RIGHT


def closure_exit(code):
    """The exit a closure reason is: (exit category, French label, known), `code` as the flux
    writes it (MOTICLORSA, spaces and case ignored; "" when the flux gives none). An unknown or
    missing code is an end of right, with `known` False, for the report to name it."""
    reason = CLOSURE_REASONS.get((code or "").strip().upper())
    if reason is None:
        label = f"motif « {code} » inconnu" if code else "motif non précisé"
        return UNKNOWN_CATEGORY, label, False
    return reason.category, reason.label, True
