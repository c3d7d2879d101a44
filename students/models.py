"""Student records, their learning data, the audit trail and dropout-risk predictions."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from config.inputs import database_id
from config.text import is_storable, validate_storable_json, validate_storable_text

CODE_VALIDATOR = RegexValidator(
    r"\A[A-Za-z0-9][A-Za-z0-9._-]*\Z",  # \Z: "$" would let a final newline in
    "Use letters, digits, '.', '_' or '-', starting with a letter or digit.",
)
# An attempt below this share of the maximum score is a failed attempt.
PASS_RATIO = 0.5


class RiskBand(models.TextChoices):
    LOW = "low", "LOW"
    MEDIUM = "medium", "MEDIUM"
    HIGH = "high", "HIGH"


RISK_BAND_RANK = {RiskBand.LOW: 0, RiskBand.MEDIUM: 1, RiskBand.HIGH: 2}


def bands_at_least(band: str) -> list[str]:
    """The bands as high as `band` or higher: "medium" -> ["medium", "high"]."""
    return [b for b, rank in RISK_BAND_RANK.items() if rank >= RISK_BAND_RANK[band]]


class StudentQuerySet(models.QuerySet):
    def by_ref(self, *, id: object = None, code: str | None = None):
        """The student with this id or code; none when the id cannot exist (e.g. "abc")."""
        if code is not None:
            # A code the database cannot hold (NUL, lone surrogate) belongs to no student.
            return self.filter(code=code) if is_storable(code) else self.none()
        pk = database_id(id)
        return self.filter(pk=pk) if pk is not None else self.none()

    def at_risk(self, *, min_band: str):
        return self.filter(latest_prediction__risk_band__in=bands_at_least(min_band))


class ConceptModule(models.Model):
    """A learning concept (unit) that drafts, assessments and events belong to."""

    code = models.CharField(
        max_length=32,
        unique=True,
        validators=[CODE_VALIDATOR],
        help_text="Short code, e.g. 'alg1'.",
    )
    title = models.CharField(
        max_length=200, validators=[validate_storable_text], help_text="Human-readable title."
    )
    order = models.PositiveIntegerField(default=0, help_text="Position in the curriculum.")

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


class Student(models.Model):
    """One learner, shared by the staff dashboard and the dropout detection.

    The student foreign keys of the other models carry no index of their own: each model's
    composite index (or unique constraint) starts with the student and serves those lookups.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "ACTIVE"
        WITHDRAWN = "withdrawn", "WITHDRAWN"
        GRADUATED = "graduated", "GRADUATED"

    code = models.CharField(
        max_length=32,
        unique=True,
        validators=[CODE_VALIDATOR],
        help_text="External student code, e.g. 's001'.",
        error_messages={"unique": "A student with this code already exists."},
    )
    name = models.CharField(
        max_length=200, validators=[validate_storable_text], help_text="Full name."
    )
    email = models.EmailField(
        max_length=254,
        help_text="Unique whatever the case; personal data, shown only with "
        "the students.view_student_email permission.",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.ACTIVE, help_text="Enrolment status."
    )
    enrolled_at = models.DateTimeField(default=timezone.now, help_text="When the student enrolled.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    erased_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the personal data was erased (services.student_erase); null: never.",
    )
    # Denormalised pointer kept by dropout_risk_compute: the list, its risk-band filter and
    # "latest prediction" are one join instead of a search through the history.
    latest_prediction = models.ForeignKey(
        "DropoutPrediction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="The most recently computed dropout prediction.",
    )

    objects = StudentQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        permissions = [("view_student_email", "Can see students' email addresses")]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="students_student_email_ci_uniq",
                violation_error_message="A student with this email already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "withdrawn", "graduated"]),
                name="students_student_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "code"], name="students_student_status")]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class Draft(models.Model):
    """A piece of work a student writes for a module, submits, and staff review."""

    class Status(models.TextChoices):
        DRAFT = "draft", "DRAFT"
        SUBMITTED = "submitted", "SUBMITTED"
        REVIEWED = "reviewed", "REVIEWED"

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="drafts", db_index=False
    )
    module = models.ForeignKey(ConceptModule, on_delete=models.PROTECT, related_name="drafts")
    content = models.TextField(
        validators=[validate_storable_text], help_text="The text of the work."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    feedback = models.TextField(
        blank=True,
        default="",
        validators=[validate_storable_text],
        help_text="The reviewer's feedback.",
    )
    due_at = models.DateTimeField(null=True, blank=True, help_text="Deadline, if any.")
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["student", "-created_at"], name="students_draft_student")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "submitted", "reviewed"]),
                name="students_draft_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"draft of {self.student.code} for {self.module.code} ({self.status})"


class Assessment(models.Model):
    """One assessment (module, kind, title) as sat by one student: its latest result and
    how many attempts were recorded; every attempt is kept in AttemptHistory."""

    class Kind(models.TextChoices):
        QUIZ = "quiz", "QUIZ"
        TEST = "test", "TEST"
        EXAM = "exam", "EXAM"
        ASSIGNMENT = "assignment", "ASSIGNMENT"

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="assessments", db_index=False
    )
    module = models.ForeignKey(ConceptModule, on_delete=models.PROTECT, related_name="assessments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(
        max_length=200,
        blank=True,
        default="",
        validators=[validate_storable_text],
        help_text="e.g. 'Quiz 2'.",
    )
    score = models.FloatField(validators=[MinValueValidator(0)], help_text="Latest score.")
    max_score = models.FloatField(help_text="Maximum score of the latest attempt.")
    taken_at = models.DateTimeField(help_text="When the latest attempt was taken.")
    attempt_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-taken_at", "-id"]
        constraints = [
            # The arbiter of assessment_record's INSERT … ON CONFLICT … DO UPDATE.
            models.UniqueConstraint(
                fields=["student", "module", "kind", "title"], name="students_assessment_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(max_score__gt=0), name="students_assessment_max_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=models.F("max_score")),
                name="students_assessment_score_range",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.title or ''} of {self.student.code} in {self.module.code}".replace(
                "  ", " "
            )
        )


class AttemptHistory(models.Model):
    """One attempt at an assessment; numbers run 1, 2, 3 … per assessment without gaps."""

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="attempts", db_index=False
    )
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="attempts")
    attempt_number = models.PositiveIntegerField()
    score = models.FloatField()
    max_score = models.FloatField()
    taken_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    # Null for rows not imported; `<legacy table>:<legacy id>` for imported ones (import_legacy
    # skips what it finds here, so a rerun adds nothing).
    import_key = models.CharField(  # noqa: DJ001
        max_length=100, null=True, blank=True, editable=False, help_text="Legacy row imported."
    )

    class Meta:
        verbose_name_plural = "attempt history"
        ordering = ["-taken_at", "-id"]
        constraints = [
            # The assessment belongs to one student, so this is unique per student and
            # assessment.
            models.UniqueConstraint(
                fields=["assessment", "attempt_number"], name="students_attempt_number_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(attempt_number__gte=1), name="students_attempt_number_positive"
            ),
            models.UniqueConstraint(fields=["import_key"], name="students_attempt_import_uniq"),
        ]
        indexes = [models.Index(fields=["student", "taken_at"], name="students_attempt_student")]

    def __str__(self) -> str:
        return f"attempt {self.attempt_number} of {self.assessment}"

    @property
    def passed(self) -> bool:
        return self.score >= PASS_RATIO * self.max_score


class LearningEvent(models.Model):
    """Something a student did: logged in, viewed material, submitted work, took a quiz."""

    class EventType(models.TextChoices):
        LOGIN = "login", "LOGIN"
        VIEW = "view", "VIEW"
        SUBMIT = "submit", "SUBMIT"
        QUIZ = "quiz", "QUIZ"

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="learning_events", db_index=False
    )
    module = models.ForeignKey(
        ConceptModule, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    event_type = models.CharField(max_length=10, choices=EventType.choices)
    occurred_at = models.DateTimeField()
    duration_s = models.PositiveIntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_storable_json])
    # Client-supplied id: a replayed batch stores each event once.
    event_id = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # Serves "the last N events of a student" (LATERAL … ORDER BY … LIMIT N).
            models.Index(
                fields=["student", "-occurred_at", "-id"], name="students_event_student_recent"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event_id"], name="students_event_id_uniq"),
            models.CheckConstraint(
                condition=models.Q(event_type__in=["login", "view", "submit", "quiz"]),
                name="students_event_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} by {self.student.code} at {self.occurred_at:%Y-%m-%d %H:%M}"


class PerformanceRecord(models.Model):
    """Per student and module, derived from drafts, attempts and events; recomputed in SQL
    (services.performance_recompute) after every write that changes its inputs."""

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="performance_records", db_index=False
    )
    module = models.ForeignKey(ConceptModule, on_delete=models.CASCADE, related_name="+")
    mastery = models.FloatField(help_text="Mean of the latest score share of each assessment.")
    average_score = models.FloatField(
        null=True, help_text="Mean score share over all attempts; null without attempts."
    )
    completion = models.FloatField(
        help_text="Share of drafts submitted or reviewed and of assessments passed."
    )
    attempt_count = models.PositiveIntegerField(default=0)
    event_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["student", "module__order", "module__code"]
        constraints = [
            models.UniqueConstraint(fields=["student", "module"], name="students_performance_uniq")
        ]

    def __str__(self) -> str:
        return f"performance of {self.student.code} in {self.module.code}"


class ActionLog(models.Model):
    """The audit trail: one row per write, in the write's own transaction."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        "chat.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept when the user or key is deleted later.
    actor_label = models.CharField(max_length=200, blank=True, default="")
    action = models.CharField(max_length=64, help_text="e.g. 'student.create'.")
    target_type = models.CharField(max_length=64, help_text="e.g. 'student'.")
    target_id = models.CharField(max_length=64, blank=True, default="")
    payload = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)
    # Null for rows not imported; `<legacy table>:<legacy id>` for imported ones (import_legacy
    # skips what it finds here, so a rerun adds nothing).
    import_key = models.CharField(  # noqa: DJ001
        max_length=100, null=True, blank=True, editable=False, help_text="Legacy row imported."
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-at"], name="students_log_target"),
            models.Index(fields=["actor", "-at"], name="students_log_actor"),
            models.Index(fields=["-at", "-id"], name="students_log_at"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["import_key"], name="students_log_import_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id} by {self.actor_label}"


class FeatureSet(models.Model):
    """The dropout-model inputs of one student as of one instant."""

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="feature_sets", db_index=False
    )
    features = models.JSONField()
    feature_version = models.CharField(max_length=32)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField(help_text="The asOf instant; nothing later is counted.")
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["student", "-computed_at"], name="students_fs_student")]

    def __str__(self) -> str:
        return f"features of {self.student.code} as of {self.window_end:%Y-%m-%d}"


class DropoutPrediction(models.Model):
    """One computed dropout risk; recomputing adds a new one and keeps the history."""

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="predictions", db_index=False
    )
    feature_set = models.OneToOneField(
        FeatureSet, on_delete=models.CASCADE, related_name="prediction"
    )
    risk_score = models.FloatField()
    risk_band = models.CharField(max_length=6, choices=RiskBand.choices)
    model_version = models.CharField(max_length=32)
    top_factors = models.JSONField(default=list)
    as_of = models.DateTimeField()
    predicted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-predicted_at", "-id"]
        indexes = [
            models.Index(fields=["student", "-predicted_at", "-id"], name="students_pred_student")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(risk_score__gte=0, risk_score__lte=1),
                name="students_pred_score_range",
            ),
            models.CheckConstraint(
                condition=models.Q(risk_band__in=["low", "medium", "high"]),
                name="students_pred_band_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.risk_band} ({self.risk_score:.2f}) for {self.student}"
