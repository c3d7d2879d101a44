"""Triggers that write realtime_event rows in the same transaction as the change.

Statement-level with transition tables where many rows change at once (message appends,
imports, log ingest, clear/delete), so a bulk write costs one extra statement, not one per row.
"""

from django.db import migrations

FUNCTIONS = """
CREATE FUNCTION realtime_message_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO realtime_event (topic, key, kind, ref, data)
    SELECT 'thread', n.thread_id, 'message_added', n.id, '{}'::jsonb
    FROM new_rows n ORDER BY n.created_at, n.seq;
    RETURN NULL;
END $$;

CREATE FUNCTION realtime_message_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A thread that still exists but has no message left was cleared.
    INSERT INTO realtime_event (topic, key, kind, ref, data)
    SELECT 'thread', o.thread_id, 'thread_cleared', o.thread_id, '{}'::jsonb
    FROM (SELECT DISTINCT thread_id FROM old_rows) o
    WHERE EXISTS (SELECT 1 FROM chat_thread t WHERE t.id = o.thread_id)
      AND NOT EXISTS (SELECT 1 FROM chat_message m WHERE m.thread_id = o.thread_id);
    RETURN NULL;
END $$;

CREATE FUNCTION realtime_thread_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO realtime_event (topic, key, kind, ref, data)
    SELECT 'owner', n.owner_id::text, 'thread_created', n.id, '{}'::jsonb FROM new_rows n;
    RETURN NULL;
END $$;

CREATE FUNCTION realtime_thread_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Sidebars hear of every change (activity reorders them); a thread's own stream only of
    -- changes to what it shows, not of each message's updated_at.
    INSERT INTO realtime_event (topic, key, kind, ref, data)
    SELECT 'owner', n.owner_id::text, 'thread_updated', n.id, '{}'::jsonb
    FROM new_rows n
    UNION ALL
    SELECT 'owner', o.owner_id::text, 'thread_deleted', o.id, '{}'::jsonb
    FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.owner_id <> o.owner_id
    UNION ALL
    SELECT 'thread', n.id, 'thread_updated', n.id, '{}'::jsonb
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.title, n.agent_type, n.metadata, n.owner_id)
          IS DISTINCT FROM (o.title, o.agent_type, o.metadata, o.owner_id);
    RETURN NULL;
END $$;

CREATE FUNCTION realtime_thread_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO realtime_event (topic, key, kind, ref, data)
    SELECT 'thread', o.id, 'thread_deleted', o.id, '{}'::jsonb FROM old_rows o
    UNION ALL
    SELECT 'owner', o.owner_id::text, 'thread_deleted', o.id, '{}'::jsonb FROM old_rows o;
    RETURN NULL;
END $$;

CREATE FUNCTION realtime_health_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous text;
BEGIN
    SELECT h.status INTO previous FROM monitoring_systemhealth h
    WHERE h.component = NEW.component AND h.id <> NEW.id
      AND (h.checked_at, h.id) < (NEW.checked_at, NEW.id)
    ORDER BY h.checked_at DESC, h.id DESC LIMIT 1;
    IF previous IS DISTINCT FROM NEW.status THEN
        INSERT INTO realtime_event (topic, key, kind, ref, data)
        VALUES ('health', NEW.component, 'status_changed', NEW.id::text,
                jsonb_build_object('previous', previous, 'status', NEW.status));
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION realtime_logs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One event per ingest statement: the ids; subscribers load the ones matching their filters.
    INSERT INTO realtime_event (topic, key, kind, ref, data)
    SELECT 'logs', '', 'logs_added', '', jsonb_build_object('ids', jsonb_agg(n.id ORDER BY n.id))
    FROM new_rows n HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE TRIGGER realtime_message_inserted AFTER INSERT ON chat_message
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION realtime_message_inserted();
CREATE TRIGGER realtime_message_deleted AFTER DELETE ON chat_message
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION realtime_message_deleted();
CREATE TRIGGER realtime_thread_inserted AFTER INSERT ON chat_thread
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION realtime_thread_inserted();
CREATE TRIGGER realtime_thread_updated AFTER UPDATE ON chat_thread
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION realtime_thread_updated();
CREATE TRIGGER realtime_thread_deleted AFTER DELETE ON chat_thread
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION realtime_thread_deleted();
CREATE TRIGGER realtime_health_inserted AFTER INSERT ON monitoring_systemhealth
    FOR EACH ROW EXECUTE FUNCTION realtime_health_inserted();
CREATE TRIGGER realtime_logs_inserted AFTER INSERT ON monitoring_monitoringlog
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION realtime_logs_inserted();
"""

DROP = """
DROP TRIGGER realtime_message_inserted ON chat_message;
DROP TRIGGER realtime_message_deleted ON chat_message;
DROP TRIGGER realtime_thread_inserted ON chat_thread;
DROP TRIGGER realtime_thread_updated ON chat_thread;
DROP TRIGGER realtime_thread_deleted ON chat_thread;
DROP TRIGGER realtime_health_inserted ON monitoring_systemhealth;
DROP TRIGGER realtime_logs_inserted ON monitoring_monitoringlog;
DROP FUNCTION realtime_message_inserted, realtime_message_deleted, realtime_thread_inserted,
    realtime_thread_updated, realtime_thread_deleted, realtime_health_inserted,
    realtime_logs_inserted;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("realtime", "0001_initial"),
        ("chat", "0005_apikey_name_storable"),
        ("monitoring", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FUNCTIONS, DROP)]
