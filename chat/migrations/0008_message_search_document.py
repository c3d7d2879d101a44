# The words of each message, stored (PostgreSQL computes them on every write): a search reads
# them instead of running to_tsvector on message content for each row it looks at.
#
# Adding a stored generated column rewrites chat_message under an ACCESS EXCLUSIVE lock (reads
# and writes of messages wait until it ends): with 0009, 2 min 42 s for 351,000 messages on a
# busy 2-core machine. Run it with the direct (non-pooler) URL, where migrations get the
# operator commands' time limit, and plan the lock on a large table (docs/chat.md, "Search").

import django.contrib.postgres.search
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0007_keys_end_without_newline"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="search_document",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.SearchVector("content", config="simple"),
                help_text="The words of the content (full-text search).",
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
    ]
