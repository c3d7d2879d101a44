from django.contrib import admin

from config.admin_utils import DeclaredLookupsMixin
from learn import selectors, services
from learn.models import LearnItem

TAG_FILTER_CHOICES = 50


class TagListFilter(admin.SimpleListFilter):
    """The most used tags, read from the data (one SQL query), with their item counts."""

    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return [
            (row.tag, f"{row.tag} ({row.count})")
            for row in selectors.learn_tag_frequency(limit=TAG_FILTER_CHOICES)
        ]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.with_all_tags([value]) if value else queryset


@admin.register(LearnItem)
class LearnItemAdmin(DeclaredLookupsMixin, admin.ModelAdmin):
    """Tags are edited as comma-separated text (see learn.tags.TagListFormField)."""

    list_display = ["id", "kind", "filename", "tag_list", "created_at", "created_by"]
    list_filter = ["kind", TagListFilter, "created_at"]
    search_fields = ["filename", "notes"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    fields = ["kind", "filename", "size_bytes", "notes", "tags", "created_at", "created_by"]
    readonly_fields = ["created_by"]

    def get_readonly_fields(self, request, obj=None):
        # created_at can be set when adding (backfilling) but is history afterwards.
        return ["created_at", "created_by"] if obj else ["created_by"]

    @admin.display(description="Tags")
    def tag_list(self, obj: LearnItem) -> str:
        return ", ".join(obj.tags)

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: getattr(obj, name) for name in form.changed_data}
            if changes:
                services.learn_item_update(item_id=obj.pk, changes=changes)
            return
        created = services.learn_item_create(
            created_by=request.user,
            kind=obj.kind,
            filename=obj.filename,
            size_bytes=obj.size_bytes,
            notes=obj.notes,
            tags=obj.tags,
            created_at=obj.created_at,
        )
        obj.pk = created.pk
        obj.created_by = created.created_by
