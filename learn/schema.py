"""GraphQL entry points of the learn app (merged into config/schema.py).

The learn store is shared by a team: any signed-in user holding the model permission may
read (learn.view_learnitem) or write (add/change/delete_learnitem) every item.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
import strawberry_django
from strawberry.utils.str_converters import to_camel_case

from config.connections import (
    After,
    Before,
    Connection,
    First,
    Last,
    Offset,
    Ordering,
    connection,
)
from config.context import Info, require_perm
from config.inputs import input_data
from learn import selectors, services
from learn.models import LearnItem
from learn.types import (
    LearnItemCreateInput,
    LearnItemFilter,
    LearnItemImportErrorType,
    LearnItemOrder,
    LearnItemsImportResultType,
    LearnItemType,
    LearnItemUpdateInput,
    LearnStatsType,
)

VIEW, ADD, CHANGE, DELETE = (
    f"learn.{action}_learnitem" for action in ("view", "add", "change", "delete")
)


@strawberry.type
class Query:
    @strawberry.field(
        description="Learn items, newest first unless `ordering` says otherwise; a page of them."
    )
    def learn_items(
        self,
        info: Info,
        filters: Annotated[
            LearnItemFilter | None, strawberry.argument(description="Conditions.")
        ] = None,
        ordering: Ordering[LearnItemOrder] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        offset: Offset = None,
    ) -> Connection[LearnItemType]:
        require_perm(info, VIEW)
        return connection(
            selectors.learn_item_list(),
            info,
            filters=filters,
            ordering=ordering,
            order_type=LearnItemOrder,
            first=first,
            after=after,
            last=last,
            before=before,
            offset=offset,
        )

    @strawberry_django.field(description="One learn item by id; null when there is none.")
    def learn_item(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Item id.")]
    ) -> LearnItemType | None:
        require_perm(info, VIEW)
        return LearnItem.objects.by_id(id)

    @strawberry.field(description="Counts over the whole learn store.")
    def learn_stats(self, info: Info) -> LearnStatsType:
        require_perm(info, VIEW)
        return LearnStatsType()


@strawberry.type
class Mutation:
    @strawberry_django.mutation(handle_django_errors=True, description="Save a new learn item.")
    def learn_item_create(
        self,
        info: Info,
        input: Annotated[LearnItemCreateInput, strawberry.argument(description="The new item.")],
    ) -> LearnItemType:
        user = require_perm(info, ADD)
        return services.learn_item_create(created_by=user, **input_data(input))

    @strawberry_django.mutation(
        handle_django_errors=True, description="Change some fields of a learn item."
    )
    def learn_item_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Item id.")],
        input: Annotated[
            LearnItemUpdateInput, strawberry.argument(description="The fields to change.")
        ],
    ) -> LearnItemType:
        require_perm(info, CHANGE)
        return services.learn_item_update(item_id=id, changes=input_data(input))

    @strawberry_django.mutation(
        handle_django_errors=True, description="Delete a learn item; returns it as it was."
    )
    def learn_item_delete(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Item id.")]
    ) -> LearnItemType:
        require_perm(info, DELETE)
        return services.learn_item_delete(item_id=id)

    @strawberry_django.mutation(
        handle_django_errors=True,
        description=f"Save up to {services.IMPORT_MAX_ITEMS} items in one transaction. Invalid "
        "items are reported by index; nothing is written unless all are valid, or with "
        "partial=true the valid ones are written.",
    )
    def learn_items_import(
        self,
        info: Info,
        items: Annotated[
            list[LearnItemCreateInput],
            strawberry.argument(description="The items; pass them as a variable."),
        ],
        partial: Annotated[
            bool, strawberry.argument(description="Write the valid items even if some are not.")
        ] = False,
    ) -> LearnItemsImportResultType:
        user = require_perm(info, ADD)
        outcome = services.learn_items_import(
            created_by=user, items=[input_data(item) for item in items], partial=partial
        )
        return LearnItemsImportResultType(
            items=outcome.items,
            errors=[
                LearnItemImportErrorType(
                    index=error.index,
                    field=to_camel_case(error.field) if error.field else None,
                    message=error.message,
                )
                for error in outcome.errors
            ],
        )
