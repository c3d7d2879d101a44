"""schemathesis hooks, loaded by its own virtualenv (SCHEMATHESIS_HOOKS=reliability.st_hooks):
a generator for the schema's `JSON` scalar, which schemathesis does not know by itself.

Imports only schemathesis, hypothesis and graphql-core: never Django or the app.
"""

import graphql
import schemathesis
from hypothesis import strategies as st

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(NAMES, children, max_size=4),
    max_leaves=12,
)


def to_node(value) -> graphql.ValueNode:
    """A GraphQL literal for a JSON value."""
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return graphql.IntValueNode(value=str(value))
    if isinstance(value, float):
        return graphql.FloatValueNode(value=repr(value))
    if isinstance(value, str):
        return graphql.StringValueNode(value=value)
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(to_node(item) for item in value))
    return graphql.ObjectValueNode(
        fields=tuple(
            graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=to_node(item))
            for key, item in value.items()
        )
    )


schemathesis.graphql.scalar("JSON", JSON_VALUES.map(to_node))
