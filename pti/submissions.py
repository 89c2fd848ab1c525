"""A create form is saved once, however often it is posted (the back button, a double click, a
post sent again): each rendering of the form carries a new one-time token (`OnceFormMixin`),
and the token is recorded (`pti.models.FormSubmission`, unique) in the same transaction as the
object the form created. A second post of the same token creates nothing and answers
`ALREADY_SAVED`, with a link to what the first post created.

    try:
        person = submission_save(
            form.submission_token, user=request.user, save=lambda: ..., url_of=file_url
        )
    except AlreadySaved as done:
        ...  # say ALREADY_SAVED, redirect to done.url

A form posted without a token (a script, an old page) is saved as before, without this check.
"""

import datetime
import uuid

from django import forms
from django.db import IntegrityError, transaction
from django.utils import timezone

from pti.models import FormSubmission

TOKEN_FIELD = "jeton_formulaire"  # noqa: S105 (a field name, no secret)
ALREADY_SAVED = "Ce formulaire a déjà été enregistré : rien n'a été créé une seconde fois."
# A token is kept this long: enough for a page left open and sent again days later.
KEPT_DAYS = 7


class OnceFormMixin:
    """Adds the hidden one-time token (a new UUID each time a blank form is rendered; the
    posted one is kept when the form is shown again with its errors)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.submission_token = None
        self.fields[TOKEN_FIELD] = forms.UUIDField(
            widget=forms.HiddenInput, required=False, initial=uuid.uuid4
        )

    def clean(self):
        """Takes the token out of `cleaned_data` (the services never see it) into
        `submission_token` (a UUID, or None when the post carried none)."""
        cleaned = super().clean()
        self.submission_token = cleaned.pop(TOKEN_FIELD, None)
        return cleaned


class AlreadySaved(Exception):
    """The form was saved before: `url` shows what it created ("" if not known to `user`)."""

    def __init__(self, url):
        super().__init__(ALREADY_SAVED)
        self.url = url


@transaction.atomic
def submission_save(token, *, user, save, url_of):
    """Runs `save()` once for `token` (a UUID, or None: then always) and returns what it
    returns; records the token with `url_of(result)` (the page of what was created) in the same
    transaction. Raises AlreadySaved when the token was recorded before (a concurrent post of
    the same token waits for the first one's transaction, then is refused); whatever `save`
    raises (a ValidationError) leaves the token free for the form posted again, corrected."""
    if token is None:
        return save()
    _prune()
    try:
        with transaction.atomic():
            submission = FormSubmission.objects.create(token=token, user=user)
    except IntegrityError:
        earlier = FormSubmission.objects.filter(token=token).first()
        raise AlreadySaved(earlier.url if earlier and earlier.user_id == user.pk else "") from None
    # An error of `save` leaves this function's savepoint, and the token's row with it.
    result = save()
    submission.url = url_of(result)[:300]
    submission.save(update_fields=["url"])
    return result


def _prune():
    limit = timezone.now() - datetime.timedelta(days=KEPT_DAYS)
    FormSubmission.objects.filter(created_at__lt=limit).delete()
