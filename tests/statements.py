"""Statement counts that depend on how reads run: compiled into one statement per list
(config.compiler, GRAPHQL_COMPILE on, the default) or on Strawberry's standard path (off;
`make test` runs the suite both ways)."""

from django.conf import settings


def compiled() -> bool:
    return settings.GRAPHQL_COMPILE


def statements(*, standard: int, compiled: int) -> int:
    """The statements a request takes in the current mode."""
    return compiled if settings.GRAPHQL_COMPILE else standard
