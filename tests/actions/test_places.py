"""Places are counted by the database: the last one goes to one request only."""

import threading

import pytest
from django.db import close_old_connections

from actions import services
from actions.enums import ActionStatus
from actions.models import Action
from tests.actions.factories import ActionFactory


@pytest.mark.django_db
def test_taking_places_until_full_then_releasing_one():
    action = ActionFactory(capacity=2)
    assert services.action_take_place(action=action)
    assert services.action_take_place(action=action)
    action.refresh_from_db()
    assert (action.places_taken, action.status) == (2, ActionStatus.FULL)
    assert not services.action_take_place(action=action)
    services.action_release_place(action=action)
    action.refresh_from_db()
    assert (action.places_taken, action.status) == (1, ActionStatus.OPEN)


@pytest.mark.django_db
def test_no_place_is_taken_in_a_closed_or_planned_action():
    for status in (ActionStatus.CLOSED, ActionStatus.PLANNED):
        action = ActionFactory(capacity=5, status=status)
        assert not services.action_take_place(action=action)
        action.refresh_from_db()
        assert action.places_taken == 0


@pytest.mark.django_db
def test_the_database_refuses_more_places_than_the_capacity():
    from django.db import IntegrityError, transaction

    action = ActionFactory(capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.filter(pk=action.pk).update(places_taken=2)


@pytest.mark.django_db(transaction=True)
def test_two_requests_for_the_last_place_at_the_same_moment_get_one_place():
    action = ActionFactory(capacity=1)
    start = threading.Barrier(2)
    results = []

    def take():
        try:
            start.wait(timeout=10)
            results.append(services.action_take_place(action=action))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [False, True]
    action.refresh_from_db()
    assert (action.places_taken, action.status) == (1, ActionStatus.FULL)


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_requests_never_exceed_the_capacity():
    action = ActionFactory(capacity=3)
    start = threading.Barrier(8)
    results = []
    lock = threading.Lock()

    def take():
        try:
            start.wait(timeout=10)
            taken = services.action_take_place(action=action)
            with lock:
                results.append(taken)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert results.count(True) == 3
    assert results.count(False) == 5
    action.refresh_from_db()
    assert action.places_taken == 3
