"""GraphQL types of the learn store: items, their filter and order, inputs and results."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
import strawberry_django
from django.contrib.auth import get_user_model
from django.db.models import Q
from strawberry import UNSET, auto

from config.enums import choices_enum
from config.errors import invalid
from config.inputs import aware
from config.text import is_storable, nothing_if_unstorable
from learn import selectors
from learn.models import LearnItem, all_tags_q, any_tag_q, search_q

LearnItemKind = choices_enum(
    LearnItem.Kind,
    name="LearnItemKind",
    description="Whether an example is good or bad.",
    values={
        "GOOD": "An example to follow.",
        "BAD": "An example to avoid.",
    },
)


@strawberry_django.type(
    get_user_model(), name="LearnUser", description="The user who saved a learn item."
)
class LearnUserType:
    id: strawberry.ID = strawberry_django.field(description="User id.")
    username: str = strawberry_django.field(description="Login name.")


@strawberry_django.filter_type(
    LearnItem,
    name="LearnItemFilter",
    description="Conditions an item must all meet (fields left out do not filter).",
)
class LearnItemFilter:
    kind: LearnItemKind | None = strawberry_django.filter_field(description="Only this kind.")

    @strawberry_django.filter_field(
        description="Items carrying every one of these tags (exact, case-sensitive)."
    )
    def tags_all(self, value: list[str], prefix: str) -> Q:
        return nothing_if_unstorable(*value) or all_tags_q(value, prefix)

    @strawberry_django.filter_field(
        description="Items carrying at least one of these tags (an empty list matches nothing)."
    )
    def tags_any(self, value: list[str], prefix: str) -> Q:
        # A tag the database cannot hold is on no item.
        return any_tag_q([tag for tag in value if is_storable(tag)], prefix)

    @strawberry_django.filter_field(
        description="Case-insensitive text that the notes or the filename contain."
    )
    def search(self, value: str, prefix: str) -> Q:
        return nothing_if_unstorable(value) or search_q(value, prefix)

    @strawberry_django.filter_field(description="Created at or after this time.")
    def created_from(self, value: datetime, prefix: str) -> Q:
        return Q(**{f"{prefix}created_at__gte": aware(value)})

    @strawberry_django.filter_field(description="Created strictly before this time.")
    def created_before(self, value: datetime, prefix: str) -> Q:
        return Q(**{f"{prefix}created_at__lt": aware(value)})


@strawberry_django.order_type(
    LearnItem,
    name="LearnItemOrder",
    description="One sort key; pass a list for several. Default: newest first.",
)
class LearnItemOrder:
    created_at: auto = strawberry_django.order_field(description="By creation time.")
    kind: auto = strawberry_django.order_field(description="By kind.")
    filename: auto = strawberry_django.order_field(description="By filename.")
    size_bytes: auto = strawberry_django.order_field(description="By size.")
    id: auto = strawberry_django.order_field(description="By id (order of saving).")


@strawberry_django.type(
    LearnItem, name="LearnItem", description="A good or bad example with notes and tags."
)
class LearnItemType:
    id: strawberry.ID = strawberry_django.field(description="Item id.")
    kind: LearnItemKind = strawberry_django.field(description="Good or bad example.")
    filename: str | None = strawberry_django.field(
        description="Original file name; null when unknown."
    )
    size_bytes: int | None = strawberry_django.field(description="Size in bytes; null if unknown.")
    notes: str | None = strawberry_django.field(description="Notes; null when none.")
    tags: list[str] = strawberry_django.field(description="Distinct tags, in the order saved.")
    created_by: LearnUserType | None = strawberry_django.field(
        description="Who saved it; null for imported items or deleted users."
    )
    created_at: datetime = strawberry_django.field(description="When it was saved.")


@strawberry.input(name="LearnItemCreateInput", description="A new learn item.")
class LearnItemCreateInput:
    kind: LearnItemKind = strawberry.field(description="Good or bad example.")
    filename: str | None = strawberry.field(default=None, description="At most 255 characters.")
    size_bytes: int | None = strawberry.field(default=None, description="0 or more.")
    notes: str | None = strawberry.field(default=None, description="Free text.")
    tags: list[str] | None = strawberry.field(
        default=None,
        description="Distinct tags, each trimmed, non-empty, at most 64 characters, no commas.",
    )
    created_at: datetime | None = strawberry.field(
        default=None, description="When it was saved; default now (set it when backfilling)."
    )


@strawberry.input(
    name="LearnItemUpdateInput", description="Fields to change; fields left out stay as they are."
)
class LearnItemUpdateInput:
    kind: LearnItemKind | None = strawberry.field(default=UNSET, description="Good or bad.")
    filename: str | None = strawberry.field(default=UNSET, description="Null clears it.")
    size_bytes: int | None = strawberry.field(default=UNSET, description="Null clears it.")
    notes: str | None = strawberry.field(default=UNSET, description="Null clears it.")
    tags: list[str] | None = strawberry.field(
        default=UNSET, description="Replaces all tags; null or [] removes them."
    )


@strawberry.type(name="LearnItemImportError", description="Why one item of an import was refused.")
class LearnItemImportErrorType:
    index: int = strawberry.field(description="Position of the item in `items`, from 0.")
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    message: str = strawberry.field(description="What is wrong, e.g. 'tags[2]: must be …'.")


@strawberry.type(name="LearnItemsImportResult", description="Outcome of learnItemsImport.")
class LearnItemsImportResultType:
    items: list[LearnItemType] = strawberry.field(
        description="The items written, in input order (empty when nothing was written)."
    )
    errors: list[LearnItemImportErrorType] = strawberry.field(
        description="Refused items by index; with partial=false any error means none written."
    )

    @strawberry.field(description="How many items were written.")
    def imported(self) -> int:
        return len(self.items)


@strawberry.type(name="LearnKindCount", description="How many items are of one kind.")
class LearnKindCountType:
    kind: LearnItemKind = strawberry.field(description="The kind.")
    count: int = strawberry.field(description="Items of that kind.")


@strawberry.type(name="LearnTagCount", description="How many items carry one tag.")
class LearnTagCountType:
    tag: str = strawberry.field(description="The tag.")
    count: int = strawberry.field(description="Items carrying it.")


@strawberry.type(name="LearnDayCount", description="How many items were saved on one day.")
class LearnDayCountType:
    day: date = strawberry.field(description="Calendar day in the server's time zone.")
    count: int = strawberry.field(description="Items saved that day (0 when none).")


@strawberry.type(
    name="LearnStats", description="Counts over the whole learn store, computed in the database."
)
class LearnStatsType:
    _counts: strawberry.Private[dict[str, int] | None] = None

    def counts(self) -> dict[str, int]:
        if self._counts is None:
            self._counts = selectors.learn_counts()
        return self._counts

    @strawberry.field(description="All items.")
    def total(self) -> int:
        return self.counts()["total"]

    @strawberry.field(description="Items per kind, every kind listed (good first).")
    def count_by_kind(self) -> list[LearnKindCountType]:
        counts = self.counts()
        return [LearnKindCountType(kind=kind, count=counts[kind.value]) for kind in LearnItemKind]

    @strawberry.field(
        description="Tags by how many items carry them: most frequent first, ties by tag "
        "(code-point order)."
    )
    def tag_frequency(
        self,
        limit: Annotated[
            int, strawberry.argument(description="How many tags, 1 to 100 (default 10).")
        ] = 10,
    ) -> list[LearnTagCountType]:
        if limit < 1:
            raise invalid("tagFrequency: 'limit' must be at least 1.", field="limit")
        return [
            LearnTagCountType(tag=row.tag, count=row.count)
            for row in selectors.learn_tag_frequency(limit=limit)
        ]

    @strawberry.field(
        description="Items saved on each day from `from` to `to` inclusive, days without "
        f"items as 0; at most {selectors.STATS_MAX_DAYS} days."
    )
    def items_per_day(
        self,
        start: Annotated[date, strawberry.argument(name="from", description="First day.")],
        end: Annotated[date, strawberry.argument(name="to", description="Last day (included).")],
    ) -> list[LearnDayCountType]:
        if end < start:
            raise invalid("itemsPerDay: 'to' must not be before 'from'.", field="to")
        if (end - start).days + 1 > selectors.STATS_MAX_DAYS:
            raise invalid(
                f"itemsPerDay: at most {selectors.STATS_MAX_DAYS} days per request.", field="to"
            )
        return [
            LearnDayCountType(day=row.day, count=row.count)
            for row in selectors.learn_items_per_day(start=start, end=end)
        ]
