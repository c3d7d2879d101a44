"""Every write of the chat app (re-exported here: `from chat import services`)."""

from chat.services.interactions import (
    DAILY_CAP_REACHED,
    DailyCapReached,
    Interaction,
    LLMCall,
    MessageData,
    interaction_record,
    usage_add,
)
from chat.services.keys import api_key_create, api_key_revoke
from chat.services.memory import context_snapshot_save, preference_delete, preference_set
from chat.services.purge import messages_delete, thread_purge_inactive, threads_delete
from chat.services.threads import (
    message_append,
    thread_clear,
    thread_create,
    thread_delete,
    thread_update,
)

__all__ = [
    "DAILY_CAP_REACHED",
    "DailyCapReached",
    "Interaction",
    "LLMCall",
    "MessageData",
    "api_key_create",
    "api_key_revoke",
    "context_snapshot_save",
    "interaction_record",
    "message_append",
    "messages_delete",
    "preference_delete",
    "preference_set",
    "thread_clear",
    "thread_create",
    "thread_delete",
    "thread_purge_inactive",
    "thread_update",
    "threads_delete",
    "usage_add",
]
