"""Subscription delivery benchmark: subscribers of the real hub and poller in one process.

    DJANGO_DEBUG=1 .venv/bin/python -m benchmarks.subscriptions --subscribers 1000 --threads 200
    DJANGO_DEBUG=1 .venv/bin/python -m benchmarks.subscriptions --notify   # LISTEN/NOTIFY wake-up

Appends messages at a steady rate from a writer thread (each in its own transaction) and
measures commit-to-delivery latency (p50/p99) into the subscribers' queues, SQL statements per
poll, and memory per subscriber (tracemalloc). It measures the poller, the preparation of each
poll's events for all subscribers (messageAdded's: the subscribers' standing by API key, the
threads' visibility, the messages) and the fan-out, not GraphQL execution or WebSocket
framing. Uses the configured database (the embedded one by default) and deletes the threads
and the key it made.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import threading
import time
import tracemalloc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50, help="messages appended per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--notify",
        action="store_true",
        help="wake the poller with LISTEN/NOTIFY on a direct connection to the same database",
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connections

    from chat import services
    from chat.models import Thread
    from chat.subscriptions import _thread_events
    from config.realtime.auth import Principal
    from config.realtime.hub import Hub, connection_kwargs

    user, _ = get_user_model().objects.get_or_create(username="bench-realtime")
    Thread.objects.filter(owner=user).delete()
    user.api_keys.all().delete()
    key, _ = services.api_key_create(user=user, name="bench-realtime")
    principal = Principal(user_id=user.pk, api_key_id=key.pk)
    threads = [
        services.thread_create(owner=user, id=f"bench-rt-{i}", title="t").pk
        for i in range(args.threads)
    ]
    committed: dict[str, float] = {}
    arrivals: list[tuple[str, float]] = []

    def direct_url() -> str:
        """The configured database as a conninfo string (the embedded server is direct)."""
        if not args.notify:
            return ""
        from psycopg.conninfo import make_conninfo

        skip = {"autocommit", "prepare_threshold", "application_name"}
        return make_conninfo(**{k: v for k, v in connection_kwargs().items() if k not in skip})

    def writer(stop: threading.Event) -> None:
        i = 0
        while not stop.is_set():
            thread_id = threads[i % len(threads)]
            message = services.message_append(
                user=user, thread_id=thread_id, role="user", content=str(i)
            )
            committed[message.pk] = time.perf_counter()
            i += 1
            time.sleep(1 / args.rate)
        connections.close_all()

    async def run() -> dict:
        hub = Hub(direct_url=direct_url())
        hub.resolvers.register("thread", _thread_events)
        tracemalloc.start()
        base = tracemalloc.take_snapshot()
        # One pseudo-user per subscriber: the per-user cap is not what is measured.
        contexts = [
            hub.subscribe(
                topic="thread",
                key=threads[i % len(threads)],
                user_id=i,
                after=None,
                principal=principal,
            )
            for i in range(args.subscribers)
        ]
        subscribers = [await c.__aenter__() for c in contexts]
        memory = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(base, "filename"))
        tracemalloc.stop()

        async def drain(sub):
            async for batch in sub.batches():
                now = time.perf_counter()
                arrivals.extend((event.message.id, now) for event in batch)

        drains = [asyncio.create_task(drain(s)) for s in subscribers]
        poller = hub.pollers["thread"]
        stop = threading.Event()
        started = (hub.poll_statements, poller.polls, hub.resolvers.statements, hub.resolvers.runs)
        thread = threading.Thread(target=writer, args=(stop,))
        thread.start()
        await asyncio.sleep(args.seconds)
        stop.set()
        await asyncio.to_thread(thread.join)
        await asyncio.sleep(1)
        ended = (hub.poll_statements, poller.polls, hub.resolvers.statements, hub.resolvers.runs)
        for task in drains:
            task.cancel()
        for c in contexts:
            await c.__aexit__(None, None, None)
        await hub.reset_connection()
        polls = ended[1] - started[1]
        return {
            "polls": polls,
            "statements_per_poll": (ended[0] - started[0]) / polls,
            "preparations": ended[3] - started[3],
            "statements_per_preparation": (ended[2] - started[2]) / max(1, ended[3] - started[3]),
            "memory_per_subscriber": memory / args.subscribers,
            "listener_connections": hub.listener.connections if hub.listener else 0,
        }

    figures = asyncio.run(run())
    Thread.objects.filter(owner=user).delete()
    key.delete()
    # From the commit (the service's return) to the subscriber's queue; an event can be
    # delivered before the writer thread has read the clock after the commit: 0 then.
    latencies = sorted(max(0.0, at - committed[ref]) for ref, at in arrivals if ref in committed)
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"{args.subscribers} subscribers over {args.threads} threads, {len(committed)} messages "
        f"at {args.rate:g}/s, {len(latencies)} deliveries\n"
        f"commit-to-delivery p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms\n"
        f"{figures['polls']} polls, {figures['statements_per_poll']:.2f} statements per poll; "
        f"{figures['preparations']} with events, prepared for all their subscribers in "
        f"{figures['statements_per_preparation']:.2f} statements more\n"
        f"memory per subscriber {figures['memory_per_subscriber'] / 1024:.1f} KiB\n"
        + (
            f"LISTEN/NOTIFY wake-up on ({figures['listener_connections']} listener connection)"
            if args.notify
            else "polling only"
        )
    )


if __name__ == "__main__":
    main()
