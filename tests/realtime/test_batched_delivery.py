"""Events prepared for all of a poll's subscribers at once: the same decisions as one
subscriber at a time (Principal.user(), Thread.objects.visible_to, has_perm), a fixed number of
statements per poll whatever the number of subscribers, and one value per event, shared."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from chat import services as chat_services
from chat.models import ApiKey, Thread
from chat.subscriptions import VIEW_THREAD, _sees, _thread_events
from config.errors import UserError
from config.realtime.auth import Principal, Standing, standings
from config.realtime.cursor import Cursor
from config.realtime.hub import Event, Hub
from monitoring.subscriptions import _health_changes
from tests.realtime.test_message_added import in_thread


def _principals(make_user):
    """One principal of every kind: owner by key and by session, others, staff with and
    without chat.view_thread (directly, by group), superusers, an inactive owner, revoked and
    expired keys."""
    owner = make_user("owner")
    viewers = Group.objects.create(name="viewers")
    app_label, codename = VIEW_THREAD.split(".")
    viewers.permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    grouped = make_user("grouped-staff", is_staff=True)
    grouped.groups.add(viewers)
    users = {
        "owner": owner,
        "other": make_user("other"),
        "staff without the permission": make_user("plain-staff", is_staff=True),
        "staff with the permission": make_user("viewer", is_staff=True, perms=[VIEW_THREAD]),
        "staff with it by group": grouped,
        "not staff with the permission": make_user("non-staff", perms=[VIEW_THREAD]),
        "staff superuser": make_user("root", is_staff=True, is_superuser=True),
        "superuser, not staff": make_user("root2", is_superuser=True),
        "inactive": make_user("gone", is_active=False),
    }
    principals = {name: Principal(user_id=u.pk, api_key_id=None) for name, u in users.items()}
    for name, fields in [
        ("owner's key", {}),
        ("other's key", {}),
        ("revoked key", {"revoked_at": timezone.now()}),
        ("expired key", {"expires_at": timezone.now() - timedelta(seconds=1)}),
        ("inactive's key", {}),
    ]:
        user = {"other's key": users["other"], "inactive's key": users["inactive"]}.get(name, owner)
        key, _ = chat_services.api_key_create(user=user, name=name)
        ApiKey.objects.filter(pk=key.pk).update(**fields)
        principals[name] = Principal(user_id=user.pk, api_key_id=key.pk)
    return owner, principals


def _one_at_a_time(principal: Principal, thread: Thread):
    try:
        user = principal.user()
    except UserError as exc:
        return str(exc)
    return Thread.objects.visible_to(user).filter(pk=thread.pk).exists()


def _at_once(standing, thread: Thread):
    return _sees(standing, thread.owner_id) if isinstance(standing, Standing) else str(standing)


@pytest.mark.django_db
def test_standings_decide_as_principal_user_and_visible_to(make_user, django_assert_num_queries):
    # given
    owner, principals = _principals(make_user)
    thread = chat_services.thread_create(owner=owner, title="t")

    # when
    with django_assert_num_queries(1):
        at_once = standings(principals.values(), [VIEW_THREAD])

    # then
    decided = {name: _at_once(at_once[p], thread) for name, p in principals.items()}
    assert decided == {name: _one_at_a_time(p, thread) for name, p in principals.items()}
    assert decided == {
        "owner": True,
        "other": False,
        "staff without the permission": False,
        "staff with the permission": True,
        "staff with it by group": True,
        "not staff with the permission": False,
        "staff superuser": True,
        "superuser, not staff": False,
        "inactive": "This account is no longer active.",
        "owner's key": True,
        "other's key": False,
        "revoked key": "This API key is no longer valid.",
        "expired key": "This API key is no longer valid.",
        "inactive's key": "This API key is no longer valid.",
    }


@pytest.mark.django_db
def test_standings_hold_the_permissions_has_perm_grants(make_user):
    # given
    _, principals = _principals(make_user)
    perms = [VIEW_THREAD, "monitoring.view_systemhealth"]

    # when
    at_once = standings(principals.values(), perms)

    # then
    for principal in principals.values():
        standing = at_once[principal]
        if isinstance(standing, Standing):
            user = principal.user()
            assert {p: standing.has_perm(p) for p in perms} == {p: user.has_perm(p) for p in perms}


def _subscribe_all(hub: Hub, pairs):
    """Subscribe each (principal, thread id) to the thread topic; the contexts and subscribers."""

    async def enter():
        contexts = [
            hub.subscribe(topic="thread", key=thread_id, user_id=i, after=None, principal=principal)
            for i, (principal, thread_id) in enumerate(pairs)
        ]
        return contexts, [await c.__aenter__() for c in contexts]

    return enter()


def _append_everywhere(threads):
    """One message in every thread by its owner, in one transaction: one poll reads them all."""
    with transaction.atomic():
        for thread in threads:
            chat_services.message_append(
                user=thread.owner, thread_id=thread.pk, role="user", content=f"to {thread.title}"
            )


async def _one_poll(hub: Hub, pairs, threads):
    """Statements and polls spent while one transaction's messages reach every subscriber,
    and what each received."""
    contexts, subscribers = await _subscribe_all(hub, pairs)
    poller = hub.pollers["thread"]
    async with poller.lock:
        before = (hub.statements, poller.polls)
    await in_thread(_append_everywhere)(threads)
    received = [await asyncio.wait_for(s.queue.get(), 15) for s in subscribers]
    async with poller.lock:
        after = (hub.statements, poller.polls)
    for context in contexts:
        await context.__aexit__(None, None, None)
    await hub.reset_connection()
    await hub.resolvers.close()
    return after[0] - before[0], after[1] - before[1], received


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("per_thread", [1, 10])
def test_statements_per_poll_do_not_grow_with_the_subscribers(make_user, make_api_key, per_thread):
    # given: per thread, its owner by key, by session, and staff with the permission
    hub = Hub()
    hub.resolvers.register("thread", _thread_events)
    staff = make_user("staff", is_staff=True, perms=[VIEW_THREAD])
    threads, pairs = [], []
    for t in range(4):
        owner = make_user(f"owner{t}")
        threads.append(chat_services.thread_create(owner=owner, title=f"t{t}"))
        for n in range(per_thread):
            key, _ = chat_services.api_key_create(user=owner, name=f"k{n}")
            pairs += [
                (Principal(user_id=owner.pk, api_key_id=key.pk), threads[-1].pk),
                (Principal(user_id=owner.pk, api_key_id=None), threads[-1].pk),
                (Principal(user_id=staff.pk, api_key_id=None), threads[-1].pk),
            ]

    # when
    statements, polls, received = asyncio.run(_one_poll(hub, pairs, threads))

    # then: each poll one statement, and the one that read the messages three more (standings,
    # thread owners, messages)
    assert len(pairs) == 12 * per_thread
    assert statements - polls == 3
    assert [[(e.kind.value, e.message.content) for e in batch] for batch in received] == [
        [("message_added", f"to {Thread.objects.get(pk=thread_id).title}")]
        for _, thread_id in pairs
    ]
    # one value per event, shared by every subscriber of its thread
    by_thread = {}
    for (_, thread_id), batch in zip(pairs, received, strict=True):
        assert by_thread.setdefault(thread_id, batch[0]) is batch[0]


@pytest.mark.django_db(transaction=True)
def test_a_poll_ends_only_the_streams_that_lost_their_standing(make_user):
    # given
    alice, bob = make_user("alice"), make_user("bob")
    hub = Hub()
    hub.resolvers.register("thread", _thread_events)
    thread = chat_services.thread_create(owner=alice, title="t")
    key, _ = chat_services.api_key_create(user=alice, name="revoked")
    pairs = [
        (Principal(user_id=alice.pk, api_key_id=None), thread.pk),
        (Principal(user_id=alice.pk, api_key_id=key.pk), thread.pk),
        (Principal(user_id=bob.pk, api_key_id=None), thread.pk),
    ]

    def revoke_then_append(threads):
        chat_services.api_key_revoke(key=key)
        _append_everywhere(threads)

    async def scenario():
        contexts, subscribers = await _subscribe_all(hub, pairs)
        await in_thread(revoke_then_append)([thread])
        received = [await asyncio.wait_for(s.queue.get(), 15) for s in subscribers]
        for context in contexts:
            await context.__aexit__(None, None, None)
        await hub.reset_connection()
        await hub.resolvers.close()
        return received, [s.ended for s in subscribers]

    # when
    (kept, revoked, lost), ended = asyncio.run(scenario())

    # then
    assert [(e.kind.value, e.message.content) for e in kept] == [("message_added", "to t")]
    assert (type(revoked), str(revoked), revoked.code) == (
        UserError,
        "This API key is no longer valid.",
        "UNAUTHENTICATED",
    )
    assert str(lost) == "messageAdded: you may no longer see this thread."
    assert ended == [False, True, True]


@pytest.mark.django_db
def test_health_changes_are_built_once_and_refused_without_the_permission(
    make_user, django_assert_num_queries
):
    # given
    from config.realtime.hub import Subscriber

    viewer = make_user("viewer", perms=["monitoring.view_systemhealth"])
    nobody = make_user("nobody")
    events = [
        Event(Cursor(5, 1), "db", "status_changed", "1", {"status": "down", "previous": "up"})
    ]
    wanted = [
        (Subscriber("health", None, u.pk, Cursor(0, 0), Principal(u.pk, None)), events)
        for u in (viewer, viewer, nobody)
    ]

    # when
    with django_assert_num_queries(1):
        first, second, refused = _health_changes(wanted)

    # then
    assert first == second and first[0] is second[0]
    assert (first[0].cursor, first[0].component, first[0].status.value) == ("5-1", "db", "down")
    assert str(refused) == (
        "healthChanged: you don't have permission to do this (monitoring.view_systemhealth)."
    )


SUBSCRIPTION = "subscription ($t: ID!) { messageAdded(threadId: $t) { kind message { content } } }"


@pytest.mark.django_db(transaction=True)
def test_an_event_is_executed_once_per_selection(make_user):
    # given: subscribers of one thread through the transports' schema, two of them with the
    # same selection, and two through the plain schema
    from config.realtime.hub import hub
    from config.realtime.rendering import sharing_schema
    from config.schema import schema

    alice = make_user("alice")
    thread = chat_services.thread_create(owner=alice, title="t")
    context = {"principal": Principal(user_id=alice.pk, api_key_id=None)}
    other = SUBSCRIPTION.replace("kind message", "message { id } kind message")
    sharing = sharing_schema(schema)

    async def scenario():
        streams = [
            await served.subscribe(query, variable_values={"t": thread.pk}, context_value=context)
            for served, query in [
                (sharing, SUBSCRIPTION),
                (sharing, SUBSCRIPTION),
                (sharing, other),
                (schema, SUBSCRIPTION),
                (schema, SUBSCRIPTION),
            ]
        ]
        firsts = [asyncio.ensure_future(anext(s)) for s in streams]
        await asyncio.sleep(0.5)  # all are registered with the poller
        await in_thread(_append_everywhere)([thread])
        results = [await asyncio.wait_for(f, 15) for f in firsts]
        for stream in streams:
            await stream.aclose()
        while hub.pollers["thread"].running:  # the process's hub: stopped before the loop ends
            await asyncio.sleep(0.05)
        await hub.reset_connection()
        await hub.resolvers.close()
        return results

    # when
    same, again, different, plain, plain_again = asyncio.run(scenario())

    # then
    answer = {"messageAdded": {"kind": "MESSAGE_ADDED", "message": {"content": "to t"}}}
    assert [r.errors for r in (same, again, different, plain, plain_again)] == [None] * 5
    assert same.data == again.data == plain.data == plain_again.data == answer
    assert same.data is again.data
    assert plain.data is not plain_again.data
    assert different.data == {
        "messageAdded": {
            "message": {"id": thread.messages.get().pk, "content": "to t"},
            "kind": "MESSAGE_ADDED",
        }
    }


def _wanted(topic, pairs):
    from config.realtime.hub import Subscriber

    return [
        (Subscriber(topic, key, p.user_id, Cursor(0, 0), p, params), events)
        for p, key, params, events in pairs
    ]


@pytest.mark.django_db
def test_log_batches_per_filter_in_two_statements(make_user, django_assert_num_queries):
    # given: one ingest of three logs, heard by subscribers with three filters
    from monitoring.models import Level
    from monitoring.subscriptions import _log_batches
    from monitoring.types import MonitoringLevel
    from tests.monitoring.factories import MonitoringLogFactory

    viewer = make_user("viewer", perms=["monitoring.view_monitoringlog"])
    nobody = make_user("nobody")
    logs = [
        MonitoringLogFactory(level=Level.INFO, source="api", message="started"),
        MonitoringLogFactory(level=Level.ERROR, source="api", message="failed"),
        MonitoringLogFactory(level=Level.ERROR, source="worker", message="crashed"),
    ]
    events = [Event(Cursor(7, 1), "", "logs_added", "", {"ids": [log.pk for log in logs]})]
    seeing, refused = Principal(viewer.pk, None), Principal(nobody.pk, None)
    errors_only = (MonitoringLevel.ERROR, None)
    wanted = _wanted(
        "logs",
        [
            (seeing, "", (None, None), events),
            (seeing, "", errors_only, events),
            (seeing, "", errors_only, events),
            (seeing, "", (None, "worker"), events),
            (seeing, "", (MonitoringLevel.CRITICAL, None), events),
            (refused, "", (None, None), events),
        ],
    )

    # when
    with django_assert_num_queries(2):
        everything, errors, errors_again, worker, critical, forbidden = _log_batches(wanted)

    # then
    def batch(*indexes):
        return ("7-1", [str(logs[i].pk) for i in indexes], [logs[i].message for i in indexes])

    assert [(b.cursor, b.ids, b.messages) for b in everything] == [batch(0, 1, 2)]
    assert [(b.cursor, b.ids, b.messages) for b in errors] == [batch(1, 2)]
    assert errors_again[0] is errors[0]
    assert [(b.cursor, b.ids, b.messages) for b in worker] == [batch(2)]
    assert critical == []
    assert str(forbidden) == (
        "logsAdded: you don't have permission to do this (monitoring.view_monitoringlog)."
    )


@pytest.mark.django_db
def test_thread_changes_go_to_those_who_may_see_the_thread(make_user, django_assert_num_queries):
    # given: alice's and bob's threads changing, heard by alice, staff and a revoked key
    from chat.subscriptions import _thread_changes

    alice, bob = make_user("alice"), make_user("bob")
    staff = make_user("staff", is_staff=True, perms=[VIEW_THREAD])
    mine = chat_services.thread_create(owner=alice, title="mine")
    theirs = chat_services.thread_create(owner=bob, title="theirs")
    key, _ = chat_services.api_key_create(user=alice, name="revoked")
    chat_services.api_key_revoke(key=key)
    events = [
        Event(Cursor(8, 1), str(alice.pk), "thread_updated", mine.pk, {}),
        Event(Cursor(8, 2), str(bob.pk), "thread_created", theirs.pk, {}),
        Event(Cursor(8, 3), str(alice.pk), "thread_deleted", "gone", {}),
    ]
    wanted = _wanted(
        "owner",
        [
            (Principal(alice.pk, None), str(alice.pk), (), [events[0], events[2]]),
            (Principal(staff.pk, None), None, (), events),
            (Principal(alice.pk, key.pk), str(alice.pk), (), [events[0], events[2]]),
        ],
    )

    # when
    with django_assert_num_queries(2):
        for_alice, for_staff, revoked = _thread_changes(wanted)

    # then
    assert [(e.cursor, e.kind.value, e.thread_id) for e in for_alice] == [
        ("8-1", "thread_updated", mine.pk),
        ("8-3", "thread_deleted", "gone"),
    ]
    assert [(e.cursor, e.kind.value, e.thread_id) for e in for_staff] == [
        ("8-1", "thread_updated", mine.pk),
        ("8-2", "thread_created", theirs.pk),
        ("8-3", "thread_deleted", "gone"),
    ]
    assert for_staff[0] is for_alice[0]
    assert str(revoked) == "This API key is no longer valid."
