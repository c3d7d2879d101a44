"""Mutation results in the error vocabulary: every `OperationInfo` message gets a code from
config.errors.VOCABULARY and, for a refused value, the field to blame.

strawberry-django's `handle_django_errors=True` turns ValidationError, PermissionDenied and
ObjectDoesNotExist into an `OperationInfo` carrying Django's own codes (`blank`, `max_length`,
`unique`, or null). `VocabularyCodes` is added to every mutation field by config.schema's
`build_schema`, so a mutation added to any app is covered without declaring anything.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.utils.str_converters import to_camel_case
from strawberry_django.fields.types import OperationInfo, OperationMessage

from config.errors import (
    CONFLICT,
    FORBIDDEN,
    NOT_FOUND,
    UNAUTHENTICATED,
    VALIDATION_ERROR,
    VOCABULARY,
    UserError,
    is_anonymous,
)

Kind = OperationMessage.Kind

# Django's own validation codes that mean a uniqueness rule refused the value.
UNIQUE_CODES = frozenset({"unique", "unique_together", "unique_for_date", "duplicate_key"})


def vocabulary_code(kind: Kind, code: str | None, *, anonymous: Callable[[], bool]) -> str:
    """The vocabulary code for a message of this kind with this (possibly Django's) code;
    `anonymous()` tells whether the caller is not signed in."""
    if kind is Kind.PERMISSION:
        return UNAUTHENTICATED if code == UNAUTHENTICATED or anonymous() else FORBIDDEN
    if code in VOCABULARY:
        return code
    if code in UNIQUE_CODES:
        return CONFLICT
    if kind is Kind.ERROR and code is None:  # ObjectDoesNotExist
        return NOT_FOUND
    return VALIDATION_ERROR


class VocabularyCodes(FieldExtension):
    """Rewrite a mutation's OperationInfo messages into the vocabulary; also answer a
    UserError (BAD_REQUEST, …) as OperationInfo when the mutation returns one."""

    def apply(self, field) -> None:
        names = [arg.graphql_name or to_camel_case(arg.python_name) for arg in field.arguments]
        # A non-field refusal of a value names the argument holding the values.
        self.default_field = "input" if "input" in names else (names[0] if names else None)
        self.handles_errors = bool(getattr(field, "handle_errors", False))

    def _messages(self, info, messages: list[OperationMessage]) -> OperationInfo:
        def anonymous() -> bool:
            return is_anonymous(info.context)

        rewritten = []
        for message in messages:
            code = vocabulary_code(message.kind, message.code, anonymous=anonymous)
            field = message.field
            if field is None and code == VALIDATION_ERROR:
                field = self.default_field
            rewritten.append(
                OperationMessage(kind=message.kind, message=message.message, field=field, code=code)
            )
        return OperationInfo(messages=rewritten)

    def _result(self, info, result: Any) -> Any:
        if isinstance(result, OperationInfo):
            return self._messages(info, result.messages)
        return result

    def _refusal(self, info, error: UserError) -> OperationInfo:
        kind = Kind.VALIDATION if error.code == VALIDATION_ERROR else Kind.ERROR
        message = OperationMessage(
            kind=kind, message=str(error), field=error.field, code=error.code
        )
        return self._messages(info, [message])

    def resolve(self, next_, source, info, **kwargs):
        try:
            result = next_(source, info, **kwargs)
        except UserError as error:
            if not self.handles_errors:
                raise
            return self._refusal(info, error)
        if inspect.isawaitable(result):
            return self._awaited(result, info)
        return self._result(info, result)

    async def _awaited(self, result, info):
        try:
            return self._result(info, await result)
        except UserError as error:
            if not self.handles_errors:
                raise
            return self._refusal(info, error)

    async def resolve_async(self, next_, source, info, **kwargs):
        try:
            result = next_(source, info, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        except UserError as error:
            if not self.handles_errors:
                raise
            return self._refusal(info, error)
        return self._result(info, result)


def declare_vocabulary_codes(mutation: type) -> None:
    """Add VocabularyCodes to every field of `mutation` (once)."""
    for field in mutation.__strawberry_definition__.fields:
        if not any(isinstance(extension, VocabularyCodes) for extension in field.extensions):
            field.extensions.append(VocabularyCodes())
