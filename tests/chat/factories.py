from datetime import UTC, datetime, timedelta

import factory

from chat.models import Message, Thread
from tests.factories import UserFactory

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Thread

    id = factory.Sequence(lambda n: f"thread_{n:012d}")
    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Thread {n}")
    created_at = factory.Sequence(lambda n: T0 + timedelta(minutes=n))
    updated_at = factory.LazyAttribute(lambda t: t.created_at)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    id = factory.Sequence(lambda n: f"msg_{n:012d}")
    thread = factory.SubFactory(ThreadFactory)
    role = Message.Role.USER
    content = factory.Sequence(lambda n: f"message {n}")
    created_at = factory.Sequence(lambda n: T0 + timedelta(seconds=n))
