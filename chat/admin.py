from django.contrib import admin, messages
from django.utils import timezone

from chat import services
from chat.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created through the same service as the API; the plaintext is shown once."""

    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "status"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["prefix", "created_at", "revoked_at", "last_used_at"]
    actions = ["revoke_keys"]

    def get_fields(self, request, obj=None):
        return ["user", "name", "expires_at"] + (self.readonly_fields if obj else [])

    def get_readonly_fields(self, request, obj=None):
        return ["user", *self.readonly_fields] if obj else []

    @admin.display(description="Status")
    def status(self, obj: ApiKey) -> str:
        if obj.is_revoked:
            return "revoked"
        return "expired" if obj.is_expired() else "active"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw_key = services.api_key_create(
            user=obj.user, name=obj.name, expires_at=obj.expires_at
        )
        obj.pk = key.pk
        messages.warning(request, f"New API key (copy it now, it is not shown again): {raw_key}")

    @admin.action(description="Revoke selected API keys")
    def revoke_keys(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} API key(s).")
