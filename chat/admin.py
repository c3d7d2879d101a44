from django.contrib import admin
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import Truncator

from chat import selectors, services
from chat.models import (
    ApiKey,
    ContextSnapshot,
    LLMRequest,
    LLMResponse,
    Message,
    Thread,
    UsageDaily,
    UserPreference,
)
from chat.validation import is_possible_id
from config.admin_utils import BigTableAdminMixin, DeclaredLookupsMixin, export_csv_action

PREVIEW_CHARS = 120
LIST_ID_CHARS = 28
LIST_TITLE_CHARS = 48
INLINE_MESSAGES = 200


@admin.register(ApiKey)
class ApiKeyAdmin(DeclaredLookupsMixin, admin.ModelAdmin):
    """Keys are created through the same service as the API, for yourself only unless you are a
    superuser; the plaintext is shown once, in the answer to the POST (never in a cookie)."""

    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "status"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    hidden_fields = {"key_hash": None, "user__email": "auth.view_user"}
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["prefix", "created_at", "revoked_at", "last_used_at"]
    actions = ["revoke_keys"]
    created_template = "admin/chat/apikey/created.html"

    def get_fields(self, request, obj=None):
        if obj is not None:
            return ["user", "name", "expires_at", *self.readonly_fields]
        # Only a superuser chooses whose key it is; anyone else creates their own.
        return (
            ["user", "name", "expires_at"] if request.user.is_superuser else ["name", "expires_at"]
        )

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
        target = obj.user if request.user.is_superuser else request.user
        key, raw_key = services.api_key_create(
            user=target, name=obj.name, expires_at=obj.expires_at, created_by=request.user
        )
        obj.pk, obj.user = key.pk, key.user
        request.new_api_key = raw_key

    def response_add(self, request, obj, post_url_continue=None):
        """The plaintext in this response's body only: not in the messages cookie or session."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "API key created",
            "key": obj,
            "raw_key": request.new_api_key,
        }
        return TemplateResponse(request, self.created_template, context)

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke_keys(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} API key(s).")


class ReadOnlyAdminMixin:
    """Audit rows are written by the API only; the admin shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MessageInline(admin.TabularInline):
    """The thread's latest INLINE_MESSAGES messages in order, read-only, content shortened."""

    model = Message
    fields = ["created_at", "role", "type", "preview", "id"]
    readonly_fields = fields
    ordering = ["created_at", "seq"]
    extra = 0
    can_delete = False
    show_change_link = False

    verbose_name_plural = f"messages (the latest {INLINE_MESSAGES})"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_formset(self, request, obj=None, **kwargs):
        self.thread = obj
        return super().get_formset(request, obj, **kwargs)

    def get_queryset(self, request):
        latest = (
            Message.objects.filter(thread=getattr(self, "thread", None))
            .order_by("-created_at", "-seq")
            .values("pk")[:INLINE_MESSAGES]
        )
        return super().get_queryset(request).filter(pk__in=latest)

    @admin.display(description="Content")
    def preview(self, obj: Message) -> str:
        return Truncator(obj.content).chars(PREVIEW_CHARS)


@admin.register(Thread)
class ThreadAdmin(BigTableAdminMixin, DeclaredLookupsMixin, admin.ModelAdmin):
    # Fits a 1400 px screen: long ids and titles are cut (the full ones are on the page).
    list_display = ["short_id", "short_title", "owner", "agent_type", "updated_at"]
    list_filter = ["agent_type", "updated_at", "created_at"]
    list_select_related = ["owner"]
    search_fields = ["id", "title"]
    search_help_text = "Thread id (exact), title, or words of a message (full-text)."
    date_hierarchy = "updated_at"
    readonly_fields = ["id", "owner", "created_at", "updated_at"]
    fields = ["id", "owner", "title", "agent_type", "metadata", "created_at", "updated_at"]
    inlines = [MessageInline]
    actions = [
        export_csv_action(
            ["id", "owner__username", "agent_type", "title", "created_at", "updated_at"],
            description="Export selected threads as CSV",
        )
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Id", ordering="id")
    def short_id(self, obj: Thread) -> str:
        return Truncator(obj.pk).chars(LIST_ID_CHARS)

    @admin.display(description="Title", ordering="title")
    def short_title(self, obj: Thread) -> str:
        return Truncator(obj.title).chars(LIST_TITLE_CHARS) if obj.title else "-"

    def get_search_results(self, request, queryset, search_term):
        """Id exactly, title containing the term, or messages matching it (full-text index)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(title__icontains=term)
        # Message words only for who may read messages: a search is a way to read them.
        if request.user.has_perm("chat.view_message"):
            condition |= selectors.message_search_q(term)
        if is_possible_id(term):
            condition |= Q(pk=term)
        return queryset.filter(condition), False

    def save_model(self, request, obj, form, change):
        changes = {name: getattr(obj, name) for name in form.changed_data}
        if changes:
            services.thread_update(user=request.user, thread_id=obj.pk, changes=changes)

    def get_deleted_objects(self, objs, request):
        """Counts instead of listing every message (a thread may have thousands)."""
        ids = [obj.pk for obj in objs]
        messages = Message.objects.filter(thread_id__in=ids).count()
        perms_needed = set() if self.has_delete_permission(request) else {"thread"}
        summary = [f"Thread: {obj} ({obj.pk})" for obj in objs]
        return summary, {"threads": len(ids), "messages": messages}, perms_needed, []

    def delete_model(self, request, obj):
        services.threads_delete(thread_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        services.threads_delete(thread_ids=list(queryset.values_list("pk", flat=True)))


@admin.register(Message)
class MessageAdmin(BigTableAdminMixin, ReadOnlyAdminMixin, DeclaredLookupsMixin, admin.ModelAdmin):
    list_display = ["id", "thread", "role", "type", "preview", "created_at"]
    list_filter = ["role", "type", "created_at"]
    list_select_related = ["thread"]
    search_fields = ["=id", "=thread__id"]
    date_hierarchy = "created_at"
    actions = [
        export_csv_action(
            ["id", "thread_id", "role", "type", "content", "created_at"],
            description="Export selected messages as CSV",
        )
    ]

    @admin.display(description="Content")
    def preview(self, obj: Message) -> str:
        return Truncator(obj.content).chars(PREVIEW_CHARS)


class LLMResponseInline(admin.StackedInline):
    model = LLMResponse
    fields = ["tokens_in", "tokens_out", "cost", "latency_ms", "error", "created_at"]
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LLMRequest)
class LLMRequestAdmin(
    BigTableAdminMixin, ReadOnlyAdminMixin, DeclaredLookupsMixin, admin.ModelAdmin
):
    list_display = [
        "created_at",
        "user",
        "provider",
        "model",
        "route_mode",
        "tokens",
        "cost",
        "thread_id",
    ]
    list_filter = ["provider", "route_mode", "created_at"]
    list_select_related = ["user", "response"]
    search_fields = ["=thread__id", "model", "=prompt_sha256", "user__username"]
    date_hierarchy = "created_at"
    inlines = [LLMResponseInline]
    actions = [
        export_csv_action(
            [
                "id",
                "created_at",
                "user__username",
                "api_key__prefix",
                "thread_id",
                "provider",
                "model",
                "route_mode",
                "prompt_sha256",
                "response__tokens_in",
                "response__tokens_out",
                "response__cost",
                "response__latency_ms",
                "response__error",
            ],
            description="Export selected LLM requests as CSV",
        )
    ]

    @admin.display(description="Tokens")
    def tokens(self, obj: LLMRequest) -> int:
        return obj.response.tokens_in + obj.response.tokens_out

    @admin.display(description="Cost")
    def cost(self, obj: LLMRequest):
        return obj.response.cost


@admin.register(LLMResponse)
class LLMResponseAdmin(
    BigTableAdminMixin, ReadOnlyAdminMixin, DeclaredLookupsMixin, admin.ModelAdmin
):
    list_display = ["created_at", "request", "tokens_in", "tokens_out", "cost", "latency_ms"]
    list_select_related = ["request__user"]
    date_hierarchy = "created_at"


@admin.register(UsageDaily)
class UsageDailyAdmin(
    BigTableAdminMixin, ReadOnlyAdminMixin, DeclaredLookupsMixin, admin.ModelAdmin
):
    list_display = ["day", "user", "requests", "tokens_in", "tokens_out", "cost"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    date_hierarchy = "day"
    actions = [
        export_csv_action(
            ["day", "user__username", "requests", "tokens_in", "tokens_out", "cost"],
            description="Export selected usage as CSV",
        )
    ]


@admin.register(ContextSnapshot)
class ContextSnapshotAdmin(ReadOnlyAdminMixin, DeclaredLookupsMixin, admin.ModelAdmin):
    list_display = ["created_at", "thread", "user"]
    list_select_related = ["thread", "user"]
    search_fields = ["=thread__id"]
    date_hierarchy = "created_at"


@admin.register(UserPreference)
class UserPreferenceAdmin(DeclaredLookupsMixin, admin.ModelAdmin):
    list_display = ["user", "key", "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "key"]
