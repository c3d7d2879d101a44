"""GraphQL entry points of the monitoring app (merged into config/schema.py)."""

import strawberry


@strawberry.type
class Query:
    pass


@strawberry.type
class Mutation:
    pass
