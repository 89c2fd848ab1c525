"""The monthly CNAF (or MSA) flux, imported from the browser as a background run (pti.runs):
the pilot drops the XML file, a worker analyses it (every household read and checked,
nothing written), the pilot reads what it would change and confirms, then the worker writes
it in one transaction. The command `import_cnaf` does the same in one go.

The lists of people and the CAF contacts file run the same way, as table imports
(pti.import_runs)."""

import secrets
import tempfile

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db.models import Max
from django.urls import reverse

from beneficiaries.cnaf import (
    CnafFluxError,
    CnafImportRefused,
    cnaf_flux_analyse,
    cnaf_flux_write,
)
from beneficiaries.models import FluxListing
from beneficiaries.resources import caf_contacts_import_spec, people_import_spec
from beneficiaries.retention import apply_retention
from pti.import_runs import table_import_handler
from pti.runs import RunHandler, RunRefused


def found(report):
    """What a run keeps of a CnafImportReport: its French lines and every error, each naming
    its household (position in the file, line, matricule)."""
    known_on = report.header.known_on if report.header else None
    return {
        "lines": report.lines(),
        "errors": [str(error) for error in report.errors],
        "to_check": report.households_absent,
        "to_check_title": "Foyers du flux précédent absents de celui-ci",
        "held": [str(held) for held in [*report.held, *report.changed_since]],
        "known_on": known_on.isoformat() if known_on else None,
    }


def analyse_flux(run, progress):
    """Read and check the whole flux, and decide what it would change: the decisions are kept
    with the run (`run.plan`) for the confirmation to write; nothing is written in the
    database. A flux not newer than the last one imported (the date of the last flux that
    listed someone) is to be confirmed on purpose: replaying an old month by mistake would
    undo later news."""
    last = last_flux_date()
    with run.file.open("rb") as stream, tempfile.TemporaryFile() as plan_file:
        try:
            report = cnaf_flux_analyse(
                source=progress.reading(stream, run.file.size),
                user=run.created_by,
                plan_file=plan_file,
                hold_faulty=True,
            )
        except CnafFluxError as error:
            raise RunRefused(f"{error} Rien n'a été enregistré.", found={}) from None
        except CnafImportRefused as refused:
            errors = refused.report.errors
            raise RunRefused(
                f"Fichier refusé : {len(errors)} erreur(s), listées ci-dessous. Rien n'a été "
                "enregistré ; demandez un nouveau fichier à la CAF ou à la MSA, ou corrigez les "
                "dossiers en cause, puis envoyez-le de nouveau.",
                found=found(refused.report),
            ) from None
        plan_file.seek(0)
        if run.plan:
            run.plan.delete(save=False)
        run.plan.save(f"{secrets.token_hex(16)}.jsonl.gz", File(plan_file), save=False)
    found_by_analysis = found(report)
    replay = replay_of(report, last=last)
    if replay:
        found_by_analysis["confirm_on_purpose"] = (
            f"{replay} Je confirme l'importer quand même (un rattrapage voulu, pas une erreur "
            "de fichier)."
        )
    return found_by_analysis


def last_flux_date():
    """The date of the last flux imported that listed someone (FluxListing), or None."""
    return FluxListing.objects.aggregate(last=Max("listed_on"))["last"]


def replay_of(report, *, last):
    """What the user is told (French) when the analysed flux (`report`, a CnafImportReport)
    is not newer than the last one imported (`last`, a date or None): replaying an old month
    by mistake would undo later news, so it is imported only on purpose; None otherwise."""
    known_on = report.header.known_on if report.header else None
    if last and known_on and known_on <= last:
        return (
            f"Ce flux est daté du {known_on:%d/%m/%Y} : il n'est pas plus récent que le dernier "
            f"flux importé, du {last:%d/%m/%Y}."
        )
    return None


def perform_flux(run, progress):
    """Write what the analysis decided (`run.plan`), in the worker's one transaction, without
    reading the flux again. The plan stays as long as the file (pti.runs.purge_run_files)."""
    if not run.plan:
        raise ValidationError(
            "L'analyse de ce flux n'a pas été conservée : annulez ce traitement et envoyez de "
            "nouveau le fichier."
        )
    with run.plan.open("rb") as plan_file:
        try:
            report = cnaf_flux_write(
                plan_file=plan_file,
                user=run.confirmed_by or run.created_by,
                run=run,
                progress=progress,
            )
        except CnafFluxError as error:
            raise ValidationError(str(error)) from None
    return found(report)


def describe_flux(run):
    return (run.summary or run.analysis).get("lines", [])


FLUX = RunHandler(
    perform=perform_flux,
    analyse=analyse_flux,
    describe=describe_flux,
    result_url=lambda run: reverse("beneficiaries:list"),
    result_label="Voir les bénéficiaires",
    progress_unit="octets lus",
    write_unit="foyers écrits",
)


def perform_retention(run, progress):
    """Apply the retention periods now, as the nightly command does (beneficiaries.retention);
    returns what was done, counted."""
    report = apply_retention()
    return {"lines": [report.sentence()]}


RETENTION = RunHandler(
    perform=perform_retention,
    describe=lambda run: run.summary.get("lines", []),
    result_url=lambda run: reverse("beneficiaries:retention"),
    result_label="Revenir à la conservation des données",
)


PEOPLE_IMPORT = table_import_handler(
    people_import_spec,
    result_url=lambda run: reverse("beneficiaries:list"),
    result_label="Voir les bénéficiaires",
)
CAF_CONTACTS_IMPORT = table_import_handler(
    caf_contacts_import_spec,
    result_url=lambda run: reverse("beneficiaries:list"),
    result_label="Voir les bénéficiaires",
)
