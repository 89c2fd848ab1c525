"""The monthly CNAF (or MSA) flux, imported from the browser as a background run (pti.runs):
the pilot drops the XML file, a worker analyses it (every household read and checked,
nothing written), the pilot reads what it would change and confirms, then the worker writes
it in one transaction. The command `import_cnaf` does the same in one go."""

import datetime

from django.db.models import Max
from django.urls import reverse

from beneficiaries.cnaf import CnafFluxError, CnafImportRefused, cnaf_flux_import
from beneficiaries.models import FluxListing
from beneficiaries.retention import apply_retention
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
        "held": [str(held) for held in report.held],
        "known_on": known_on.isoformat() if known_on else None,
    }


def _import(run, progress, *, dry_run):
    with run.file.open("rb") as stream:
        try:
            report = cnaf_flux_import(
                source=progress.reading(stream, run.file.size),
                user=run.created_by,
                dry_run=dry_run,
                hold_faulty=True,
                run=run,
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
    return found(report)


def analyse_flux(run, progress):
    """Read and check the whole flux, and count what it would change; writes nothing. A flux
    not newer than the last one imported (the date of the last flux that listed someone) is
    to be confirmed on purpose: replaying an old month by mistake would undo later news."""
    last = FluxListing.objects.aggregate(last=Max("listed_on"))["last"]
    found = _import(run, progress, dry_run=True)
    known_on = datetime.date.fromisoformat(found["known_on"]) if found["known_on"] else None
    if last and known_on and known_on <= last:
        found["confirm_on_purpose"] = (
            f"Ce flux est daté du {known_on:%d/%m/%Y} : il n'est pas plus récent que le dernier "
            f"flux importé, du {last:%d/%m/%Y}. Je confirme l'importer quand même (un "
            "rattrapage voulu, pas une erreur de fichier)."
        )
    return found


def perform_flux(run, progress):
    """Import the flux the pilot confirmed, in the worker's one transaction."""
    return _import(run, progress, dry_run=False)


def describe_flux(run):
    return (run.summary or run.analysis).get("lines", [])


FLUX = RunHandler(
    perform=perform_flux,
    analyse=analyse_flux,
    describe=describe_flux,
    result_url=lambda run: reverse("beneficiaries:list"),
    result_label="Voir les bénéficiaires",
    progress_unit="octets lus",
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
