from datetime import UTC, datetime, timedelta

import factory

from learn.models import LearnItem

T0 = datetime(2025, 11, 22, 5, 0, tzinfo=UTC)


class LearnItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearnItem

    kind = LearnItem.Kind.GOOD
    filename = factory.Sequence(lambda n: f"example_{n}.md")
    size_bytes = factory.Sequence(lambda n: 100 + n)
    notes = factory.Sequence(lambda n: f"Note {n}")
    tags = factory.LazyFunction(lambda: ["email"])
    created_at = factory.Sequence(lambda n: T0 + timedelta(minutes=n))
