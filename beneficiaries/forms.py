from django import forms
from django.utils import timezone

from actions.enums import Obstacle as ObstacleKind
from actions.models import Action
from beneficiaries import cells
from beneficiaries.allocataire import allocataire_number
from beneficiaries.contacts import email_address, phone_number
from beneficiaries.enums import (
    EXIT_JOBS,
    EXITS_FOR_ACTIVITY,
    FIXED_TERM_CONTRACTS,
    FOLLOW_UP_EMPLOYMENT,
    RECORDED_EXITS,
    REFERENT_ORGANISME_KINDS,
    AssignmentReason,
    ContractKind,
    ExitContract,
    FamilySituation,
    FollowUpSituation,
    HoursReduction,
    HouseholdRole,
    InterviewKind,
    LongReviewReason,
    ObstacleStatus,
    Parcours,
    Payer,
    PlannedActionKind,
    PrescriptionAtExit,
    RightsAndDuties,
    Sex,
)
from beneficiaries.models import INTERVIEW_NOTE_MAX, MAX_WEEKLY_HOURS, Beneficiary, week_start
from beneficiaries.services import (
    FOLLOW_UP_DAYS_REQUIRED,
    FOLLOW_UP_KIND_REFUSED,
    FOLLOW_UP_KIND_REQUIRED,
    HOMONYM_LABEL,
    INTERRUPTED_WITHOUT_JOB,
    LENGTH_REFUSED,
    PRESCRIPTION_AT_EXIT_REQUIRED,
    PROBABLE_HOMONYM,
    SITUATION_REFUSED,
    SITUATION_REQUIRED,
)
from pti.enums import Role
from pti.forms import (
    BirthDateField,
    DateInput,
    LimitedTextField,
    LockVersionFormMixin,
    PastDateField,
    SmallDecimalInput,
    StyledFormMixin,
    frenchify_number_field,
)
from pti.models import Commune, Organisation, User
from pti.services import MISSING_VERSION
from pti.submissions import TOKEN_FIELD, OnceFormMixin


def today():
    return timezone.localdate()


HOMONYM_FIELD = "homonyme_confirme"


def _sentence(error):
    """A message of the cells' functions (« « x » n'est pas… ») as a sentence beside a field."""
    message = str(error)
    return message[:1].upper() + message[1:]


class CommuneChoiceField(forms.ModelChoiceField):
    """A commune shown with all its postal codes: « Saint-Étienne (42000, 42100, 42230) »
    (the queryset prefetches `postal_codes`)."""

    def label_from_instance(self, obj):
        codes = sorted({obj.postal_code, *(p.code for p in obj.postal_codes.all())})
        return f"{obj.name} ({', '.join(codes)})"


class BeneficiaryForm(OnceFormMixin, LockVersionFormMixin, StyledFormMixin, forms.ModelForm):
    payer = forms.ChoiceField(label="Organisme payeur", choices=Payer.choices)
    caf_number = forms.CharField(
        label="Numéro d'allocataire",
        max_length=40,
        help_text="CAF : 7 chiffres ; MSA : le matricule de la MSA (13 chiffres).",
    )
    address = forms.CharField(label="Adresse", required=False, max_length=250)
    commune = CommuneChoiceField(
        label="Commune",
        queryset=Commune.objects.select_related("territory").prefetch_related("postal_codes"),
    )
    family_situation = forms.ChoiceField(
        label="Situation familiale", choices=FamilySituation.choices
    )
    homeless = forms.BooleanField(label="Sans domicile stable", required=False)
    # As typed (« +33 (0)6 12 34 56 78 »), longer than what is stored (clean_phone).
    phone = forms.CharField(
        label="Téléphone",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )

    class Meta:
        model = Beneficiary
        fields = [
            "last_name",
            "birth_name",
            "first_name",
            "birth_date",
            "sex",
            "household_role",
            "email",
            "phone",
            "rights_and_duties",
            "rsa_requested_on",
            "right_opened_on",
            "right_known_on",
        ]
        field_classes = {
            "birth_date": BirthDateField,
            "rsa_requested_on": PastDateField,
            "right_opened_on": PastDateField,
            "right_known_on": PastDateField,
        }
        widgets = {
            "birth_date": DateInput,
            "rsa_requested_on": DateInput,
            "right_opened_on": DateInput,
            "right_known_on": DateInput,
            "sex": forms.RadioSelect,
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household_role"].initial = HouseholdRole.APPLICANT
        self.fields["rights_and_duties"].initial = RightsAndDuties.SUBJECT
        if not self.instance.pk and user is not None:
            # A new file is followed from the start: a manager's by a référent of their
            # structure (otherwise the manager would not see it), a pilot's possibly later.
            referents = User.objects.assignable_referents()
            if user.role == Role.MANAGER:
                referents = referents.filter(organisation_id=user.organisation_id)
            self.fields["referent"] = forms.ModelChoiceField(
                label="Référent",
                queryset=referents.order_by("last_name", "first_name"),
                required=user.role == Role.MANAGER,
                empty_label="à désigner plus tard" if user.role == Role.PILOT else "—",
                widget=forms.Select(attrs={"class": "form-select"}),
            )
        # A radio list: the blank choice of the model's select has no place among them.
        self.fields["sex"].choices = Sex.choices
        if not self.instance.pk and self.data.get(HOMONYM_FIELD):
            self._add_homonym_field()
        if self.instance.pk:
            del self.fields[TOKEN_FIELD]  # an update, saved as often as it is posted
            household = self.instance.household
            # The household is versioned too: a save based on an older household is refused.
            self.fields["household_lock_version"] = forms.IntegerField(
                widget=forms.HiddenInput, required=False, initial=household.lock_version
            )
            for field in (
                "payer",
                "caf_number",
                "address",
                "commune",
                "family_situation",
                "homeless",
            ):
                self.initial[field] = getattr(household, field)
            # The CAF number identifies the household: it is not changed here.
            self.fields["caf_number"].disabled = True
            self.fields["payer"].disabled = True

    def clean_birth_date(self):
        """The limits of the imports (cells.clean_birth_date), on the date as typed: not in
        the future, 120 years at most, a two-digit year that could be of either century
        refused."""
        birth = self.cleaned_data.get("birth_date")
        if birth is None:
            return birth
        typed = self.data.get(self.add_prefix("birth_date"))
        try:
            return cells.clean_birth_date(typed or birth, today=today())
        except ValueError as error:
            raise forms.ValidationError(_sentence(error)) from None

    def clean_phone(self):
        """The number in its stored form (contacts.phone_number): « 06 12 34 56 78 »."""
        try:
            return phone_number(self.cleaned_data["phone"])
        except ValueError as error:
            raise forms.ValidationError(_sentence(error)) from None

    def clean_email(self):
        try:
            return email_address(self.cleaned_data["email"])
        except ValueError as error:
            raise forms.ValidationError(_sentence(error)) from None

    def _add_homonym_field(self):
        self.fields[HOMONYM_FIELD] = forms.BooleanField(
            label=HOMONYM_LABEL,
            required=False,
            widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        )

    def ask_homonym_confirmation(self, homonym):
        """Show the probable homonym (a services.ProbableHomonym) beside a box to tick: the
        next post with the box ticked creates the file."""
        if HOMONYM_FIELD not in self.fields:
            self._add_homonym_field()
        # The files the user may see are listed once, above the form (the view's `existing`).
        where = " (dossiers listés en haut de la page)" if homonym.visible else ""
        self.add_error(HOMONYM_FIELD, PROBABLE_HOMONYM.format(where=where))

    @property
    def homonyms_confirmed(self):
        return bool(self.cleaned_data.get(HOMONYM_FIELD))

    def clean(self):
        cleaned = super().clean()
        # The number is read as its payer writes it (beneficiaries.allocataire); a number
        # that is no number of that payer is said beside the field.
        if "caf_number" in cleaned and "payer" in cleaned and not self.instance.pk:
            try:
                cleaned["caf_number"] = allocataire_number(cleaned["caf_number"], cleaned["payer"])
            except ValueError as error:
                self.add_error("caf_number", _sentence(error))
        birth, requested = cleaned.get("birth_date"), cleaned.get("rsa_requested_on")
        opened, known = cleaned.get("right_opened_on"), cleaned.get("right_known_on")
        if birth:
            try:
                cells.check_applicant_age(birth, cleaned.get("household_role"), today=today())
            except ValueError as error:
                self.add_error("birth_date", _sentence(error))
        if requested and opened and opened < requested:
            self.add_error("right_opened_on", "Le droit ne peut pas s'ouvrir avant la demande.")
        if opened and known and known < opened:
            self.add_error(
                "right_known_on", "Le Département ne peut pas l'apprendre avant l'ouverture."
            )
        if self.instance.pk and cleaned.get("household_lock_version") is None:
            self.add_error(None, MISSING_VERSION)
        return cleaned

    def household_values(self):
        return {
            field: self.cleaned_data[field]
            for field in (
                "payer",
                "caf_number",
                "address",
                "commune",
                "family_situation",
                "homeless",
            )
        }

    def person_values(self):
        return {field: self.cleaned_data[field] for field in self.Meta.fields}


INTERVIEW_NOTE_MAX_LABEL = f"{INTERVIEW_NOTE_MAX:,}".replace(",", " ")  # « 2 000 »


class InterviewForm(OnceFormMixin, StyledFormMixin, forms.Form):
    prefix = "entretien"

    kind = forms.ChoiceField(label="Type", choices=InterviewKind.choices)
    date = forms.DateField(label="Date", widget=DateInput, initial=today)
    note = LimitedTextField(
        label="Note courte",
        required=False,
        max_length=INTERVIEW_NOTE_MAX,
        help_text=(
            "Les faits utiles au parcours, sans jugement ni donnée de santé détaillée ; "
            f"{INTERVIEW_NOTE_MAX_LABEL} caractères au plus."
        ),
    )


class ObstacleForm(OnceFormMixin, StyledFormMixin, forms.Form):
    prefix = "frein"

    kind = forms.ChoiceField(label="Frein", choices=ObstacleKind.choices)
    identified_on = forms.DateField(label="Identifié le", widget=DateInput, initial=today)
    note = LimitedTextField(
        label="Note", required=False, max_length=500, help_text="500 caractères au plus."
    )


class ObstacleProgressForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(
        label="Nouvel état",
        choices=[c for c in ObstacleStatus.choices if c[0] != ObstacleStatus.IDENTIFIED],
    )
    on = forms.DateField(label="Date", widget=DateInput, initial=today)
    actions = forms.ModelMultipleChoiceField(
        label="Actions mobilisées", queryset=Action.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actions"].queryset = Action.objects.in_catalogue().order_by("title")


class PrescriptionForm(OnceFormMixin, StyledFormMixin, forms.Form):
    prefix = "prescription"

    action = forms.ModelChoiceField(label="Action du catalogue", queryset=Action.objects.none())
    note = LimitedTextField(
        label="Message à l'opérateur",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="500 caractères au plus.",
    )
    send = forms.BooleanField(
        label="Envoyer tout de suite à l'opérateur", required=False, initial=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].queryset = (
            Action.objects.in_catalogue()
            .with_places_left()
            .select_related("operator")
            .order_by("title")
        )
        self.fields["action"].label_from_instance = lambda a: (
            f"{a.title} – {a.operator.name} ({a.places_left} place(s) libre(s))"
        )


class ExitForm(OnceFormMixin, StyledFormMixin, forms.Form):
    prefix = "sortie"

    exit_on = forms.DateField(label="Date de sortie", widget=DateInput, initial=today)
    # Nothing preselected: an exit saved untouched must not count as a job, nor as an end of
    # right (the user chooses the reason).
    category = forms.ChoiceField(
        label="Motif de sortie",
        choices=[("", "---------"), *((c.value, c.label) for c in RECORDED_EXITS)],
    )
    contract_type = forms.ChoiceField(
        label="Situation à la sortie",
        choices=[("", "---------"), *ExitContract.choices],
        required=False,
        help_text=(
            "Seulement pour une fin de droit ou une sortie des droits et devoirs : l'emploi ou "
            "la formation trouvés, ou « sans emploi ni formation »."
        ),
    )
    contract_days = forms.IntegerField(
        label="Durée du contrat (jours)",
        required=False,
        min_value=1,
        help_text="Obligatoire pour un CDD, un intérim ou un contrat aidé.",
    )
    note = forms.CharField(label="Précision", required=False, max_length=250)

    def __init__(self, *args, prescriptions=(), **kwargs):
        """`prescriptions`: the person's started prescriptions (actions select_related), one
        question each: did the action end, was it interrupted by the job, or does it go on."""
        super().__init__(*args, **kwargs)
        self.running = {f"prescription_{p.pk}": p.pk for p in prescriptions}
        for p in prescriptions:
            self.fields[f"prescription_{p.pk}"] = forms.ChoiceField(
                label=f"Action « {p.action.title} » commencée"
                + (f" le {p.started_on:%d/%m/%Y}" if p.started_on else ""),
                choices=PrescriptionAtExit.choices,
                widget=forms.RadioSelect,
                required=False,
                help_text="Pour une fin de droit ou une sortie des droits et devoirs.",
            )

    def clean(self):
        cleaned = super().clean()
        at_exit = {pk: cleaned.pop(name, "") for name, pk in self.running.items()}
        if cleaned.get("category") in EXITS_FOR_ACTIVITY:
            for name, pk in self.running.items():
                if not at_exit[pk]:
                    self.add_error(name, PRESCRIPTION_AT_EXIT_REQUIRED)
        if cleaned.get("contract_type") not in EXIT_JOBS:
            for name, pk in self.running.items():
                if at_exit[pk] == PrescriptionAtExit.INTERRUPTED:
                    self.add_error(name, INTERRUPTED_WITHOUT_JOB)
        cleaned["prescriptions_at_exit"] = {pk: value for pk, value in at_exit.items() if value}
        fixed_term = (ExitContract.CDD, ExitContract.TEMP, ExitContract.SUBSIDISED)
        category, contract_type = cleaned.get("category"), cleaned.get("contract_type")
        if category in EXITS_FOR_ACTIVITY and not contract_type:
            self.add_error("contract_type", SITUATION_REQUIRED)
        elif (
            category
            and category not in EXITS_FOR_ACTIVITY
            and contract_type
            not in (
                "",
                ExitContract.NONE,
            )
        ):
            self.add_error("contract_type", SITUATION_REFUSED)
        elif category and category not in EXITS_FOR_ACTIVITY and cleaned.get("contract_days"):
            self.add_error("contract_days", LENGTH_REFUSED)
        elif contract_type in fixed_term and not cleaned.get("contract_days"):
            self.add_error("contract_days", "Indiquez la durée du contrat en jours.")
        return cleaned


class OrientationForm(OnceFormMixin, StyledFormMixin, forms.Form):
    prefix = "orientation"

    parcours = forms.ChoiceField(
        label="Parcours", choices=Parcours.choices, widget=forms.RadioSelect
    )
    organisme = forms.ModelChoiceField(
        label="Organisme référent", queryset=Organisation.objects.none()
    )
    decided_on = forms.DateField(label="Décidée le", widget=DateInput, initial=today)
    notified_on = forms.DateField(label="Notifiée le", widget=DateInput, required=False)
    reason = forms.CharField(
        label="Motif (réorientation)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    team_consulted = forms.BooleanField(label="Équipe pluridisciplinaire consultée", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisme"].queryset = Organisation.objects.active().filter(
            kind__in=REFERENT_ORGANISME_KINDS
        )


class ReorientationRequestForm(StyledFormMixin, forms.Form):
    """« Demander une réorientation »: why, and what the référent proposes."""

    prefix = "reorientation"

    reason = forms.CharField(
        label="Motif de la demande",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Indiquez le motif de la demande."},
    )
    proposed_parcours = forms.ChoiceField(
        label="Parcours proposé", choices=Parcours.choices, widget=forms.RadioSelect
    )
    proposed_organisme = forms.ModelChoiceField(
        label="Organisme référent proposé", queryset=Organisation.objects.none()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposed_organisme"].queryset = Organisation.objects.active().filter(
            kind__in=REFERENT_ORGANISME_KINDS
        )


class ReorientationDecisionForm(StyledFormMixin, forms.Form):
    """The decision on a reorientation request: a note, required to refuse (the view says
    which decision), where the équipe pluridisciplinaire's opinion can be written."""

    decision_note = forms.CharField(
        label=(
            "Motif de la décision (obligatoire pour refuser ; avis de l'équipe "
            "pluridisciplinaire le cas échéant)"
        ),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def assignable_referents_for(user, organisations=None):
    """The référents `user` may name: in post (User.objects.assignable_referents), of the
    manager's structure for a manager, of `organisations` (ids) when given (the organisme a
    person is oriented to, the structure following them)."""
    referents = User.objects.assignable_referents().select_related("organisation")
    if user.role == Role.MANAGER:
        referents = referents.filter(organisation_id=user.organisation_id)
    if organisations:
        referents = referents.filter(organisation_id__in=organisations)
    return referents.order_by("last_name", "first_name")


def referent_label(user):
    return f"{user.get_full_name() or user} – {user.organisation}"


class AssignmentForm(StyledFormMixin, forms.Form):
    prefix = "referent"

    referent = forms.ModelChoiceField(label="Référent", queryset=User.objects.none())
    start_date = forms.DateField(label="À partir du", widget=DateInput, initial=today)
    reason = forms.ChoiceField(label="Motif", choices=AssignmentReason.choices)
    note = forms.CharField(label="Précision", required=False, max_length=250)

    def __init__(self, *args, user, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referent"].queryset = assignable_referents_for(user, organisations)
        self.fields["referent"].label_from_instance = referent_label


class ReassignTargetForm(StyledFormMixin, forms.Form):
    """The référent who receives a selection of people (sent by GET: ?vers=)."""

    vers = forms.ModelChoiceField(
        label="Nouveau référent",
        queryset=User.objects.none(),
        error_messages={
            "required": "Choisissez le nouveau référent.",
            "invalid_choice": "Ce référent ne peut pas recevoir de personnes : choisissez-en "
            "un autre, en poste.",
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vers"].queryset = assignable_referents_for(user)
        self.fields["vers"].label_from_instance = referent_label


class ReassignAllForm(ReassignTargetForm):
    """All the people a référent follows now, to another one (sent by GET to the confirmation
    page). The référents who have left are offered as the origin: their people are to move."""

    de = forms.ModelChoiceField(
        label="Personnes de",
        queryset=User.objects.none(),
        error_messages={"required": "Choisissez le référent dont les personnes partent."},
    )

    field_order = ["de", "vers"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        referents = User.objects.filter(role=Role.REFERENT).select_related("organisation")
        if user.role == Role.MANAGER:
            referents = referents.filter(organisation_id=user.organisation_id)
        self.fields["de"].queryset = referents.order_by("last_name", "first_name")
        self.fields["de"].label_from_instance = referent_label
        self.fields["vers"].label = "Vers"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("de") and cleaned.get("de") == cleaned.get("vers"):
            self.add_error("vers", "Choisissez deux référents différents.")
        return cleaned


class DepartureForm(StyledFormMixin, forms.Form):
    """A référent of the structure who leaves, and when."""

    prefix = "depart"

    referent = forms.ModelChoiceField(
        label="Référent qui part",
        queryset=User.objects.none(),
        error_messages={"required": "Choisissez le référent qui part."},
    )
    departed_on = forms.DateField(label="Date de départ", widget=DateInput, initial=today)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referent"].queryset = assignable_referents_for(user)
        self.fields["referent"].label_from_instance = referent_label


class ReassignConfirmForm(StyledFormMixin, forms.Form):
    """When and why a selection of people changes référent."""

    start_date = forms.DateField(label="À partir du", widget=DateInput, initial=today)
    reason = forms.ChoiceField(
        label="Motif", choices=AssignmentReason.choices, initial=AssignmentReason.CASELOAD
    )
    note = forms.CharField(label="Précision", required=False, max_length=250)


class ContractForm(OnceFormMixin, LockVersionFormMixin, StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="Type de contrat", choices=ContractKind.choices, initial=ContractKind.CE
    )
    start_date = forms.DateField(label="Début", widget=DateInput, initial=today)
    end_date = forms.DateField(label="Fin", widget=DateInput)
    signed_on = forms.DateField(
        label="Signé le",
        widget=DateInput,
        required=False,
        help_text="Laissez vide tant qu'il n'est pas signé.",
    )
    objectives = forms.CharField(
        label="Objectifs du plan d'action", widget=forms.Textarea(attrs={"rows": 4})
    )
    # The model's limits: 0 to 35 hours, one decimal (« 15,5 » typed in a text box is read).
    weekly_hours = forms.DecimalField(
        label="Heures d'activité par semaine",
        min_value=0,
        max_value=35,
        decimal_places=1,
        initial=15,
        widget=SmallDecimalInput,  # min 0, max 35, step 0.1 from the field's limits
        help_text="De 0 à 35, par exemple 15 ou 12,5.",
        error_messages={
            "invalid": "Saisissez un nombre d'heures, par exemple 15 ou 12,5.",
            "min_value": "Les heures ne peuvent pas être négatives.",
            "max_value": "Au plus 35 heures par semaine.",
            "max_decimal_places": "Une décimale au plus, par exemple 12,5.",
        },
    )
    hours_reduction = forms.ChoiceField(
        label="Motif si moins de 15 heures",
        choices=[("", "—"), *HoursReduction.choices],
        required=False,
    )
    hours_reduction_note = forms.CharField(
        label="Précision sur les heures", required=False, max_length=250
    )
    long_review_reason = forms.ChoiceField(
        label="Parcours social révisé à 12 mois pour motif",
        choices=[("", "non, révision à 6 mois"), *LongReviewReason.choices],
        required=False,
    )
    revision_reason = forms.CharField(label="Motif de la révision", required=False, max_length=250)

    def __init__(self, *args, revising=None, **kwargs):
        self.instance = revising
        super().__init__(*args, **kwargs)
        if revising is None:
            del self.fields["revision_reason"]
        else:
            self.fields["revision_reason"].required = True
            # The version being revised: a second revision of it is refused, not chained.
            self.fields["contract_id"] = forms.IntegerField(
                widget=forms.HiddenInput, initial=revising.pk
            )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end <= start:
            self.add_error("end_date", "La fin du contrat doit suivre son début.")
        hours = cleaned.get("weekly_hours")
        reduced = cleaned.get("kind") == ContractKind.CE and hours is not None and hours < 15
        if reduced and not cleaned.get("hours_reduction"):
            self.add_error("hours_reduction", "Moins de 15 heures par semaine : indiquez le motif.")
        signed = cleaned.get("signed_on")
        if signed and signed > today():
            self.add_error("signed_on", "La date de signature ne peut pas être dans le futur.")
        return cleaned

    def values(self):
        return {
            field: self.cleaned_data[field]
            for field in (
                "kind",
                "start_date",
                "end_date",
                "signed_on",
                "objectives",
                "weekly_hours",
                "hours_reduction",
                "hours_reduction_note",
                "long_review_reason",
            )
        }


class PlannedActionForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="Nature", choices=[("", "—"), *PlannedActionKind.choices])
    description = forms.CharField(label="Action prévue", max_length=250)
    action = forms.ModelChoiceField(
        label="Action du catalogue", queryset=Action.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].queryset = Action.objects.in_catalogue().order_by("title")


PlannedActionFormSet = forms.formset_factory(PlannedActionForm, extra=3, can_delete=True)


class RefusalForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label="Motif du refus", max_length=250)


class StartForm(StyledFormMixin, forms.Form):
    started_on = forms.DateField(label="Entrée le", widget=DateInput, initial=today)
    sessions_planned = forms.IntegerField(label="Séances prévues", min_value=0, initial=0)


class AttendanceForm(StyledFormMixin, forms.Form):
    sessions_planned = forms.IntegerField(label="Séances prévues", min_value=0)
    sessions_attended = forms.IntegerField(label="Séances suivies", min_value=0)

    def clean(self):
        cleaned = super().clean()
        planned, attended = cleaned.get("sessions_planned"), cleaned.get("sessions_attended")
        if planned is not None and attended is not None and attended > planned:
            self.add_error("sessions_attended", "Plus de séances suivies que prévues.")
        return cleaned


def _hours_field(label, *, required=True):
    return forms.DecimalField(
        label=label,
        min_value=0,
        max_value=MAX_WEEKLY_HOURS,
        max_digits=4,
        decimal_places=2,
        required=required,
        error_messages={
            "min_value": "Les heures ne peuvent pas être négatives.",
            "max_value": f"Au plus {MAX_WEEKLY_HOURS} heures dans une semaine.",
        },
    )


class WeekHoursForm(StyledFormMixin, forms.Form):
    """The hours a person did in the action in one week (any day of it names the week)."""

    week = forms.DateField(
        label="Semaine du",
        widget=DateInput,
        help_text="Un jour de la semaine : elle est enregistrée du lundi au dimanche.",
    )
    hours = _hours_field("Heures réalisées dans la semaine")
    sessions = forms.IntegerField(
        label="Séances suivies dans la semaine", min_value=0, required=False
    )

    def clean_week(self):
        return week_start(self.cleaned_data["week"])


class GroupWeekForm(StyledFormMixin, forms.Form):
    """One hours field per started prescription of an action (`prescriptions`), for one week;
    a field left empty leaves the person's week as it was."""

    def __init__(self, *args, prescriptions, initial_hours=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for prescription in prescriptions:
            name = f"heures_{prescription.pk}"
            person = prescription.beneficiary
            field = _hours_field(
                f"Heures de {person.first_name} {person.last_name.upper()}", required=False
            )
            field.initial = (initial_hours or {}).get(prescription.pk)
            self.fields[name] = field
            frenchify_number_field(name, field)
            field.widget.attrs["class"] = "form-control"
            self.rows.append((prescription, name))

    def bound_rows(self):
        """[(prescription, bound field)] in the table's order."""
        return [(prescription, self[name]) for prescription, name in self.rows]

    def hours(self):
        """{prescription id: Decimal or None} once valid."""
        return {prescription.pk: self.cleaned_data[name] for prescription, name in self.rows}


class EndForm(StyledFormMixin, forms.Form):
    completed = forms.TypedChoiceField(
        label="Issue",
        choices=[("1", "action menée à terme"), ("0", "abandon")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    ended_on = forms.DateField(label="Sortie le", widget=DateInput, initial=today)
    outcome = forms.CharField(label="Ce qui en est sorti", required=False, max_length=250)


class FluxUploadForm(StyledFormMixin, forms.Form):
    """The monthly flux « bénéficiaires » (VRSB0801) the CAF or the MSA sends, as a file."""

    file = forms.FileField(
        label="Fichier du flux (XML)",
        help_text="Le fichier VRSB0801 reçu de la CAF ou de la MSA, tel quel (.xml).",
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )

    def clean_file(self):
        from django.conf import settings

        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xml"):
            raise forms.ValidationError(
                "Le flux de la CAF ou de la MSA est un fichier XML (.xml) : envoyez le fichier "
                "reçu, sans l'ouvrir ni le convertir."
            )
        limit = settings.PTI_CNAF_FLUX_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"Le fichier dépasse {limit // (1024 * 1024)} Mo, la taille la plus grande "
                "qu'accepte l'application pour un flux (PTI_CNAF_FLUX_MAX_BYTES)."
            )
        return upload


class HeldResolutionForm(StyledFormMixin, forms.Form):
    """How a household of the flux set aside was dealt with."""

    resolution = forms.CharField(
        label="Ce qui a été fait",
        max_length=300,
        required=False,
        help_text="Par exemple : commune ajoutée au référentiel, dossier corrigé par la CAF.",
    )


class ExitFollowUpForm(OnceFormMixin, StyledFormMixin, forms.Form):
    """The situation found at a follow-up after the exit (one form per milestone on the file,
    each with its own prefix so that the three never share a field id)."""

    recorded_on = forms.DateField(label="Situation constatée le", widget=DateInput, initial=today)
    situation = forms.ChoiceField(
        label="Situation", choices=[("", "---------"), *FollowUpSituation.choices]
    )
    contract_type = forms.ChoiceField(
        label="Type d'emploi",
        choices=[("", "---------"), *((kind.value, kind.label) for kind in FOLLOW_UP_EMPLOYMENT)],
        required=False,
        help_text="Seulement pour une personne en emploi.",
    )
    contract_days = forms.IntegerField(
        label="Durée du contrat (jours)",
        required=False,
        min_value=1,
        help_text="Obligatoire pour un CDD, un intérim ou un contrat aidé.",
    )
    note = forms.CharField(label="Précision", required=False, max_length=250)

    def __init__(self, *args, milestone, **kwargs):
        super().__init__(*args, prefix=f"suivi-{milestone}", **kwargs)

    def clean(self):
        cleaned = super().clean()
        situation, kind = cleaned.get("situation"), cleaned.get("contract_type")
        if situation == FollowUpSituation.EMPLOYED and not kind:
            self.add_error("contract_type", FOLLOW_UP_KIND_REQUIRED)
        elif situation and situation != FollowUpSituation.EMPLOYED and kind:
            self.add_error("contract_type", FOLLOW_UP_KIND_REFUSED)
        if kind in FIXED_TERM_CONTRACTS and not cleaned.get("contract_days"):
            self.add_error("contract_days", FOLLOW_UP_DAYS_REQUIRED)
        return cleaned
