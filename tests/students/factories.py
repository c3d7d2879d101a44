from datetime import UTC, datetime, timedelta

import factory

from students.models import ConceptModule, LearningEvent, Student

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class ConceptModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConceptModule
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"m{n}")
    title = factory.LazyAttribute(lambda m: f"Module {m.code}")
    order = factory.Sequence(lambda n: n)


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    code = factory.Sequence(lambda n: f"s{n:03d}")
    name = factory.LazyAttribute(lambda s: f"Student {s.code}")
    email = factory.LazyAttribute(lambda s: f"{s.code}@school.example")
    enrolled_at = T0


class LearningEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningEvent

    student = factory.SubFactory(StudentFactory)
    event_type = LearningEvent.EventType.VIEW
    occurred_at = factory.Sequence(lambda n: T0 + timedelta(minutes=n))
