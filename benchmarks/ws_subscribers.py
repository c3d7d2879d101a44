"""The load beside the query benchmark (benchmarks.beside): N graphql-transport-ws subscribers
of messageAdded spread over the given threads, and a writer appending messages round-robin at a
steady rate through the messageAppend mutation; both until stdin closes.

Prints `ready` once every subscriber is subscribed, and at the end one JSON line: subscribers,
messages written, deliveries (expected: messages x subscribers per thread) and two latencies
(p50/p99): from the message's `createdAt` to each delivery, an upper bound of commit to
delivery (the server sets it in the transaction that commits the message, on this machine's
clock), and from sending the mutation to each delivery (so including the whole request).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import sys
import threading
import time
from datetime import datetime

from websockets.asyncio.client import connect

from benchmarks.load import percentile

SUBSCRIPTION = (
    "subscription ($t: ID!) { messageAdded(threadId: $t) { cursor kind message { id createdAt } } }"
)
APPEND = (
    "mutation ($t: ID!, $input: MessageAppendInput!) { messageAppend(threadId: $t, "
    "input: $input) { __typename } }"
)


class Writer(threading.Thread):
    def __init__(self, host: str, port: int, key: str, threads: list[str], rate: float):
        super().__init__(daemon=True)
        self.host, self.port, self.key, self.threads, self.rate = host, port, key, threads, rate
        self.sent: dict[str, float] = {}
        self.errors = 0
        self.first_error: str | None = None
        self.stop = threading.Event()

    def failed(self, message_id: str, why: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or why
        del self.sent[message_id]

    def run(self) -> None:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"}
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        number, started = 0, time.perf_counter()
        while not self.stop.is_set():
            message_id = f"bench-rt-msg-{started:.0f}-{number}"
            body = {
                "query": APPEND,
                "variables": {
                    "t": self.threads[number % len(self.threads)],
                    "input": {"id": message_id, "role": "USER", "content": str(number)},
                },
            }
            self.sent[message_id] = time.perf_counter()
            try:
                conn.request("POST", "/graphql/", body=json.dumps(body), headers=headers)
                raw = conn.getresponse().read()
                answer = json.loads(raw)
                if answer.get("errors") or answer["data"]["messageAppend"]["__typename"] != (
                    "Message"
                ):
                    self.failed(message_id, raw[:300].decode(errors="replace"))
            except (OSError, http.client.HTTPException, ValueError) as exc:
                self.failed(message_id, repr(exc))
                conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            number += 1
            # A steady rate: the next message at its slot, whatever this one took.
            delay = started + number / self.rate - time.perf_counter()
            if delay > 0:
                self.stop.wait(delay)


async def subscriber(url: str, key: str, thread_id: str, ready, arrivals: list, stop):
    async with connect(url, subprotocols=["graphql-transport-ws"], max_queue=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": key}}))
        ack = json.loads(await ws.recv())
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"not acknowledged: {ack}")
        subscribe = {"query": SUBSCRIPTION, "variables": {"t": thread_id}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        ready()
        receiving = asyncio.ensure_future(_receive(ws, arrivals))
        await asyncio.wait({receiving, stop}, return_when=asyncio.FIRST_COMPLETED)
        receiving.cancel()


async def _receive(ws, arrivals: list) -> None:
    async for raw in ws:
        message = json.loads(raw)
        if message.get("type") == "ping":
            await ws.send(json.dumps({"type": "pong"}))
        elif message.get("type") == "next":
            payload = message["payload"]
            if payload.get("errors"):
                raise RuntimeError(f"subscription error: {payload['errors']}")
            message = payload["data"]["messageAdded"]["message"]
            created = datetime.fromisoformat(message["createdAt"]).timestamp()
            arrivals.append((message["id"], time.perf_counter(), time.time() - created))
        elif message.get("type") in {"error", "complete"}:
            raise RuntimeError(f"subscription ended: {message}")


async def main_async(args) -> dict:
    host, port = args.base.split(":")
    threads = args.threads.split(",")
    url = f"ws://{args.base}/graphql/"
    arrivals: list[tuple[str, float]] = []
    stop = asyncio.get_running_loop().create_future()
    subscribed = 0

    def ready():
        nonlocal subscribed
        subscribed += 1

    tasks = []
    opening = asyncio.Semaphore(50)  # connections opened at a time

    async def open_one(i: int):
        async with opening:
            task = asyncio.ensure_future(
                subscriber(url, args.key, threads[i % len(threads)], ready, arrivals, stop)
            )
            tasks.append(task)
            while subscribed <= i and not task.done():
                await asyncio.sleep(0.01)
            if task.done():
                task.result()

    await asyncio.gather(*(open_one(i) for i in range(args.subscribers)))
    await asyncio.sleep(1)  # the last subscriptions registered on the server
    writer = Writer(host, int(port), args.key, threads, args.rate)
    writer.start()
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until the harness closes it
    writer.stop.set()
    await asyncio.to_thread(writer.join)
    await asyncio.sleep(1)  # the last deliveries
    failed = [t for t in tasks if t.done() and t.exception()]
    stop.set_result(None)
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = sorted(at - writer.sent[mid] for mid, at, _ in arrivals if mid in writer.sent)
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    # Clock readings a few microseconds apart can put a delivery before its createdAt: 0 then.
    committed = sorted(max(0.0, since) for mid, _, since in arrivals if mid in writer.sent)
    c50, c99 = percentile(committed, 0.5), percentile(committed, 0.99)
    return {
        "subscribers": subscribed,
        "failed_subscribers": len(failed),
        "first_failure": repr(failed[0].exception()) if failed else None,
        "messages": len(writer.sent),
        "append_errors": writer.errors,
        "first_append_error": writer.first_error,
        "deliveries": len(arrivals),
        "expected_deliveries": len(writer.sent) * args.subscribers // len(threads),
        "commit_delivery_p50_ms": round(c50 * 1000, 1) if c50 is not None else None,
        "commit_delivery_p99_ms": round(c99 * 1000, 1) if c99 is not None else None,
        "delivery_p50_ms": round(p50 * 1000, 1) if p50 is not None else None,
        "delivery_p99_ms": round(p99 * 1000, 1) if p99 is not None else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="host:port")
    parser.add_argument("--key", required=True)
    parser.add_argument("--threads", required=True, help="thread ids, comma-separated")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20, help="messages appended per second")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args))), flush=True)


if __name__ == "__main__":
    main()
