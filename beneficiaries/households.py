"""The make-up of a household, shared by every way a person joins one (the creation form, the
list import): its family situation from its members' roles, and the roles a household holds
once only."""

from beneficiaries.enums import FamilySituation, HouseholdRole

APPLICANT, PARTNER, CHILD = HouseholdRole.APPLICANT, HouseholdRole.PARTNER, HouseholdRole.CHILD
# The roles a household holds once: one demandeur, at most one conjoint (CASF L262-2: the
# RSA is paid to a foyer, its demandeur and conjoint bearing the same rights and duties).
SINGLE_ROLES = (APPLICANT, PARTNER)
COUPLES = {FamilySituation.COUPLE, FamilySituation.COUPLE_WITH_CHILDREN}
WITH_CHILDREN = {FamilySituation.SINGLE_PARENT, FamilySituation.COUPLE_WITH_CHILDREN}


def household_situation(roles, claims):
    """The FamilySituation of a household from its members' roles (a mapping HouseholdRole ->
    count, a Counter) and what its files say of it (`claims`, a set of FamilySituation
    values: a list seldom names the children, nor a conjoint who is not subject to duties):
    a couple when it has a conjoint or a claim says couple, with children when it has a
    child or a claim says so. Claims add to the roles, never remove from them; the CNAF flux
    decides the same way (cnaf.py, `family_situation`)."""
    couple = bool(roles.get(PARTNER) or claims & COUPLES)
    children = bool(roles.get(CHILD) or claims & WITH_CHILDREN)
    if couple:
        return FamilySituation.COUPLE_WITH_CHILDREN if children else FamilySituation.COUPLE
    return FamilySituation.SINGLE_PARENT if children else FamilySituation.SINGLE
