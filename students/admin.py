"""Staff screens. Writes go through the services, so each one is audited; the derived and
audit tables are read-only here."""

from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join

from config.admin_utils import DeclaredLookupsMixin
from students import services
from students.audit import Actor
from students.models import (
    ActionLog,
    Assessment,
    ConceptModule,
    Draft,
    DropoutPrediction,
    LearningEvent,
    Student,
)
from students.risk import factor_text

LATEST_PREDICTIONS = 5


def may_see_email(request) -> bool:
    return request.user.has_perm("students.view_student_email")


def actor_of(request) -> Actor:
    return Actor(user=request.user, api_key=None)


class ReadOnlyMixin:
    """Shown, never added, changed or deleted from the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DraftInline(ReadOnlyMixin, admin.TabularInline):
    model = Draft
    fields = ["module", "status", "due_at", "submitted_at", "reviewed_at", "feedback"]
    readonly_fields = fields
    extra = 0
    show_change_link = True


class AssessmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Assessment
    fields = ["module", "kind", "title", "score", "max_score", "taken_at", "attempt_count"]
    readonly_fields = fields
    extra = 0


class LatestFormSet(BaseInlineFormSet):
    def get_queryset(self):
        return super().get_queryset()[:LATEST_PREDICTIONS]


class PredictionInline(ReadOnlyMixin, admin.TabularInline):
    model = DropoutPrediction
    formset = LatestFormSet
    verbose_name_plural = f"latest dropout predictions (up to {LATEST_PREDICTIONS})"
    fields = ["predicted_at", "as_of", "risk_score", "risk_band", "model_version", "factors"]
    readonly_fields = fields
    extra = 0

    @admin.display(description="Top factors")
    def factors(self, obj: DropoutPrediction) -> str:
        return top_factors_table(obj.top_factors)


def top_factors_table(factors: list[dict]) -> str:
    """A prediction's top factors as a small table: what, value, contribution to the risk."""
    if not factors:
        return "-"
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>+{}</td></tr>",
        ((factor_text(f), f.get("value"), f.get("contribution")) for f in factors),
    )
    return format_html(
        '<table class="top-factors"><thead><tr><th>Factor</th><th>Value</th>'
        "<th>Contribution</th></tr></thead><tbody>{}</tbody></table>",
        rows,
    )


@admin.register(Student)
class StudentAdmin(DeclaredLookupsMixin, admin.ModelAdmin):
    list_display = ["code", "name", "email", "status", "enrolled_at", "risk_band"]
    list_filter = ["status", ("latest_prediction__risk_band", admin.ChoicesFieldListFilter)]
    search_fields = ["code", "name", "email"]
    list_select_related = ["latest_prediction"]
    fields = ["code", "name", "email", "status", "enrolled_at"]
    inlines = [DraftInline, AssessmentInline, PredictionInline]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    # Emails are personal data: listed, searched, ordered and shown only with the explicit
    # permission (adding a student still asks for one).
    hidden_fields = {"email": "students.view_student_email"}

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or may_see_email(request):
            return fields
        return [f for f in fields if f != "email"]

    actions = ["erase_personal_data"]

    def has_delete_permission(self, request, obj=None):
        return False

    def has_erase_permission(self, request) -> bool:
        return request.user.has_perm("students.delete_student")

    @admin.action(
        description="Erase the personal data of the selected students", permissions=["erase"]
    )
    def erase_personal_data(self, request, queryset):
        """The same service as studentErase: one audited erasure per student."""
        erased = skipped = 0
        for student in queryset.order_by("pk"):
            if student.erased_at is not None:
                skipped += 1
                continue
            services.student_erase(actor=actor_of(request), code=student.code)
            erased += 1
        message = f"Erased the personal data of {erased} student(s)."
        if skipped:
            message += f" {skipped} already erased."
        self.message_user(request, message, messages.SUCCESS)

    @admin.display(description="Risk band", ordering="latest_prediction__risk_score")
    def risk_band(self, obj: Student) -> str:
        return obj.latest_prediction.get_risk_band_display() if obj.latest_prediction else "-"

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: getattr(obj, name) for name in form.changed_data}
            if changes:
                services.student_update(actor=actor_of(request), code=obj.code, changes=changes)
            return
        created = services.student_create(
            actor=actor_of(request),
            code=obj.code,
            name=obj.name,
            email=obj.email,
            status=obj.status,
            enrolled_at=obj.enrolled_at,
        )
        obj.pk = created.pk


@admin.register(ConceptModule)
class ConceptModuleAdmin(DeclaredLookupsMixin, admin.ModelAdmin):
    list_display = ["code", "title", "order"]
    search_fields = ["code", "title"]
    fields = ["code", "title", "order"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = services.concept_module_create(
            actor=actor_of(request), code=obj.code, title=obj.title, order=obj.order
        )
        obj.pk = created.pk


@admin.register(Draft)
class DraftAdmin(ReadOnlyMixin, DeclaredLookupsMixin, admin.ModelAdmin):
    list_display = ["id", "student", "module", "status", "due_at", "submitted_at"]
    list_filter = ["status", "module"]
    search_fields = ["student__code", "student__name"]
    list_select_related = ["student", "module"]


@admin.register(LearningEvent)
class LearningEventAdmin(ReadOnlyMixin, DeclaredLookupsMixin, admin.ModelAdmin):
    list_display = ["id", "student", "event_type", "module", "occurred_at", "duration_s"]
    list_filter = ["event_type"]
    search_fields = ["student__code"]
    list_select_related = ["student", "module"]
    show_full_result_count = False


@admin.register(ActionLog)
class ActionLogAdmin(ReadOnlyMixin, DeclaredLookupsMixin, admin.ModelAdmin):
    """The audit trail: never added, edited or deleted here, not even by superusers."""

    list_display = ["at", "action", "target_type", "target_id", "actor_label"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_id", "actor_label", "action"]
    date_hierarchy = "at"
    show_full_result_count = False
