"""The log table becomes partitioned by day of `timestamp` (monitoring.partitions).

Django's state keeps the model as it was (`id` its primary key): the database's primary key is
(id, timestamp), as PostgreSQL wants the partition key in every unique key of a partitioned
table; ids stay unique as they all come from one sequence. The client ids, which must be unique
across all partitions, move to their own table (LogKey), kept by statement triggers like the
hour counts. The conversion copies the table in batches (monitoring.partition_convert), so the
migration runs outside a transaction, each batch in its own.
"""

from django.db import migrations, models

from monitoring import partition_convert

KEY_TABLE_SQL = "CREATE TABLE monitoring_logkey (client_id varchar(128) PRIMARY KEY)"

# Every statement that writes logs keeps the keys (and, when it deletes, the links to results,
# which have no foreign key any more): an insert of a client id already stored fails on the
# key's primary key, as it did on the unique constraint of the log table.
KEY_TRIGGERS_SQL = """
CREATE FUNCTION monitoring_log_key_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM monitoring_logkey k USING old_rows o WHERE k.client_id = o.client_id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        DELETE FROM monitoring_monitoringresult_logs l USING old_rows o
        WHERE l.monitoringlog_id = o.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO monitoring_logkey (client_id)
        SELECT client_id FROM new_rows ORDER BY client_id;
    END IF;
    RETURN NULL;
END $$;

-- TRUNCATE unless the statement that fired it truncates these tables too (Django's flush).
CREATE FUNCTION monitoring_log_key_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        TRUNCATE monitoring_logkey;
    EXCEPTION WHEN object_in_use THEN
        DELETE FROM monitoring_logkey;
    END;
    BEGIN
        TRUNCATE monitoring_monitoringresult_logs;
    EXCEPTION WHEN object_in_use THEN
        DELETE FROM monitoring_monitoringresult_logs;
    END;
    RETURN NULL;
END $$;

CREATE TRIGGER monitoring_log_key_insert AFTER INSERT ON monitoring_monitoringlog
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION monitoring_log_key_apply();
CREATE TRIGGER monitoring_log_key_delete AFTER DELETE ON monitoring_monitoringlog
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION monitoring_log_key_apply();
CREATE TRIGGER monitoring_log_key_update AFTER UPDATE ON monitoring_monitoringlog
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION monitoring_log_key_apply();
CREATE TRIGGER monitoring_log_key_truncate AFTER TRUNCATE ON monitoring_monitoringlog
    FOR EACH STATEMENT EXECUTE FUNCTION monitoring_log_key_truncate();
"""
KEY_TRIGGERS_REVERSE = """
DROP TRIGGER monitoring_log_key_insert ON monitoring_monitoringlog;
DROP TRIGGER monitoring_log_key_delete ON monitoring_monitoringlog;
DROP TRIGGER monitoring_log_key_update ON monitoring_monitoringlog;
DROP TRIGGER monitoring_log_key_truncate ON monitoring_monitoringlog;
DROP FUNCTION monitoring_log_key_apply();
DROP FUNCTION monitoring_log_key_truncate();
"""


def partition(apps, schema_editor):
    partition_convert.to_partitioned(schema_editor.connection)


def unpartition(apps, schema_editor):
    partition_convert.to_plain(schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("monitoring", "0003_log_hour_counts"),
        # Its trigger on the log table moves to the partitioned one.
        ("realtime", "0002_triggers"),
    ]

    operations = [
        migrations.RunSQL(KEY_TABLE_SQL, "DROP TABLE monitoring_logkey"),
        migrations.CreateModel(
            name="LogKey",
            fields=[
                ("client_id", models.CharField(max_length=128, primary_key=True, serialize=False)),
            ],
            options={"managed": False},
        ),
        migrations.AlterField(
            model_name="monitoringresult",
            name="logs",
            field=models.ManyToManyField(
                blank=True,
                db_constraint=False,
                help_text="Logs the result is about (links vanish when retention prunes the logs).",
                related_name="results",
                to="monitoring.monitoringlog",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="monitoringlog", name="monitoring_log_client_id_uniq"
                ),
                migrations.AddIndex(
                    model_name="monitoringlog",
                    index=models.Index(fields=["client_id"], name="monitoring_log_client_id"),
                ),
            ],
            database_operations=[migrations.RunPython(partition, unpartition)],
        ),
        migrations.RunSQL(KEY_TRIGGERS_SQL, KEY_TRIGGERS_REVERSE),
    ]
