"""What the import commands share: the file and the user they are given, and how they list a
refused file's errors. The messages are French and name no one."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

# Past this many, the errors are counted rather than listed (a file of another département
# would otherwise print one line per row).
ERRORS_SHOWN = 500


def existing_file(name):
    path = Path(name)
    if not path.is_file():
        raise CommandError(f"Fichier introuvable : {name}")
    return path


def importing_user(username, roles, refusal):
    """The active user of one of `roles` on whose behalf the command imports; `refusal` says
    who may, after the username."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"Utilisateur inconnu : {username}")
    if user.role not in roles or not user.is_active:
        raise CommandError(f"{username} {refusal}")
    return user


def write_warnings(stream, warnings):
    """What the import writes all the same but should be checked, up to ERRORS_SHOWN."""
    if not warnings:
        return
    count = len(warnings)
    stream.write(
        f"{count} avertissement{'s' if count > 1 else ''}, à vérifier (sans empêcher l'import) :"
    )
    for warning in warnings[:ERRORS_SHOWN]:
        stream.write(f"  {warning}")
    if count > ERRORS_SHOWN:
        others = count - ERRORS_SHOWN
        stream.write(f"  … et {others} autre{'s' if others > 1 else ''}.")


def write_errors(stream, errors):
    """Every error of a refused file, up to ERRORS_SHOWN, each on its line."""
    count = len(errors)
    stream.write(f"{count} erreur{'s' if count > 1 else ''} dans le fichier :")
    for error in errors[:ERRORS_SHOWN]:
        stream.write(f"  {error}")
    if count > ERRORS_SHOWN:
        others = count - ERRORS_SHOWN
        stream.write(f"  … et {others} autre{'s' if others > 1 else ''}.")
