from django.contrib.auth.models import Permission
from django.db import connection
from django.http import HttpRequest

from config.admin_utils import EstimatedCountPaginator, export_csv_action


class SmallThresholdPaginator(EstimatedCountPaginator):
    exact_count_below = 10


def analyse(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_unfiltered_big_table_uses_the_planner_estimate(db, django_assert_num_queries):
    # given
    estimate = analyse("auth_permission")
    Permission.objects.filter(codename="add_apikey").delete()  # the estimate is now one too high

    # when
    with django_assert_num_queries(1):
        count = SmallThresholdPaginator(Permission.objects.all(), 10).count

    # then
    assert count == estimate == Permission.objects.count() + 1


def test_filtered_list_is_counted_exactly(db):
    # given
    analyse("auth_permission")
    filtered = Permission.objects.filter(
        content_type__app_label="chat", content_type__model="apikey"
    )

    # when
    count = SmallThresholdPaginator(filtered, 10).count

    # then
    assert count == 4


def test_small_table_is_counted_exactly(db):
    # given
    analyse("auth_permission")

    # when
    count = EstimatedCountPaginator(Permission.objects.all(), 10).count

    # then
    assert count == Permission.objects.count()


def test_csv_export_streams_the_selected_fields(db):
    # given
    action = export_csv_action(["codename", "content_type__app_label"])
    queryset = Permission.objects.filter(
        content_type__app_label="chat", content_type__model="apikey"
    ).order_by("codename")

    # when
    response = action(None, HttpRequest(), queryset)

    # then
    assert response["Content-Disposition"] == 'attachment; filename="permission.csv"'
    assert b"".join(response.streaming_content).decode() == (
        "codename,content_type__app_label\r\n"
        "add_apikey,chat\r\n"
        "change_apikey,chat\r\n"
        "delete_apikey,chat\r\n"
        "view_apikey,chat\r\n"
    )
