"""A small HTTP client for the GraphQL endpoint that remembers every answer it read.

Every response body is appended to one file, so the secrets scan (case 8) can look through
everything the server ever said during the run.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "site-packages/")


@dataclass
class Response:
    status: int  # 0: no HTTP answer (connection refused/reset)
    text: str
    started: float
    finished: float
    headers: dict[str, str] = field(default_factory=dict)
    path: str = ""  # what was asked for

    @property
    def json(self) -> dict | list | None:
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def elapsed_ms(self) -> float:
        return (self.finished - self.started) * 1000

    def errors(self) -> list[dict]:
        body = self.json
        return body.get("errors") or [] if isinstance(body, dict) else []

    def has_traceback(self) -> bool:
        return any(marker in self.text for marker in TRACEBACK_MARKERS)


class Client:
    def __init__(self, base_url: str, record_to: Path | None = None):
        host_port = base_url.removeprefix("http://").rstrip("/")
        self.host, _, port = host_port.partition(":")
        self.port = int(port)
        self.record_to = record_to
        self._lock = threading.Lock()
        self.count = 0

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Response:
        started = time.monotonic()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            raw = conn.getresponse()
            text = raw.read().decode("utf-8", "replace")
            response = Response(
                raw.status,
                text,
                started,
                time.monotonic(),
                {k.lower(): v for k, v in raw.getheaders()},
                path,
            )
        except (OSError, http.client.HTTPException) as exc:
            response = Response(
                0, f"{type(exc).__name__}: {exc}", started, time.monotonic(), path=path
            )
        finally:
            conn.close()
        self._record(method, path, response)
        return response

    def _record(self, method: str, path: str, response: Response) -> None:
        with self._lock:
            self.count += 1
            if self.record_to is not None:
                with self.record_to.open("a", encoding="utf-8") as out:
                    out.write(f"--- {method} {path} {response.status}\n{response.text}\n")

    def graphql(
        self,
        query: str,
        variables: dict | None = None,
        *,
        key: str | None = None,
        payload: object = None,
        timeout: float = 30,
    ) -> Response:
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        data = payload if payload is not None else {"query": query, "variables": variables or {}}
        return self.request("POST", "/graphql/", json.dumps(data).encode(), headers, timeout)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, None, headers)
