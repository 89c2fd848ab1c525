"""Small helpers shared by the views of every app: form pages, confirmations, messages."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render


def form_page(
    request,
    form,
    *,
    title,
    breadcrumb,
    submit_label,
    cancel_url,
    intro="",
    status=200,
    enctype=None,
    extra=None,
    template="pti/form_page.html",
):
    """A page with one form: title, trail, errors summary, fields, submit and cancel."""
    context = {
        "title": title,
        "breadcrumb": breadcrumb,
        "form": form,
        "submit_label": submit_label,
        "cancel_url": cancel_url,
        "intro": intro,
        "enctype": enctype,
        **(extra or {}),
    }
    return render(request, template, context, status=status)


def confirm_page(
    request, *, title, message, confirm_label, cancel_url, breadcrumb, danger=True, form=None
):
    """Asks before anything destructive or irreversible; the form posts back to the same URL."""
    context = {
        "title": title,
        "message": message,
        "confirm_label": confirm_label,
        "cancel_url": cancel_url,
        "breadcrumb": breadcrumb,
        "danger": danger,
        "form": form,
    }
    return render(request, "pti/confirm_page.html", context)


def error_messages(error):
    """The French messages of a ValidationError, flat."""
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error)]


def refuse(request, error, redirect_to):
    """Show why the action was refused and go back, having written nothing."""
    for message in error_messages(error):
        messages.error(request, message)
    return redirect(redirect_to)


def form_error_status(form):
    """Unprocessable: the page shows the form again with its errors."""
    return 422 if form.is_bound and form.errors else 200
