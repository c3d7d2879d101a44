"""Objects of the `owner` user that other callers probe, each carrying a canary string.

A canary in any response to a caller who should not see the object is a leak.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field


@dataclass
class Probed:
    canary: str
    # GraphQL type name -> id of the owner's object of that type (used for ID arguments).
    ids: dict[str, str] = field(default_factory=dict)
    # Types whose objects belong to one user: other users with the permission still must not
    # reach them. Team-shared types (learn items) are readable by anyone holding the permission.
    owned: set[str] = field(default_factory=set)
    # Extra values that identify the owner's data (e.g. distinctive usage totals).
    markers: list[str] = field(default_factory=list)


def seed() -> Probed:
    from django.contrib.auth import get_user_model

    from learn import services as learn_services

    owner = get_user_model().objects.get(username="owner")
    probed = Probed(canary=f"CANARY-{secrets.token_hex(8)}")
    item = learn_services.learn_item_create(
        created_by=owner, kind="good", notes=probed.canary, tags=["canary"]
    )
    probed.ids["LearnItem"] = str(item.pk)
    return probed
