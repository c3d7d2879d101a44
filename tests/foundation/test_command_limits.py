"""Operator commands get the command statement limit; the web keeps its short one."""

import pytest
from django.db import connection

from config.timeouts import is_operator_command, lift_for_commands


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["manage.py", "migrate"], True),
        (["/srv/app/manage.py", "import_legacy", "all"], True),
        (["manage.py", "runserver"], False),
        (["gunicorn", "config.wsgi"], False),
        (["pytest"], False),
        (["manage.py"], False),
    ],
)
def test_which_processes_are_operator_commands(argv, expected):
    assert is_operator_command(argv) is expected


def test_a_command_session_gets_the_command_limit(db, settings):
    # given the session with the web limit
    settings.DB_COMMAND_STATEMENT_TIMEOUT = 123_000
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 5000")

        # when the command's connection is set up
        lift_for_commands(sender=None, connection=connection)

        # then its statements may run for the command limit
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("123s",)
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone() == ("123s",)
        cursor.execute("RESET statement_timeout")
        cursor.execute("RESET lock_timeout")


def test_behind_a_transaction_pooler_the_web_limit_stays(db, settings):
    # a session SET would outlive the command on a pooled server connection
    settings.DB_COMMAND_STATEMENT_TIMEOUT = 123_000
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 5000")
            lift_for_commands(sender=None, connection=connection)
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == ("5s",)
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False
