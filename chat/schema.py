"""GraphQL entry points of the chat app (merged into config/schema.py)."""

import strawberry


@strawberry.type
class Query:
    pass


@strawberry.type
class Mutation:
    pass
