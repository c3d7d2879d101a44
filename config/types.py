"""Project-wide GraphQL types that belong to no single app."""

from __future__ import annotations

from datetime import datetime

import strawberry

from config.context import Info, current_user


@strawberry.type(name="ViewerApiKey", description="The API key a request was authenticated with.")
class ViewerApiKeyType:
    id: strawberry.ID = strawberry.field(description="Key id (as in `apiKeys` and `apiKeyRevoke`).")
    prefix: str = strawberry.field(description="Public prefix of the key.")
    name: str = strawberry.field(description="What the key is for.")
    expires_at: datetime | None = strawberry.field(description="When it expires; null: never.")


@strawberry.type(name="Viewer", description="Who the request is authenticated as.")
class ViewerType:
    id: strawberry.ID = strawberry.field(description="User id.")
    username: str = strawberry.field(description="Login name.")
    is_staff: bool = strawberry.field(description="May use the admin site.")
    permissions: list[str] = strawberry.field(
        description="Django permissions held, as 'app_label.codename', sorted."
    )
    api_key: ViewerApiKeyType | None = strawberry.field(
        description="The API key used for this request; null for a session login."
    )

    @strawberry.field(
        description="Prefix of the API key used for this request; null for a session."
    )
    def api_key_prefix(self) -> str | None:
        return self.api_key.prefix if self.api_key else None


@strawberry.type
class Query:
    @strawberry.field(
        description="The authenticated caller: user id and the API key in use (the legacy "
        "get_user_by_api_key); null when anonymous."
    )
    def viewer(self, info: Info) -> ViewerType | None:
        user = current_user(info)
        if not user.is_authenticated:
            return None
        key = getattr(info.context.request, "api_key", None)
        return ViewerType(
            id=strawberry.ID(str(user.pk)),
            username=user.get_username(),
            is_staff=user.is_staff,
            permissions=sorted(user.get_all_permissions()),
            api_key=ViewerApiKeyType(
                id=strawberry.ID(str(key.pk)),
                prefix=key.prefix,
                name=key.name,
                expires_at=key.expires_at,
            )
            if key
            else None,
        )
