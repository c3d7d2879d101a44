"""Which GraphQL errors a client may read, and the masking of everything else."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, OperationalError
from graphql import GraphQLError
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import MaskErrors

logger = logging.getLogger("config.graphql")

MASKED_MESSAGE = "Unexpected error."

# The database is restarting, unreachable or dropped the connection: worth a retry, so the
# client gets a 503 with this message instead of a masked error (the details stay in the log).
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
DATABASE_UNAVAILABLE_MESSAGE = "The database is temporarily unavailable; retry shortly."
DATABASE_UNAVAILABLE_CODE = "DATABASE_UNAVAILABLE"
RETRY_AFTER_SECONDS = 2

# A statement PostgreSQL cancelled because it ran past a limit (config.timeouts): the same
# request would run as long again, so this is not retryable as it is (narrow it).
STATEMENT_TIMEOUT_CODE = "STATEMENT_TIMEOUT"
STATEMENT_TIMEOUT_MESSAGE = (
    "The request took longer than the database allows and was cancelled; narrow it "
    "(fewer or more selective arguments)."
)
# A row or table stayed locked by another write past the lock limit: retryable, answered 503.
LOCK_TIMEOUT_CODE = "LOCK_TIMEOUT"
LOCK_TIMEOUT_MESSAGE = "The data is busy with another change; retry shortly."
CANCELLED_SQLSTATES = {
    "57014": (STATEMENT_TIMEOUT_MESSAGE, STATEMENT_TIMEOUT_CODE),  # query_canceled
    "25P03": (STATEMENT_TIMEOUT_MESSAGE, STATEMENT_TIMEOUT_CODE),  # idle_in_transaction_timeout
    "55P03": (LOCK_TIMEOUT_MESSAGE, LOCK_TIMEOUT_CODE),  # lock_not_available
}
RETRYABLE_CODES = frozenset({DATABASE_UNAVAILABLE_CODE, LOCK_TIMEOUT_CODE})
# SQLSTATE classes of a lost, refused or failing connection: 08 connection exception,
# 53 insufficient resources (too many connections), 57P admin/crash shutdown, 58 system error.
CONNECTION_SQLSTATE_PREFIXES = ("08", "53", "57P", "58")

# PostgreSQL refused a value the request carried (a NUL character, a number out of range, a
# date it cannot represent) that no validation caught: the client's input, so say so.
INVALID_VALUE_MESSAGE = (
    "A value in this request cannot be handled by the database "
    "(for example a NUL character or a number out of range)."
)
# A constraint refused the write and no validation had caught it first (a null where a value
# is required, a duplicate that lost a race): say which kind, never the SQL.
# psycopg raises UnicodeEncodeError itself for a lone surrogate it cannot send as UTF-8.
DATABASE_REFUSALS = (DataError, IntegrityError, UnicodeEncodeError)
CONSTRAINT_MESSAGES = {
    "23505": ("This conflicts with data already stored (a duplicate).", "CONFLICT"),
    "23503": ("This refers to something that does not exist (any more).", "INVALID_VALUE"),
    "23514": ("A value is outside what is allowed.", "INVALID_VALUE"),
}


class UserError(Exception):
    """An expected failure whose message is meant for the client (bad input, cap reached, …).

    `code` goes to the error's `extensions.code` so clients can branch on it.
    """

    code = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code


class NotFound(UserError, ObjectDoesNotExist):
    """The object does not exist or is not visible to the caller; both read the same."""

    code = "NOT_FOUND"


# Exceptions raised in resolvers whose message is written for the client.
EXPOSED_ERRORS = (
    UserError,
    ValidationError,
    PermissionDenied,
    ObjectDoesNotExist,
    StrawberryGraphQLError,
)


def _sqlstate(error: BaseException) -> str | None:
    return getattr(error, "sqlstate", None) or getattr(error.__cause__, "sqlstate", None)


def cancellation(error: BaseException) -> tuple[str, str] | None:
    """(message, code) when PostgreSQL cancelled the statement at a time or lock limit."""
    if not isinstance(error, DatabaseError):
        return None
    return CANCELLED_SQLSTATES.get(_sqlstate(error) or "")


def is_connection_failure(error: BaseException) -> bool:
    """Whether the database connection (not the request) failed: unreachable, dropped, a
    pooler restarting or out of connections, or a reply the driver could not make sense of
    (psycopg's `received 2 results from command 'BEGIN'`). All are worth a retry."""
    if not isinstance(error, DatabaseError) or isinstance(error, DATABASE_REFUSALS):
        return False
    if cancellation(error) is not None:
        return False
    sqlstate = _sqlstate(error)
    if isinstance(error, DATABASE_UNAVAILABLE_ERRORS):
        return True
    if sqlstate is None:
        # The driver's own InternalError/InterfaceError: the protocol state is lost.
        return type(error.__cause__).__name__ in {"InternalError", "InterfaceError"}
    return sqlstate.startswith(CONNECTION_SQLSTATE_PREFIXES)


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
    if (
        isinstance(original, DATABASE_REFUSALS)
        or is_connection_failure(original)
        or cancellation(original) is not None
    ):
        logger.warning(
            "Database refused GraphQL field %s: %s: %s",
            ".".join(map(str, error.path)),
            original.__class__.__name__,
            str(original).splitlines()[0] if str(original) else "",
        )
        return False
    logger.error(
        "Unexpected error in GraphQL field %s", ".".join(map(str, error.path)), exc_info=original
    )
    return True


def validation_message(error: ValidationError) -> tuple[str, dict[str, list[str]]]:
    """'field: problem; other: problem' and the same as {field: [problems]}."""
    if hasattr(error, "error_dict"):
        fields = {
            field: [m for e in errors for m in e.messages]
            for field, errors in error.error_dict.items()
        }
    else:
        fields = {"__all__": error.messages}
    parts = [
        "; ".join(problems) if field == "__all__" else f"{field}: {'; '.join(problems)}"
        for field, problems in fields.items()
    ]
    return "; ".join(parts), fields


# An error message listing what the client sent (10,000 unknown ids) is cut to this length.
MAX_MESSAGE_LENGTH = 1000


def bounded(message: str) -> str:
    """`message`, cut at MAX_MESSAGE_LENGTH characters with a count of what was left out."""
    if len(message) <= MAX_MESSAGE_LENGTH:
        return message
    left_out = len(message) - MAX_MESSAGE_LENGTH
    return f"{message[:MAX_MESSAGE_LENGTH]}… ({left_out} more characters)"


def client_error(error: GraphQLError) -> GraphQLError:
    """Give expected errors a readable message and an `extensions.code`."""
    original = error.original_error
    extensions = dict(error.extensions or {})
    message = error.message
    if isinstance(original, ValidationError):
        message, fields = validation_message(original)
        fields = {field: [bounded(p) for p in problems] for field, problems in fields.items()}
        extensions.update(code="VALIDATION_ERROR", fields=fields)
    elif isinstance(original, PermissionDenied):
        extensions["code"] = "FORBIDDEN"
    elif isinstance(original, UserError):
        extensions["code"] = original.code
    elif isinstance(original, ObjectDoesNotExist):
        extensions["code"] = "NOT_FOUND"
    elif cancellation(original) is not None:
        message, extensions["code"] = cancellation(original)
    elif is_connection_failure(original):
        message = DATABASE_UNAVAILABLE_MESSAGE
        extensions["code"] = DATABASE_UNAVAILABLE_CODE
    elif isinstance(original, DATABASE_REFUSALS):
        message, extensions["code"] = refusal_message(original)
    elif error.path is None and "code" not in extensions:
        # Refused before anything ran (a variable of the wrong type or out of range, a page
        # size or query limit): the client's own request, answered as a bad request.
        extensions["code"] = "BAD_REQUEST"
    else:
        if len(error.message) <= MAX_MESSAGE_LENGTH:
            return error
    return GraphQLError(
        bounded(message),
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original,
        extensions=extensions,
    )


class ClientErrors(MaskErrors):
    """Mask unexpected errors; give expected ones a readable message and a code."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask_error, error_message=MASKED_MESSAGE)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = [client_error(error) for error in super()._process_errors(errors)]
        if any((error.extensions or {}).get("code") in RETRYABLE_CODES for error in processed):
            mark_unavailable(getattr(self.execution_context.context, "response", None))
        return processed


def mark_unavailable(response) -> None:
    """Answer 503 with Retry-After, so clients and load balancers retry instead of failing."""
    if response is not None:
        response.status_code = 503
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)


def database_unavailable_response():
    """The whole answer when the database fails before GraphQL runs (e.g. authentication)."""
    from django.http import JsonResponse

    response = JsonResponse(
        {
            "data": None,
            "errors": [
                {
                    "message": DATABASE_UNAVAILABLE_MESSAGE,
                    "extensions": {"code": DATABASE_UNAVAILABLE_CODE},
                }
            ],
        },
        status=503,
    )
    mark_unavailable(response)
    return response


def refusal_message(error: Exception) -> tuple[str, str]:
    """(message, code) for a value or constraint the database refused."""
    if isinstance(error, DataError | UnicodeEncodeError):
        return INVALID_VALUE_MESSAGE, "INVALID_VALUE"
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == "23502":  # not_null_violation
        column = getattr(getattr(cause, "diag", None), "column_name", None)
        name = _camel(column.removesuffix("_id")) if column else "A value"
        return f"{name}: must not be null.", "VALIDATION_ERROR"
    return CONSTRAINT_MESSAGES.get(
        sqlstate or "", ("This conflicts with data already stored.", "CONFLICT")
    )


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
