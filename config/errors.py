"""Which GraphQL errors a client may read, and the masking of everything else."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from graphql import GraphQLError
from strawberry.exceptions import StrawberryGraphQLError

logger = logging.getLogger("config.graphql")

MASKED_MESSAGE = "Unexpected error."


class UserError(Exception):
    """An expected failure whose message is meant for the client (bad input, cap reached, …)."""


class NotFound(UserError, ObjectDoesNotExist):
    """The object does not exist or is not visible to the caller; both read the same."""


# Exceptions raised in resolvers whose message is written for the client.
EXPOSED_ERRORS = (
    UserError,
    ValidationError,
    PermissionDenied,
    ObjectDoesNotExist,
    StrawberryGraphQLError,
)


def should_mask_error(error: GraphQLError) -> bool:
    """Mask resolver failures that are not expected errors; log them with their traceback.

    Errors without a path come from parsing, validation or variable coercion: the client's
    own request, safe to show.
    """
    original = error.original_error
    if error.path is None or original is None:
        return False
    if isinstance(original, GraphQLError):
        return should_mask_error(original) if original.original_error else False
    if isinstance(original, EXPOSED_ERRORS):
        return False
    logger.error(
        "Unexpected error in GraphQL field %s", ".".join(map(str, error.path)), exc_info=original
    )
    return True
