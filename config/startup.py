"""What a server process does once Django is set up (config.asgi, config.wsgi)."""

from __future__ import annotations

import gc

from django.urls import get_resolver


def settle() -> None:
    """The application loaded whole — its URLs and views, the schema — instead of by the
    first request, then the objects of startup (about 134,000 that the cyclic garbage
    collector tracks) moved out of the collector's way (`gc.freeze`). They live as long as
    the process, yet every full collection walked them all: about one in 2,000 reads, a
    pause of 50-110 ms in the request it fell on, against some 10 ms once they are frozen
    (docs/benchmarks.md). Garbage made while loading is collected first, so none of it is
    kept for good."""
    get_resolver().url_patterns  # noqa: B018 (imports the URLconf)
    gc.collect()
    gc.freeze()
