"""Case 7b: the admin as staff holding exactly one permission of the apps, and as staff with
none, against the real server: signed in through the login form (session and CSRF), every admin
page reachable by links, and on every changelist an undeclared lookup on a hidden or unlisted
field. Each forbidden lookup must answer 400 (or 403 without access to the list), no page of a
model outside the permission may open (nor a dashboard whose permissions it does not hold), no
page may show a student's email, a key hash or a
password hash, and nothing answers 5xx."""

from __future__ import annotations

import re
import secrets

from reliability.cases.deploy import crawl_admin
from reliability.suite import APPS, Result, Suite

MODEL_PAGE = re.compile(r"^/admin/(\w+)/(\w+)/")
DASHBOARD_PAGE = re.compile(r"^/admin/dashboards/([\w-]+)/")
# One undeclared lookup per model: the hidden fields where there are some.
HIDDEN_LOOKUPS = {
    ("students", "student"): "email__startswith=a",
    ("chat", "apikey"): "key_hash__startswith=a",
}


def _staff(
    suite: Suite, password: str
) -> tuple[list[tuple[str, str | None]], dict, list[str], dict[str, set[str]]]:
    """(username, 'app.model.action' or None) per staff user, the forbidden lookup URL per
    model, the values no admin page may show, and each dashboard's permissions."""
    with suite.orm():
        from django.contrib import admin
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Permission

        from chat.models import ApiKey
        from config.dashboards import DASHBOARDS
        from students.models import Student

        users = []
        model = get_user_model()
        staff = model.objects.create_user("admin-none", password=password, is_staff=True)
        users.append((staff.username, None))
        for perm in Permission.objects.filter(content_type__app_label__in=APPS).select_related(
            "content_type"
        ):
            user = model.objects.create_user(
                f"admin-{perm.codename}"[:150], password=password, is_staff=True
            )
            user.user_permissions.set([perm])
            app, name = perm.content_type.app_label, perm.content_type.model
            users.append((user.username, f"{app}.{name}.{perm.codename}"))
        lookups = {}
        for registered in admin.site._registry:
            key = (registered._meta.app_label, registered._meta.model_name)
            if key[0] not in APPS:
                continue
            field = next(f.name for f in registered._meta.concrete_fields if not f.is_relation)
            query = HIDDEN_LOOKUPS.get(key, f"{field}__regex=.")
            lookups[key] = f"/admin/{key[0]}/{key[1]}/?{query}"
        hidden = [e for e in Student.objects.values_list("email", flat=True) if e]
        hidden += list(ApiKey.objects.values_list("key_hash", flat=True))
        hidden += [p for p in model.objects.values_list("password", flat=True) if len(p) > 20]
        boards = {board.slug: set(board.permissions) for board in DASHBOARDS}
    return users, lookups, hidden, boards


def run(suite: Suite, *, name: str) -> list[Result]:
    password = secrets.token_urlsafe(18)
    users, lookups, hidden, boards = _staff(suite, password)
    details: list[str] = []
    pages_read = refused = 0
    with suite.server() as (_server, client):
        for username, grant in users:
            app, model, codename = grant.split(".") if grant else (None, None, "")
            viewer = codename in (f"view_{model}", f"change_{model}")
            first = list(lookups.values())
            pages, problems = crawl_admin(client, username, password, first)
            if len(pages) <= 2 and pages[0].status == 0:  # the login page timed out: once more
                pages, problems = crawl_admin(client, username, password, first)
            details += [f"{username}: {p}" for p in problems]
            pages_read += len(pages)
            for (key, path), response in zip(
                lookups.items(), pages[1 : 1 + len(first)], strict=False
            ):
                expected = 400 if viewer and key == (app, model) else 403
                if response.status != expected:
                    details.append(f"{username}: {path} answered {response.status}, not {expected}")
                else:
                    refused += 1
            held = {f"{app}.{codename}"} if grant else set()
            for response in pages:
                path = response.path
                board = DASHBOARD_PAGE.match(path)
                match = MODEL_PAGE.match(path)
                if board:  # a dashboard opens with all of its permissions
                    outside = not boards.get(board.group(1), {""}) <= held
                else:
                    outside = match is not None and match.groups() != (app, model)
                if response.status == 200 and outside:
                    details.append(f"{username}: {path} opened outside the permission")
                if any(value in response.text for value in hidden):
                    details.append(f"{username}: {path} shows a hidden value")
    expected_refusals = len(users) * len(lookups)
    ok = not details and refused == expected_refusals
    figure = (
        f"{len(users)} staff users (one permission each, and none), {pages_read} admin pages "
        f"read, {refused}/{expected_refusals} forbidden lookups refused, "
        f"{len(details)} violations"
    )
    return [Result(name, ok, figure, details[:10])]
