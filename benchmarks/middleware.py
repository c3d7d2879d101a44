"""Counts the SQL statements of each request and reports them in response headers."""

from __future__ import annotations

import time

from django.db import connection

QUERIES_HEADER = "X-Bench-Queries"
SQL_MS_HEADER = "X-Bench-Sql-Ms"


class QueryCounter:
    """An execute wrapper (connection.execute_wrapper) that counts and times statements."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


class QueryCountMiddleware:
    """Adds X-Bench-Queries (statements run) and X-Bench-Sql-Ms (time in them) to responses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response[QUERIES_HEADER] = str(counter.count)
        response[SQL_MS_HEADER] = f"{counter.seconds * 1000:.3f}"
        return response
