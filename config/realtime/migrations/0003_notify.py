"""NOTIFY on the `realtime` channel (payload: the topic) when events are written, so that a
process listening on a direct connection polls at once (config.realtime.listener).

Only while such a listener is connected to this database: a transaction that notifies takes a
cluster-wide lock at commit, which a deployment that only polls should not pay. One statement
per insert statement into realtime_event (a transition table), whatever its number of rows.
"""

from django.db import migrations

FUNCTIONS = """
CREATE FUNCTION realtime_event_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'realtime-listener'
    ) THEN
        PERFORM pg_notify('realtime', t.topic) FROM (SELECT DISTINCT topic FROM added) t;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER realtime_event_notify AFTER INSERT ON realtime_event
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT
    EXECUTE FUNCTION realtime_event_notify();
"""

DROP = """
DROP TRIGGER realtime_event_notify ON realtime_event;
DROP FUNCTION realtime_event_notify;
"""


class Migration(migrations.Migration):
    dependencies = [("realtime", "0002_triggers")]

    operations = [migrations.RunSQL(FUNCTIONS, DROP)]
