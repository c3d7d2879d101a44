"""GraphQL entry points of the learn app (merged into config/schema.py)."""

import strawberry


@strawberry.type
class Query:
    pass


@strawberry.type
class Mutation:
    pass
