"""GraphQL documents shared by the chat tests."""

MESSAGE_FIELDS = "id threadId type role content metadata"
THREAD_FIELDS = "id title agentType metadata owner { username }"


def payload(fields: str, type_name: str) -> str:
    return f"""
        ... on {type_name} {{ {fields} }}
        ... on OperationInfo {{ messages {{ kind field message code }} }}
    """


THREAD_CREATE = f"""
mutation ($input: ThreadCreateInput!) {{
  threadCreate(input: $input) {{ {payload(THREAD_FIELDS, "Thread")} }}
}}
"""
THREAD_UPDATE = f"""
mutation ($id: ID!, $input: ThreadUpdateInput!) {{
  threadUpdate(id: $id, input: $input) {{ {payload(THREAD_FIELDS, "Thread")} }}
}}
"""
THREAD_DELETE = f"""
mutation ($id: ID!) {{ threadDelete(id: $id) {{ {payload("id", "Thread")} }} }}
"""
THREAD_CLEAR = f"""
mutation ($id: ID!) {{ threadClear(id: $id) {{ {payload("id history: messages { nodes { id } }", "Thread")} }} }}
"""
MESSAGE_APPEND = f"""
mutation ($threadId: ID!, $input: MessageAppendInput!) {{
  messageAppend(threadId: $threadId, input: $input) {{ {payload(MESSAGE_FIELDS, "Message")} }}
}}
"""
THREAD = """
query ($id: ID!, $first: Int, $last: Int) {
  thread(id: $id) { id title agentType metadata messages(first: $first, last: $last) { nodes { id role content } } }
}
"""
THREADS = """
query ($filters: ThreadFilter, $ordering: [ThreadOrder!], $limit: Int) {
  threads(filters: $filters, ordering: $ordering, first: $limit) {
    totalCount
    nodes { id }
  }
}
"""
INTERACTION_RECORD = """
mutation ($input: InteractionRecordInput!) {
  interactionRecord(input: $input) {
    ... on InteractionRecordResult {
      thread { id }
      userMessage { id role content }
      assistantMessage { id role content }
      requests { provider model routeMode promptSha256 promptText tokensIn tokensOut cost error }
    }
    ... on OperationInfo { messages { kind field message code } }
  }
}
"""


def thread_ids(client, filters=None, ordering=None, limit=None):
    """(totalCount, [ids]) of `threads`."""
    data = client.execute(
        THREADS, {"filters": filters, "ordering": ordering or [], "limit": limit}
    )["data"]["threads"]
    return data["totalCount"], [row["id"] for row in data["nodes"]]
