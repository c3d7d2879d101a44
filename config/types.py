"""Project-wide GraphQL types that belong to no single app."""

from __future__ import annotations

import strawberry

from config.context import Info, current_user


@strawberry.type(name="Viewer", description="Who the request is authenticated as.")
class ViewerType:
    username: str = strawberry.field(description="Login name.")
    is_staff: bool = strawberry.field(description="May use the admin site.")
    permissions: list[str] = strawberry.field(
        description="Django permissions held, as 'app_label.codename', sorted."
    )
    api_key_prefix: str | None = strawberry.field(
        description="Prefix of the API key used for this request; null for a session."
    )


@strawberry.type
class Query:
    @strawberry.field(description="The authenticated caller; null when anonymous.")
    def viewer(self, info: Info) -> ViewerType | None:
        user = current_user(info)
        if not user.is_authenticated:
            return None
        key = getattr(info.context.request, "api_key", None)
        return ViewerType(
            username=user.get_username(),
            is_staff=user.is_staff,
            permissions=sorted(user.get_all_permissions()),
            api_key_prefix=key.prefix if key else None,
        )
