"""An error answer of a mutation means nothing was written, whatever part of it failed."""

from django.apps import apps

from chat.models import Thread


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("chat", "learn", "monitoring", "students")
        for model in apps.get_app_config(app).get_models()
    }


CREATE = (
    'mutation { threadCreate(input: {id: "t1", title: "Hi"}) '
    "{ ... on Thread { id messages(first: %d) { nodes { id } } } } }"
)


def test_a_failing_field_of_the_answer_rolls_the_mutation_back(api_client, make_user):
    # given
    client = api_client(make_user("alice"))
    before = row_counts()

    # when the write succeeds but a field of its answer is refused (a negative page size)
    result = client.execute(CREATE % -1)

    # then the answer is an error with no data, and the thread was not kept
    assert result["data"] is None
    [error] = result["errors"]
    assert error["path"] == ["threadCreate", "messages"]
    assert error["extensions"]["code"] == "VALIDATION_ERROR"
    assert not Thread.objects.exists()
    assert row_counts() == before


def test_a_successful_mutation_is_kept(api_client, make_user):
    client = api_client(make_user("alice"))

    result = client.execute(CREATE % 5)

    assert result == {"data": {"threadCreate": {"id": "t1", "messages": {"nodes": []}}}}
    assert Thread.objects.filter(id="t1").exists()
