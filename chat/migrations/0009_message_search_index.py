# The full-text index moves from the to_tsvector(content) expression to the stored column.
# Both are built and dropped CONCURRENTLY (no lock on writes; hence not atomic): the new index
# exists before the old one goes, so search stays indexed throughout.

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("chat", "0008_message_search_document"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="message",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_document"], name="chat_message_search"
            ),
        ),
        RemoveIndexConcurrently(model_name="message", name="chat_message_fts"),
    ]
