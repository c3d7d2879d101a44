"""The one list shape of the API: Relay-style connections with one `PageInfo`."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import strawberry

NodeT = TypeVar("NodeT")


@strawberry.type(
    name="PageInfo",
    description="Where a page of a list sits: whether more items exist either side, and the "
    "cursors to continue from.",
)
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="More items follow this page (exact when paginating forwards with `first`; "
        "with `last`/`before`: true when `before` was given)."
    )
    has_previous_page: bool = strawberry.field(
        description="More items precede this page (exact when paginating backwards with `last`; "
        "with `first`/`after`: true when `after` was given)."
    )
    start_cursor: str | None = strawberry.field(
        description="Cursor of the first item of the page; pass it as `before` for the page "
        "before. Null when the page is empty."
    )
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item of the page; pass it as `after` for the next page. "
        "Null when the page is empty."
    )


EMPTY_PAGE_INFO = PageInfo(
    has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
)


@strawberry.type(name="Edge", description="An item of a list with its cursor.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(
        description="The item's position in the list: pass it as `after` or `before`."
    )
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(
    name="Connection",
    description="A page of a list: its items (as `edges` with cursors, or as `nodes`), where it "
    "sits (`pageInfo`), and on request the number of items in the whole list (`totalCount`).",
)
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items with their cursors.")
    nodes: list[NodeT] = strawberry.field(description="The items.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(
        description="How many items the whole list has with these filters (counted only when "
        "selected; independent of the page arguments)."
    )


First = Annotated[
    int | None,
    strawberry.argument(
        description="Page size from the start (or after `after`): 0 to the server's page limit "
        "(100 unless configured). Default when neither `first` nor `last` is given: that limit."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Cursor: return the items after this one."),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description="Page size from the end (or before `before`): 0 to the page limit. "
        "Not together with `first`."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(description="Cursor: return the items before this one."),
]
Offset = Annotated[
    int | None,
    strawberry.argument(
        description="Skip this many items first (after `after`, or before `before` with `last`), "
        "for page-number UIs: 0 to 10000 (unless configured). Its cost grows with it; cursors "
        "cost the same at any depth."
    ),
]

OrderT = TypeVar("OrderT")
Ordering = Annotated[
    list[OrderT] | None,
    strawberry.argument(
        description="Sort keys, most significant first (default: the list's own order). The "
        "cursors of a list hold its order: keep the same `ordering` while paging."
    ),
]
