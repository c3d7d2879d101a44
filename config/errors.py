"""The error vocabulary of the API, which GraphQL errors a client may read, and the masking
of everything else.

Every code an answer can carry (top-level `errors[].extensions.code`, a mutation's
`OperationInfo.messages[].code`, the HTTP layer's and the subscriptions' errors) is declared
once in VOCABULARY; docs/errors.md tables them and a test walks the schema for any other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, OperationalError
from graphql import GraphQLError
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import MaskErrors

logger = logging.getLogger("config.graphql")


@dataclass(frozen=True)
class ErrorCode:
    meaning: str
    # Whether the same request may succeed if simply sent again later.
    retryable: bool = False
    # The HTTP status of an answer refused with this code, when it is not 200.
    http_status: int | None = None


UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
VALIDATION_ERROR = "VALIDATION_ERROR"
CONFLICT = "CONFLICT"
INVALID_VALUE = "INVALID_VALUE"
DAILY_CAP_REACHED = "DAILY_CAP_REACHED"
BAD_REQUEST = "BAD_REQUEST"
PAGE_SIZE_TOO_LARGE = "PAGE_SIZE_TOO_LARGE"
LIST_TOO_LONG = "LIST_TOO_LONG"
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
CSRF_FAILED = "CSRF_FAILED"
DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
LOCK_TIMEOUT = "LOCK_TIMEOUT"
STATEMENT_TIMEOUT = "STATEMENT_TIMEOUT"
SLOW_CONSUMER = "SLOW_CONSUMER"
BUSY = "BUSY"
TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
INTERNAL_ERROR = "INTERNAL_ERROR"

VOCABULARY: dict[str, ErrorCode] = {
    UNAUTHENTICATED: ErrorCode(
        "No valid credentials: anonymous, or an API key that is wrong, revoked or expired "
        "(HTTP 401 for a refused key).",
        http_status=401,
    ),
    FORBIDDEN: ErrorCode("Signed in, but without the permission this needs."),
    NOT_FOUND: ErrorCode("No such object, or one the caller may not see (both read the same)."),
    VALIDATION_ERROR: ErrorCode(
        "A value was refused; `field` (and `fields` for several) names the argument or input field."
    ),
    CONFLICT: ErrorCode("A uniqueness rule refused the write (an id, code or email taken)."),
    INVALID_VALUE: ErrorCode(
        "The database refused a value no validation caught (a reference to a deleted row)."
    ),
    DAILY_CAP_REACHED: ErrorCode("The daily token or cost cap would be passed; nothing written."),
    BAD_REQUEST: ErrorCode(
        "The request does not fit the schema: syntax, an unknown field, a value of the wrong "
        "type or outside its scalar's range, or an HTTP body that is not one JSON operation.",
        http_status=400,
    ),
    PAGE_SIZE_TOO_LARGE: ErrorCode(
        "A page size (`first`, `last`, `limit`) above the maximum; `field` names it."
    ),
    LIST_TOO_LONG: ErrorCode("A list argument past its declared length; `field` is its path."),
    QUERY_TOO_DEEP: ErrorCode("The query nests deeper than allowed."),
    TOO_MANY_ALIASES: ErrorCode("The query has more aliases than allowed."),
    TOO_MANY_TOKENS: ErrorCode("The query text has more tokens than allowed."),
    METHOD_NOT_ALLOWED: ErrorCode("An HTTP method the endpoint does not serve.", http_status=405),
    REQUEST_TOO_LARGE: ErrorCode("The request body is over the size limit.", http_status=413),
    CSRF_FAILED: ErrorCode("An admin-session request without its CSRF token.", http_status=403),
    DATABASE_UNAVAILABLE: ErrorCode(
        "The database is restarting or unreachable.", retryable=True, http_status=503
    ),
    LOCK_TIMEOUT: ErrorCode(
        "The data stayed locked by another change past the lock limit.",
        retryable=True,
        http_status=503,
    ),
    STATEMENT_TIMEOUT: ErrorCode(
        "The request ran past the statement time limit; narrow it rather than retry."
    ),
    SLOW_CONSUMER: ErrorCode(
        "A subscriber fell behind its events; resubscribe from the last cursor.", retryable=True
    ),
    BUSY: ErrorCode("The server holds its maximum of subscriptions.", retryable=True),
    TOO_MANY_SUBSCRIPTIONS: ErrorCode("The caller holds its maximum of subscriptions."),
    INTERNAL_ERROR: ErrorCode(
        "An unexpected failure (`Unexpected error.`), logged on the server; not retryable as such."
    ),
}

RETRYABLE_CODES = frozenset(code for code, entry in VOCABULARY.items() if entry.retryable)
# Codes whose top-level error makes the GraphQL answer a 503 with Retry-After.
UNAVAILABLE_CODES = frozenset(
    code for code, entry in VOCABULARY.items() if entry.http_status == 503
)

MASKED_MESSAGE = "Unexpected error."

# The database is restarting, unreachable or dropped the connection: worth a retry, so the
# client gets a 503 with this message instead of a masked error (the details stay in the log).
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
DATABASE_UNAVAILABLE_MESSAGE = "The database is temporarily unavailable; retry shortly."
DATABASE_UNAVAILABLE_CODE = DATABASE_UNAVAILABLE
RETRY_AFTER_SECONDS = 2

# A statement PostgreSQL cancelled because it ran past a limit (config.timeouts): the same
# request would run as long again, so this is not retryable as it is (narrow it).
STATEMENT_TIMEOUT_CODE = STATEMENT_TIMEOUT
STATEMENT_TIMEOUT_MESSAGE = (
    "The request took longer than the database allows and was cancelled; narrow it "
    "(fewer or more selective arguments)."
)
# A row or table stayed locked by another write past the lock limit: retryable, answered 503.
LOCK_TIMEOUT_CODE = LOCK_TIMEOUT
LOCK_TIMEOUT_MESSAGE = "The data is busy with another change; retry shortly."
CANCELLED_SQLSTATES = {
    "57014": (STATEMENT_TIMEOUT_MESSAGE, STATEMENT_TIMEOUT_CODE),  # query_canceled
    "25P03": (STATEMENT_TIMEOUT_MESSAGE, STATEMENT_TIMEOUT_CODE),  # idle_in_transaction_timeout
    "55P03": (LOCK_TIMEOUT_MESSAGE, LOCK_TIMEOUT_CODE),  # lock_not_available
}
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
    "23503": ("This refers to something that does not exist (any more).", INVALID_VALUE),
    "23514": ("A value is outside what is allowed.", INVALID_VALUE),
}


class UserError(Exception):
    """An expected failure whose message is meant for the client (bad input, cap reached, …).

    `code` (from VOCABULARY) goes to the error's `extensions.code` so clients can branch on
    it; `field` (the argument or input path as written in GraphQL: `first`, `input.email`)
    to `extensions.field`, or to `OperationInfo.messages[].field` in a mutation.
    """

    code = BAD_REQUEST

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        if code:
            self.code = code
        if self.code not in VOCABULARY:
            raise ValueError(f"{self.code!r} is not a code of config.errors.VOCABULARY")
        self.field = field


def invalid(message: str, *, field: str) -> UserError:
    """A VALIDATION_ERROR naming the argument or input field that was refused."""
    return UserError(message, code=VALIDATION_ERROR, field=field)


class NotFound(UserError, ObjectDoesNotExist):
    """The object does not exist or is not visible to the caller; both read the same."""

    code = NOT_FOUND


class NotSignedIn(PermissionDenied):
    """The caller is anonymous where a user is needed (UNAUTHENTICATED, never FORBIDDEN)."""

    code = UNAUTHENTICATED


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


# Errors of the query limits (strawberry's limiters), by the start of their message.
LIMIT_MESSAGES = (
    ("exceeds maximum operation depth", QUERY_TOO_DEEP),
    ("aliases found. Allowed:", TOO_MANY_ALIASES),
    ("Syntax Error: Document contains more than", TOO_MANY_TOKENS),
)


def _limit_code(message: str) -> str:
    for part, code in LIMIT_MESSAGES:
        if part in message:
            return code
    return BAD_REQUEST


def _camel_path(name: str) -> str:
    return ".".join(_camel(part) for part in name.split("."))


def _single_argument(error: GraphQLError) -> str | None:
    """The one argument the failing field was given, to name for a non-field refusal."""
    node = error.nodes[0] if error.nodes else None
    arguments = getattr(node, "arguments", None) or ()
    return arguments[0].name.value if len(arguments) == 1 else None


def client_error(error: GraphQLError, *, anonymous: bool = False) -> GraphQLError:
    """Give expected errors a readable message and an `extensions.code` from VOCABULARY (and
    `extensions.field` where one argument or input field is to blame).

    `anonymous`: the caller is not signed in, so a refused permission reads UNAUTHENTICATED.
    """
    original = error.original_error
    extensions = dict(error.extensions or {})
    message = error.message
    if isinstance(original, ValidationError):
        message, fields = validation_message(original)
        fields = {
            field if field == "__all__" else _camel_path(field): [bounded(p) for p in problems]
            for field, problems in fields.items()
        }
        named = next((field for field in fields if field != "__all__"), None)
        field = named or _single_argument(error)
        extensions.update(code=VALIDATION_ERROR, fields=fields)
        if field:
            extensions["field"] = field
    elif isinstance(original, PermissionDenied):
        signed_out = anonymous or isinstance(original, NotSignedIn)
        extensions["code"] = UNAUTHENTICATED if signed_out else FORBIDDEN
    elif isinstance(original, UserError):
        extensions["code"] = original.code
        if original.field:
            extensions["field"] = original.field
    elif isinstance(original, ObjectDoesNotExist):
        extensions["code"] = NOT_FOUND
    elif cancellation(original) is not None:
        message, extensions["code"] = cancellation(original)
    elif is_connection_failure(original):
        message = DATABASE_UNAVAILABLE_MESSAGE
        extensions["code"] = DATABASE_UNAVAILABLE_CODE
    elif isinstance(original, DATABASE_REFUSALS):
        message, extensions["code"], field = refusal_message(original)
        if field:
            extensions["field"] = field
    elif "code" in extensions:
        if len(error.message) <= MAX_MESSAGE_LENGTH:
            return error
    elif error.path is None:
        # Refused before anything ran (a variable of the wrong type or out of range, a query
        # limit): the client's own request.
        extensions["code"] = _limit_code(message)
    else:
        extensions["code"] = INTERNAL_ERROR
    return GraphQLError(
        bounded(message),
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original,
        extensions=extensions,
    )


def is_anonymous(context) -> bool:
    """Whether the caller of this request or subscription is not signed in.

    Ask only about a refused permission: the resolver has read the user by then, while
    reading it here first could load a session from a database that just failed.
    """
    if isinstance(context, dict):  # a subscription: who it runs as, once authenticated
        return context.get("principal") is None
    user = getattr(getattr(context, "request", None), "user", None)
    try:
        return user is not None and not user.is_authenticated
    except DatabaseError:
        return False


class ClientErrors(MaskErrors):
    """Mask unexpected errors (INTERNAL_ERROR); give expected ones a readable message and a
    code from VOCABULARY."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask_error, error_message=MASKED_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL_ERROR}
        return masked

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        context = getattr(self.execution_context, "context", None)
        anonymous = any(
            isinstance(error.original_error, PermissionDenied) for error in errors
        ) and is_anonymous(context)
        processed = [
            client_error(error, anonymous=anonymous) for error in super()._process_errors(errors)
        ]
        if any((error.extensions or {}).get("code") in UNAVAILABLE_CODES for error in processed):
            mark_unavailable(getattr(context, "response", None))
        return processed


def mark_unavailable(response) -> None:
    """Answer 503 with Retry-After, so clients and load balancers retry instead of failing."""
    if response is not None:
        response.status_code = 503
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)


def error_document(message: str, code: str) -> dict:
    """A whole answer that is one error: GraphQL's response shape with the error's code."""
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}


def database_unavailable_response():
    """The whole answer when the database fails before GraphQL runs (e.g. authentication)."""
    from django.http import JsonResponse

    response = JsonResponse(
        error_document(DATABASE_UNAVAILABLE_MESSAGE, DATABASE_UNAVAILABLE), status=503
    )
    mark_unavailable(response)
    return response


def refusal_message(error: Exception) -> tuple[str, str, str | None]:
    """(message, code, field or None) for a value or constraint the database refused."""
    if isinstance(error, DataError | UnicodeEncodeError):
        return INVALID_VALUE_MESSAGE, INVALID_VALUE, None
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == "23502":  # not_null_violation
        column = getattr(getattr(cause, "diag", None), "column_name", None)
        name = _camel(column.removesuffix("_id")) if column else None
        return f"{name or 'A value'}: must not be null.", VALIDATION_ERROR, name
    message, code = CONSTRAINT_MESSAGES.get(
        sqlstate or "", ("This conflicts with data already stored.", CONFLICT)
    )
    return message, code, None


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
