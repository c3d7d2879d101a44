"""The GraphiQL page and its vendored static files: no other host is named, the page's CSP
allows this origin only, whitenoise serves the files, and they are the recorded builds."""

import re
import shutil

import pytest
from django.core.management import call_command
from django.test import Client

from config import graphiql_assets
from config.views import GRAPHIQL_ASSETS

HTML = {"Accept": "text/html"}


@pytest.fixture
def graphiql_on(settings, db):
    settings.GRAPHIQL_ENABLED = True


def test_graphiql_is_off_outside_debug(db):
    # when: the test settings run with DEBUG off
    response = Client().get("/graphql/", headers=HTML)

    # then
    assert response.status_code == 404
    assert response.json() == {
        "data": None,
        "errors": [{"message": "Not Found", "extensions": {"code": "NOT_FOUND"}}],
    }


def test_graphiql_page_loads_only_files_of_this_server(graphiql_on):
    # when
    response = Client().get("/graphql/", headers=HTML)
    html = response.content.decode()

    # then
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    assert re.findall(r'<script src="([^"]+)"></script>', html) == [
        "/static/graphiql/react-18.2.0/react.production.min.js",
        "/static/graphiql/react-dom-18.2.0/react-dom.production.min.js",
        "/static/graphiql/graphiql-3.8.3/graphiql.min.js",
        "/static/graphiql/plugin-explorer-1.0.2/index.umd.js",
        "/static/graphiql/page.js",
    ]
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)">', html) == [
        "/static/graphiql/graphiql-3.8.3/graphiql.min.css",
        "/static/graphiql/plugin-explorer-1.0.2/style.css",
        "/static/graphiql/page.css",
    ]
    assert "<script>" not in html and "<style" not in html and "style=" not in html
    assert "//" not in html.replace("<!doctype html>", "")  # no URL of another host


def test_whitenoise_serves_the_vendored_files(settings, db):
    # given whitenoise looking the files up where they are committed (as in DEBUG)
    settings.WHITENOISE_USE_FINDERS = True
    client = Client()  # a new client builds the middleware with these settings

    # when
    responses = {
        path: client.get(f"/static/{path}")
        for path in [*GRAPHIQL_ASSETS.values(), "graphiql/page.js", "graphiql/page.css"]
    }

    # then
    assert {path: r.status_code for path, r in responses.items()} == dict.fromkeys(responses, 200)
    assert {path: r["Content-Type"].split(";")[0] for path, r in responses.items()} == {
        path: "text/css" if path.endswith(".css") else "text/javascript" for path in responses
    }
    react = responses[GRAPHIQL_ASSETS["react"]]
    assert (
        b"".join(react.streaming_content)
        == (graphiql_assets.STATIC_DIR / GRAPHIQL_ASSETS["react"]).read_bytes()
    )


def test_vendored_files_are_the_recorded_builds():
    # when
    problems = graphiql_assets.check_committed()

    # then: every file present, none unrecorded, each with its recorded SHA-256
    assert problems == []
    assert sum(len(p.files) for p in graphiql_assets.PACKAGES) == 10


def test_a_changed_missing_or_unrecorded_file_is_reported(tmp_path):
    # given a copy of the vendored files with one changed, one removed and one added
    shutil.copytree(graphiql_assets.STATIC_DIR, tmp_path, dirs_exist_ok=True)
    (tmp_path / "graphiql/react-18.2.0/react.production.min.js").write_text("patched")
    (tmp_path / "graphiql/graphiql-3.8.3/LICENSE").unlink()
    (tmp_path / "graphiql/graphiql-3.8.3/graphiql.min.js.map").write_text("{}")

    # when
    problems = graphiql_assets.check_committed(tmp_path)

    # then
    assert problems == [
        "graphiql/react-18.2.0/react.production.min.js: sha256 "
        "d7017ebcd65455e76e953d5b42fa96c3df28c7c3b616c7f069ed930fb4fae5fd, recorded "
        "4b4969fa4ef3594324da2c6d78ce8766fbbc2fd121fff395aedf997db0a99a06",
        "graphiql/graphiql-3.8.3/LICENSE: missing",
        "graphiql/graphiql-3.8.3/graphiql.min.js.map: not recorded",
    ]


def test_collectstatic_keeps_the_vendored_files_without_their_source_maps(settings, tmp_path):
    # given the production storage (hashed names, compressed copies)
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

    # when: a reference to a missing map would make it fail
    call_command("collectstatic", "--noinput", verbosity=0)

    # then
    collected = {p.relative_to(tmp_path).as_posix() for p in (tmp_path / "graphiql").rglob("*")}
    for path in [*GRAPHIQL_ASSETS.values(), "graphiql/page.js"]:
        stem, _, ext = path.rpartition(".")
        assert path in collected
        assert any(
            re.fullmatch(rf"{re.escape(stem)}\.[0-9a-f]{{12}}\.{ext}\.gz", c) for c in collected
        )
