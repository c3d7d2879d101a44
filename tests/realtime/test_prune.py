from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from chat import services as chat_services
from config.realtime.models import Event


def test_prune_deletes_only_events_older_than_the_retention(make_user):
    # given
    alice = make_user("alice")
    chat_services.thread_create(owner=alice, id="old", title="t")
    chat_services.thread_create(owner=alice, id="new", title="t")
    Event.objects.filter(ref="old").update(created_at=timezone.now() - timedelta(days=2))
    out = StringIO()

    # when
    call_command("realtime_prune", "--days", "1", stdout=out)

    # then
    assert out.getvalue() == "Deleted 1 events older than 1 days.\n"
    assert list(Event.objects.values_list("topic", "kind", "ref")) == [
        ("owner", "thread_created", "new")
    ]
