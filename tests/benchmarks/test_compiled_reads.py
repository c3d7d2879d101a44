"""Compiled reads (config.compiler) answer byte for byte as the standard path does: on the
benchmark's read queries, on selections generated over every list of the schema, and on
stored values at the edges of their types; a compiled list costs one statement."""

import json
import random
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from strawberry.django.context import StrawberryDjangoContext

from benchmarks.scenarios import GRAPHQL, SCENARIOS
from chat.models import Message, Thread
from chat.services import api_key_create
from config.compiler import _plans
from config.compiler.render import forget_templates
from config.schema import schema
from learn.models import LearnItem
from monitoring.models import MonitoringLog
from students.models import DropoutPrediction, LearningEvent, Student
from tests.benchmarks.conftest import BenchClient
from tests.factories import UserFactory

READS = [s for s in SCENARIOS if not s.writes]
# Statements of a compiled request: the API key (with the user and permissions), the list.
COMPILED_STATEMENTS = 2


def answer(client: BenchClient, settings, query: str, variables=None, *, compiled: bool):
    settings.GRAPHQL_COMPILE = compiled
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/graphql/", {"query": query, "variables": variables or {}})
    assert response.status_code == 200
    return response.content, len(queries)


def both(client, settings, query, variables=None):
    """(compiled answer, its statements, standard answer). The compiled query is sent twice:
    through the executor, then (when the compiler answered it whole) without it
    (config.compiler.operations); both times it answers the same bytes, the second time in
    as many statements or fewer (a standard path's first run fills caches)."""
    answer(client, settings, "{ viewer { id } }", compiled=False)  # the key's first use
    executed, executed_statements = answer(client, settings, query, variables, compiled=True)
    compiled, statements = answer(client, settings, query, variables, compiled=True)
    assert compiled == executed
    assert statements <= executed_statements
    standard, _ = answer(client, settings, query, variables, compiled=False)
    return compiled, statements, standard


@pytest.fixture
def bench_client(seed):
    return BenchClient(seed(learn_items=600))


@pytest.mark.parametrize("scenario", READS, ids=lambda s: s.name)
def test_benchmark_reads_answer_the_same_bytes(bench, bench_client, settings, scenario):
    # given
    state = bench_client.prepare(scenario)
    variables = scenario.variables(0, GRAPHQL, state)

    # when
    compiled, statements, standard = both(bench_client, settings, scenario.query, variables)

    # then: every list read is one statement (learnStats is not a list: standard path)
    assert compiled == standard
    assert b'"errors"' not in compiled
    if scenario.name != "learn_stats":
        assert statements == COMPILED_STATEMENTS


# --- generated selections ---


def _unwrap(gtype):
    while isinstance(gtype, GraphQLNonNull | GraphQLList):
        gtype = gtype.of_type
    return gtype


def _is_connection(gtype) -> bool:
    return isinstance(gtype, GraphQLObjectType) and {"nodes", "edges", "pageInfo"} <= set(
        gtype.fields
    )


def _page_args(rng: random.Random, nested: bool) -> str:
    choice = rng.choice(["first", "first", "last", "none", "offset", "zero"])
    size = rng.choice([1, 2, 3] if nested else [1, 4, 20])
    return {
        "first": f"(first: {size})",
        "last": f"(last: {size})",
        "none": "",
        "offset": f"(first: {size}, offset: 1)",
        "zero": "(first: 0)",
    }[choice]


def _object(rng: random.Random, gtype: GraphQLObjectType, depth: int) -> str:
    parts = []
    for name, field in gtype.fields.items():
        if rng.random() < 0.45:
            continue
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        alias = f"a{rng.randrange(100)}: " if rng.random() < 0.15 else ""
        target = _unwrap(field.type)
        if isinstance(target, GraphQLScalarType | GraphQLEnumType):
            parts.append(f"{alias}{name}")
        elif _is_connection(target):
            if depth < 3:
                args = _page_args(rng, nested=True) if field.args else ""
                parts.append(f"{alias}{name}{args} {{ {_connection(rng, target, depth + 1)} }}")
        elif isinstance(target, GraphQLObjectType) and depth < 3 and not field.args:
            parts.append(f"{alias}{name} {{ {_object(rng, target, depth + 1)} }}")
    if rng.random() < 0.2:
        parts.append("__typename")
    if not parts:
        parts.append(next(n for n, f in gtype.fields.items() if not f.args))
    if rng.random() < 0.2 and len(parts) > 1:  # part of it in an inline fragment
        half = len(parts) // 2
        parts = [*parts[:half], f"... on {gtype.name} {{ {' '.join(parts[half:])} }}"]
    return " ".join(parts)


def _connection(rng: random.Random, gtype: GraphQLObjectType, depth: int) -> str:
    node = gtype.fields["nodes"].type
    node_type = _unwrap(node)
    parts = []
    if rng.random() < 0.5:
        parts.append("totalCount")
    if rng.random() < 0.6:
        info = [n for n in ("hasNextPage", "hasPreviousPage", "startCursor", "endCursor")]
        chosen = [n for n in info if rng.random() < 0.6] or ["hasNextPage"]
        parts.append(f"pageInfo {{ {' '.join(chosen)} }}")
    if rng.random() < 0.7:
        parts.append(f"nodes {{ {_object(rng, node_type, depth)} }}")
    else:
        edge = ["cursor"] if rng.random() < 0.8 else []
        edge.append(f"node {{ {_object(rng, node_type, depth)} }}")
        parts.append(f"edges {{ {' '.join(edge)} }}")
    if rng.random() < 0.1:
        parts.append("__typename")
    return " ".join(parts)


def generated_documents(count: int, seed: int = 20261202) -> list[str]:
    rng = random.Random(seed)
    query_type = schema._schema.query_type
    roots = [  # every list of the schema that needs no argument
        name
        for name, field in query_type.fields.items()
        if _is_connection(_unwrap(field.type))
        and not any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values())
    ]
    assert len(roots) >= 7
    documents = []
    for number in range(count):
        root = roots[number % len(roots)]
        connection_type = _unwrap(query_type.fields[root].type)
        args = _page_args(rng, nested=False)
        documents.append(f"{{ {root}{args} {{ {_connection(rng, connection_type, 1)} }} }}")
    return documents


def edge_values():
    """Stored values at the edges of their types, beside the seeded rows."""
    thread = Thread.objects.order_by("-updated_at").first()
    Message.objects.filter(
        pk=Message.objects.filter(thread=thread).order_by("seq").first().pk
    ).update(
        content='quote " backslash \\ tab \t nl \n ctrl \x01 \u2028 é ☃ 🎉',
        metadata={"big": 2**70, "tiny": 1e-07, "neg": -0.0, "f": 1.5, "n": None, "u": "é"},
    )
    LearnItem.objects.filter(pk=LearnItem.objects.order_by("-created_at").first().pk).update(
        size_bytes=2**31 - 1,
        notes="",
        filename=None,
        created_at=datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    )
    MonitoringLog.objects.filter(pk=MonitoringLog.objects.order_by("-timestamp").first().pk).update(
        timestamp=datetime(2027, 1, 1, tzinfo=UTC), context={"nested": {"list": [1, 2.25, "x"]}}
    )
    DropoutPrediction.objects.filter(
        pk=DropoutPrediction.objects.order_by("-predicted_at").first().pk
    ).update(risk_score=1e-07)
    LearningEvent.objects.filter(
        pk=LearningEvent.objects.order_by("-occurred_at").first().pk
    ).update(
        duration_s=None,
        module=None,
        occurred_at=datetime(1900, 1, 1, tzinfo=UTC),
        # Compacted by json_strip_nulls (no member is null): separators inside strings stay.
        metadata={"text": 'a, b: c ", d": e', "list": [1, None, {"k": "v\\"}], "e": {}},
    )


def test_generated_selections_answer_the_same_bytes(bench, bench_client, settings):
    # given
    edge_values()
    documents = generated_documents(90)

    # when
    compiled_count = 0
    for document in documents:
        compiled, statements, standard = both(bench_client, settings, document)

        # then
        assert compiled == standard, document
        assert b'"errors"' not in compiled, document
        compiled_count += statements == COMPILED_STATEMENTS

    # then: most of them took the compiler (the rest have fields it leaves to the standard path)
    assert compiled_count >= len(documents) // 2


def test_without_a_permission_guarded_fields_and_lists_answer_the_same_bytes(bench, seed, settings):
    # given: a reader of students without the prediction permission
    seed(learn_items=50)
    user = UserFactory(perms=["students.view_student", "students.view_learningevent"])
    _, key = api_key_create(user=user, name="reader")
    client = BenchClient(key)
    query = """{ students(first: 5) { nodes { code latestPrediction { riskScore }
      predictions(first: 2) { totalCount nodes { id } pageInfo { hasNextPage endCursor } }
      events(last: 2) { nodes { id eventType } } } } }"""

    # when
    compiled, statements, standard = both(client, settings, query)

    # then
    assert compiled == standard
    assert statements == COMPILED_STATEMENTS
    assert b'"latestPrediction":null' in compiled
    assert b'"predictions":{"totalCount":0,"nodes":[]' in compiled
    assert Permission.objects.filter(user=user).count() == 2


def test_a_stored_value_the_standard_path_refuses_gets_its_error(bench, bench_client, settings):
    # given: a status no enum value spells, past the check constraint (dropped in this test's
    # transaction only)
    student = Student.objects.order_by("code").first()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the seed's deferred checks run now
        cursor.execute("ALTER TABLE students_student DROP CONSTRAINT students_student_status_valid")
        cursor.execute("UPDATE students_student SET status = 'lost' WHERE id = %s", [student.pk])
    query = "{ students(first: 3) { nodes { code status } } }"

    # when
    compiled, statements, standard = both(bench_client, settings, query)

    # then: the compiled statement's answer was thrown away for the standard path's error
    assert compiled == standard
    assert b'"errors"' in compiled
    assert statements > COMPILED_STATEMENTS


def test_a_stored_value_only_the_standard_path_prints_is_left_to_it(bench, bench_client, settings):
    # given: tags that are not all strings (the String scalar prints 7 as "7")
    item = LearnItem.objects.order_by("-created_at", "-id").first()
    LearnItem.objects.filter(pk=item.pk).update(tags=["ok", 7])
    query = "{ learnItems(first: 2) { nodes { id tags } } }"

    # when
    compiled, statements, standard = both(bench_client, settings, query)

    # then
    assert compiled == standard
    assert b'"tags":["ok","7"]' in compiled
    assert statements > COMPILED_STATEMENTS


def test_tags_with_separators_and_nulls_inside_their_strings_answer_the_same_bytes(
    bench, bench_client, settings
):
    # given: a list of strings compacted without the number checks (it holds no number)
    item = LearnItem.objects.order_by("-created_at", "-id").first()
    tags = ["a, b: null", "c:d", 'quote " \\ é', ""]
    LearnItem.objects.filter(pk=item.pk).update(tags=tags)
    query = "{ learnItems(first: 2) { nodes { id tags } } }"

    # when
    compiled, statements, standard = both(bench_client, settings, query)

    # then
    assert compiled == standard
    assert statements == COMPILED_STATEMENTS
    assert (
        b'"tags":' + json.dumps(tags, ensure_ascii=False, separators=(",", ":")).encode()
        in compiled
    )


JSON_VALUES = [
    {"text": 'a, b: c ", d": e \\', "list": [1, None, {"k": "v"}], "e": {}, "a": []},
    {"member": None, "text": "x: null"},
    ["x: null", None],
    {"nested": {"deep": [{"f": 2.25, "t": True}]}},
    "plain, string",
    [],
]


def first_student_metadata(values: list) -> list:
    """The first student's events, newest first, given `values` as their metadata in turn."""
    student = Student.objects.order_by("code", "id").first()
    events = list(LearningEvent.objects.filter(student=student).order_by("-occurred_at", "-id"))
    for event, value in zip(events, values, strict=False):
        LearningEvent.objects.filter(pk=event.pk).update(metadata=value)
    return events


def test_json_values_answer_the_same_bytes_compacted_either_way(bench, bench_client, settings):
    # given: JSON with separators inside strings, nulls as members and as elements
    events = first_student_metadata(JSON_VALUES)
    query = "{ students(first: 1) { nodes { events(first: 6) { nodes { metadata } } } } }"

    # when
    compiled, statements, standard = both(bench_client, settings, query)

    # then
    assert len(events) >= len(JSON_VALUES)
    assert compiled == standard
    assert statements == COMPILED_STATEMENTS
    # (jsonb keeps keys shortest first)
    assert (
        b'{"metadata":{"a":[],"e":{},"list":[1,null,{"k":"v"}],"text":"a, b: c \\", d\\": e \\\\"}}'
        in compiled
    )
    assert b'{"metadata":{"text":"x: null","member":null}}' in compiled


# Numbers at the edges of 64 bits and beyond, and digits that only look like numbers (inside
# strings).
IN_64_BITS = [
    {"a": 18446744073709551615, "b": -9223372036854775808, "c": 1234567890123456789},
    ["id 12345678901234567890", "v1.5", 1],
]
BEYOND_64_BITS = [[18446744073709551616], {"b": -9223372036854775809}, [2**70, "é"]]
METADATA_QUERY = "{ students(first: 1) { nodes { events(first: 2) { nodes { metadata } } } } }"


@pytest.mark.parametrize("values", [IN_64_BITS, *([value] for value in BEYOND_64_BITS)])
def test_json_numbers_at_the_edges_of_64_bits_answer_the_same_bytes(
    bench, bench_client, settings, values
):
    # given
    first_student_metadata(values)

    # when
    compiled, statements, standard = both(bench_client, settings, METADATA_QUERY)

    # then: compiled, each integer printed as its digits, the rest as orjson prints it (the
    # standard path's encoder prints an integer orjson refuses in place: é stays UTF-8)
    assert compiled == standard
    assert b'"errors"' not in compiled
    assert statements == COMPILED_STATEMENTS
    for value in values:  # (keys of one length: jsonb keeps them in this order)
        printed = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        assert printed in compiled


def test_json_integers_beyond_64_bits_read_exactly_by_a_caller_of_the_schema(
    bench, bench_client, settings
):
    # given: a caller of the schema itself, which gets the values rather than the JSON text
    first_student_metadata([[2**70, -(2**64)]])
    request = bench_client.post("/graphql/", {"query": "{ viewer { id } }"}).wsgi_request
    context = StrawberryDjangoContext(request=request, response=None)

    # when
    answers = {}
    for compiled in (True, False):
        settings.GRAPHQL_COMPILE = compiled
        with CaptureQueriesContext(connection) as queries:
            result = schema.execute_sync(METADATA_QUERY, context_value=context)
        answers[compiled] = (result.errors, result.data, len(queries))

    # then: the integers, not floats, either way
    (errors, data, statements), (_, standard, _) = answers[True], answers[False]
    assert errors is None
    assert data == standard
    metadata = data["students"]["nodes"][0]["events"]["nodes"][0]["metadata"]
    assert metadata == [2**70, -(2**64)]
    assert [type(number) for number in metadata] == [int, int]
    assert statements == 1


def test_a_json_integer_python_cannot_read_is_left_to_the_standard_path(
    bench, bench_client, settings
):
    # given: an integer of 4,301 digits (beyond sys.get_int_max_str_digits()), written past
    # the API; and one of 4,300, which Python reads
    events = first_student_metadata([[1], [1]])
    for event, digits in zip(events, (4301, 4300), strict=False):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {LearningEvent._meta.db_table} "
                "SET metadata = ('[' || repeat('9', %s) || ']')::jsonb WHERE id = %s",
                [digits, event.pk],
            )

    # when
    compiled, statements, standard = both(bench_client, settings, METADATA_QUERY)

    # then: the standard path's answer (its loader refuses the first), not a compiled one
    assert compiled == standard
    assert statements > COMPILED_STATEMENTS
    assert json.loads(standard)["errors"][0]["path"][:2] == ["students", "nodes"]


NESTED_PAGE_QUERY = """
query Page($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  thread(id: $id) {
    messages(first: $first, after: $after, last: $last, before: $before) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      nodes { id createdAt }
    }
  }
}
"""


def _walk(client, settings, thread_id: str, *, forwards: bool) -> list[str]:
    """The thread's message ids, read in pages of 7 from either end with the cursors the
    answers give; each page answered the same both ways."""
    ids, cursor = [], None
    for _page in range(100):
        if forwards:
            variables = {"id": thread_id, "first": 7, "after": cursor}
        else:
            variables = {"id": thread_id, "last": 7, "before": cursor}
        compiled, statements, standard = both(client, settings, NESTED_PAGE_QUERY, variables)
        assert compiled == standard, variables
        assert statements == COMPILED_STATEMENTS, compiled
        page = json.loads(compiled)["data"]["thread"]["messages"]
        found = [node["id"] for node in page["nodes"]]
        ids = ids + found if forwards else found + ids
        more = page["pageInfo"]["hasNextPage" if forwards else "hasPreviousPage"]
        if not more:
            return ids
        cursor = page["pageInfo"]["endCursor" if forwards else "startCursor"]
    raise AssertionError("the walk did not end")


def _nested_templates(field: str) -> dict:
    """The SQL kept for the nested list `field` by the plans of the cached documents."""
    found = {}
    for _nodes, plan in _plans.values():
        for entry in getattr(plan, "entries", ()):
            if getattr(entry, "key", None) == field and hasattr(entry, "templates"):
                found.update(entry.templates)
    return found


def _longest_thread() -> tuple[Thread, list[str]]:
    """The thread with the most messages and their ids in order, with no plan or nested SQL
    kept yet."""
    thread = Thread.objects.annotate(n=Count("messages")).order_by("-n", "id").first()
    expected = list(
        Message.objects.filter(thread=thread)
        .order_by("created_at", "seq", "id")
        .values_list("id", flat=True)
    )
    _plans.clear()
    forget_templates()
    return thread, expected


def test_a_nested_list_walked_with_cursors_reads_every_row_once_in_order(
    bench, bench_client, settings
):
    # given: the thread with the most messages
    thread, expected = _longest_thread()

    # when
    forwards = _walk(bench_client, settings, thread.id, forwards=True)
    backwards = _walk(bench_client, settings, thread.id, forwards=False)

    # then: each cursor's values went into the SQL compiled once per shape of page: from the
    # start or from the end, with or without a cursor (4 shapes for all the pages)
    assert len(expected) > 3 * 7
    assert forwards == expected
    assert backwards == expected
    windows = [key for key in _nested_templates("messages") if key[0] == "window"]
    assert len(windows) == 4


def test_past_the_bound_on_kept_sql_a_new_shape_is_compiled_for_its_request(
    bench, bench_client, settings
):
    # given: room for one nested page's SQL
    thread, expected = _longest_thread()
    settings.GRAPHQL_COMPILE_TEMPLATES = 1

    # when
    forwards = _walk(bench_client, settings, thread.id, forwards=True)
    backwards = _walk(bench_client, settings, thread.id, forwards=False)

    # then: every page right, and only the first shape's SQL kept
    assert forwards == expected
    assert backwards == expected
    assert len(_nested_templates("messages")) == 1
    forget_templates()


ORDERED_ITEMS = """
query ($ordering: [LearnItemOrder!], $first: Int, $after: String, $last: Int, $before: String) {
  learnItems(ordering: $ordering, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id filename kind } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def _walk_items(client, settings, ordering: list, *, forwards: bool) -> list[str]:
    """The ids of every learn item in `ordering`, read in pages of 40 from either end with the
    answers' cursors; each page answered the same both ways, in one statement."""
    ids, cursor = [], None
    for _page in range(100):
        page_args = {"first": 40, "after": cursor} if forwards else {"last": 40, "before": cursor}
        variables = {"ordering": ordering, **page_args}
        compiled, statements, standard = both(client, settings, ORDERED_ITEMS, variables)
        assert compiled == standard, variables
        assert statements == COMPILED_STATEMENTS, compiled
        page = json.loads(compiled)["data"]["learnItems"]
        found = [edge["node"]["id"] for edge in page["edges"]]
        ids = ids + found if forwards else found + ids
        if not page["pageInfo"]["hasNextPage" if forwards else "hasPreviousPage"]:
            return ids
        cursor = page["pageInfo"]["endCursor" if forwards else "startCursor"]
    raise AssertionError("the walk did not end")


@pytest.mark.parametrize(
    "ordering",
    [
        [{"filename": "ASC"}],
        [{"filename": "DESC_NULLS_LAST"}, {"createdAt": "ASC"}],
        [{"filename": "ASC_NULLS_FIRST"}, {"kind": "DESC"}],
        [{"kind": "DESC"}, {"createdAt": "ASC"}],
    ],
    ids=["nullable", "nullable-then-other-way", "nulls-first-then-desc", "mixed-directions"],
)
def test_a_root_list_walked_with_cursors_in_any_ordering_reads_every_row_once(
    bench, bench_client, settings, ordering
):
    # given: filenames that repeat and filenames that are null
    items = list(LearnItem.objects.order_by("pk").values_list("pk", flat=True))
    LearnItem.objects.filter(pk__in=items[::5]).update(filename=None)
    LearnItem.objects.filter(pk__in=items[1::5]).update(filename="same.txt")

    # when
    forwards = _walk_items(bench_client, settings, ordering, forwards=True)
    backwards = _walk_items(bench_client, settings, ordering, forwards=False)

    # then: the cursor's conditions around the list's rows (config.compiler.render.page) find
    # the ORM's rows: every item once, the same order from either end
    assert sorted(forwards) == sorted(str(pk) for pk in items)
    assert backwards == forwards


FILTERED_ITEMS = """
query ($filters: LearnItemFilter, $first: Int, $after: String, $last: Int, $before: String,
       $offset: Int) {
  learnItems(filters: $filters, ordering: [{filename: ASC_NULLS_FIRST}], first: $first,
             after: $after, last: $last, before: $before, offset: $offset) {
    totalCount
    edges { cursor node { id filename } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def test_a_root_page_between_cursors_past_an_offset_or_of_distinct_rows_answers_the_same(
    bench, bench_client, settings
):
    # given: two cursors of the list
    LearnItem.objects.filter(pk__in=LearnItem.objects.order_by("pk")[:40]).update(filename=None)
    first, _, _ = both(bench_client, settings, FILTERED_ITEMS, {"first": 30})
    edges = json.loads(first)["data"]["learnItems"]["edges"]
    early, late = edges[10]["cursor"], edges[-1]["cursor"]
    good = {"kind": "GOOD"}
    cases = [
        {"first": 5, "after": late, "offset": 3},
        {"last": 5, "before": late, "offset": 2},
        {"first": 0, "after": late},
        {"last": 0, "before": late},
        {"first": 5, "after": early, "before": late},
        {"last": 5, "after": early, "before": late},
        {"first": 5, "filters": {"tagsAny": []}},
        {"first": 5, "after": late, "filters": {**good, "OR": {"kind": "BAD"}}},
        # distinct rows are not pulled up from a subquery: the ORM's page
        {"first": 5, "after": late, "filters": {**good, "DISTINCT": True}},
        {"last": 5, "before": late, "offset": 1, "filters": {**good, "DISTINCT": True}},
    ]

    for variables in cases:
        # when
        compiled, statements, standard = both(bench_client, settings, FILTERED_ITEMS, variables)

        # then
        assert compiled == standard, variables
        assert b'"errors"' not in compiled, variables
        assert statements == COMPILED_STATEMENTS, variables


def test_a_page_prints_each_timestamp_and_json_value_once_a_row(bench, bench_client, settings):
    # given: a log page whose timestamp is printed for the node, its cursor and the end
    # cursor, and whose context's text is read by its checks and its answer
    query = (
        "{ logs(first: 30) { edges { cursor node { id timestamp receivedAt context } } "
        "pageInfo { endCursor } } }"
    )
    compiled, _, standard = both(bench_client, settings, query)
    settings.GRAPHQL_COMPILE = True

    # when
    with CaptureQueriesContext(connection) as queries:
        bench_client.post("/graphql/", {"query": query})

    # then: the same bytes; in the statement, each timestamp printed once (two to_char
    # each: seconds, microseconds) and the context's text taken once
    assert compiled == standard
    assert compiled.count(b'"cursor"') == 30
    (statement,) = [
        q["sql"] for q in queries.captured_queries if "monitoring_monitoringlog" in q["sql"]
    ]
    assert statement.count("to_char(") == 4
    assert statement.count('."context")::text') == 1
