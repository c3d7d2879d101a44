"""Who may read or change which thread; someone else's thread reads as not found."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from chat.models import Thread
from config.errors import NotFound


def thread_not_found(thread_id: object) -> NotFound:
    return NotFound(f"No thread with id {str(thread_id)[:100]!r}.")


def may_act_on_others(user, action: str) -> bool:
    """Staff holding chat.<action>_thread act on every user's threads."""
    return bool(user.is_staff and user.has_perm(f"chat.{action}_thread"))


def thread_for(user, thread_id: object, *, action: str = "view", lock: bool = False) -> Thread:
    """The thread `thread_id` if `user` may see it, else NotFound (also for malformed ids).

    `action` ('change' or 'delete') is then required on threads of other users.
    """
    threads = Thread.objects.visible_to(user).by_id(thread_id)
    if lock:
        threads = threads.select_for_update()
    thread = threads.first()
    if thread is None:
        raise thread_not_found(thread_id)
    if thread.owner_id != user.pk and action != "view" and not may_act_on_others(user, action):
        raise PermissionDenied(f"You don't have permission to do this (chat.{action}_thread).")
    return thread
