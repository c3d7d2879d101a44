"""Table specs, the batch loop and the report of import_legacy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from config.legacy.source import Source, Unreadable
from config.models import LegacyImportMark
from config.scalars import EARLIEST, LATEST, RANGE_TEXT

BATCH_SIZE = 2000
# Integer keys are re-read from a little before the mark on the next run, so a row whose
# transaction committed after a later row's (serial ids are not commit-ordered) is not missed;
# the idempotent insert skips what is already there.
INTEGER_KEY_OVERLAP = 1000
INTEGER_TYPES = {"smallint", "integer", "bigint"}
# Times outside the service's DateTime input range (config.scalars) are refused per row.


class Refused(ValueError):
    """A legacy row this service does not take; the message says why."""


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass
class Context:
    """What the converters of one run need: the owner for ownerless rows, caches."""

    owner: object | None = None
    dry_run: bool = False
    since: datetime | None = None
    source: Source | None = None  # for converters that look a related legacy row up
    cache: dict = field(default_factory=dict)


@dataclass
class TableSpec:
    system: str
    table: str
    key: str
    columns: tuple[Column, ...]
    # convert(row, ctx) -> a target row (anything insert() takes); raises Refused.
    convert: Callable[[dict, Context], object]
    # insert(rows, ctx) -> {legacy key: "imported" | "present" | refusal reason}
    insert: Callable[[list[tuple[object, object]], Context], dict]
    integer_key: bool | None = True  # None: as the legacy key column's type says
    time_column: str | None = None  # for --since
    needs_owner: bool = False
    reread: bool = False  # a small table whose rows change: every run reads it all again
    # finish(ctx) after a run that imported rows or resumed a killed one (derived data, once
    # per table rather than per batch).
    finish: Callable[[Context], None] | None = None
    target: str = ""  # what it becomes, for the report and the docs


@dataclass
class TableReport:
    system: str
    table: str
    read: int = 0
    imported: int = 0
    present: int = 0
    refused: list[tuple[object, str]] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    problem: str = ""

    def lines(self) -> list[str]:
        head = f"{self.system} {self.table}: "
        if self.problem:
            return [head + self.problem]
        out = [
            head + f"read {self.read}, imported {self.imported}, already present {self.present}, "
            f"refused {len(self.refused)}"
        ]
        if self.unmapped:
            out.append(f"  columns found but not mapped: {', '.join(self.unmapped)}")
        out.extend(f"  refused {key!r}: {reason}" for key, reason in self.refused)
        return out


def resolve_columns(spec: TableSpec, found: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """{our name: the legacy column}, unmapped legacy columns; Refused when a required one lacks."""
    chosen, missing = {}, []
    for column in spec.columns:
        name = next((n for n in (column.name, *column.aliases) if n in found), None)
        if name is not None:
            chosen[column.name] = name
        elif column.required:
            missing.append(column.name)
    if missing:
        raise Refused(f"required column(s) missing: {', '.join(missing)}; nothing imported")
    unmapped = [name for name in found if name not in chosen.values()]
    return chosen, unmapped


def run_table(
    source: Source,
    spec: TableSpec,
    ctx: Context,
    *,
    batch_size: int = BATCH_SIZE,
    progress: bool = True,
) -> TableReport:
    """Import one legacy table in keyset batches; each batch and its mark commit together."""
    report = TableReport(spec.system, spec.table)
    found = source.columns(spec.table)
    if found is None:
        report.problem = f"no table {source.schema}.{spec.table}; skipped"
        return report
    try:
        chosen, report.unmapped = resolve_columns(spec, found)
    except Refused as exc:
        report.problem = str(exc)
        return report
    if spec.needs_owner and ctx.owner is None:
        report.problem = "its rows have no owner: give --owner USER; nothing imported"
        return report
    if spec.integer_key is None:
        spec = replace(spec, integer_key=found[found_key(spec, chosen)] in INTEGER_TYPES)
    mark, _ = LegacyImportMark.objects.get_or_create(system=spec.system, table=spec.table)
    resumed = mark.last_key is not None and mark.completed_at is None
    after = start_key(spec, mark)
    legacy_names = list(dict.fromkeys([found_key(spec, chosen), *chosen.values()]))
    bar = tqdm(
        total=source.count(spec.table, found_key(spec, chosen), after),
        desc=f"{spec.system} {spec.table}",
        unit="row",
        disable=not progress,
    )
    while True:
        legacy_rows = source.batch(
            spec.table, legacy_names, found_key(spec, chosen), after, batch_size
        )
        if not legacy_rows:
            break
        after = legacy_rows[-1][found_key(spec, chosen)]
        if not isinstance(after, int | str):
            after = str(after)  # a UUID: kept as text in the mark
        import_batch(spec, ctx, chosen, legacy_rows, report, after=after, mark=mark)
        bar.update(len(legacy_rows))
    bar.close()
    if spec.finish is not None and not ctx.dry_run and (report.imported or resumed):
        spec.finish(ctx)
    if not ctx.dry_run:
        mark.last_key = after if spec.integer_key else None
        mark.completed_at = timezone.now()
        mark.save()
    return report


def found_key(spec: TableSpec, chosen: dict[str, str]) -> str:
    return chosen.get(spec.key, spec.key)


def start_key(spec: TableSpec, mark: LegacyImportMark):
    if mark.last_key is None or (spec.reread and mark.completed_at is not None):
        return None
    if spec.integer_key and mark.completed_at is not None:
        return max(int(mark.last_key) - INTEGER_KEY_OVERLAP, 0)
    return mark.last_key


def import_batch(spec, ctx, chosen, legacy_rows, report, *, after, mark) -> None:
    report.read += len(legacy_rows)
    converted = []
    for legacy in legacy_rows:
        row = {ours: legacy[theirs] for ours, theirs in chosen.items()}
        key = legacy[found_key(spec, chosen)]
        if ctx.since is not None and spec.time_column:
            when = row.get(spec.time_column)
            if isinstance(when, datetime) and aware(when) < ctx.since:
                continue
        try:
            converted.append((key, spec.convert(row, ctx)))
        except Refused as exc:
            report.refused.append((key, str(exc)))
    with transaction.atomic():
        outcome = spec.insert(converted, ctx) if converted else {}
        if ctx.dry_run:
            transaction.set_rollback(True)
        else:
            mark.last_key = after
            mark.completed_at = None
            mark.save(update_fields=["last_key", "completed_at", "updated_at"])
    for key, result in outcome.items():
        if result == "imported":
            report.imported += 1
        elif result == "present":
            report.present += 1
        else:
            report.refused.append((key, result))


# Converters' helpers -------------------------------------------------------------------------


def aware(value: datetime) -> datetime:
    """Naive legacy times (TIMESTAMP columns) are taken as UTC."""
    return value.replace(tzinfo=UTC) if timezone.is_naive(value) else value


def legacy_time(row: dict, name: str, *, required: bool = False) -> datetime | None:
    value = row.get(name)
    if value is None:
        if required:
            raise Refused(f"{name}: is required")
        return None
    if isinstance(value, Unreadable):
        raise Refused(f"{name}: {value} is out of range (times must be {RANGE_TEXT})")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise Refused(f"{name}: {value!r} is not a date and time") from None
    if not isinstance(value, datetime):
        raise Refused(f"{name}: not a date and time")
    if not EARLIEST <= aware(value) < LATEST:
        raise Refused(f"{name}: {value.isoformat()} is out of range (times must be {RANGE_TEXT})")
    return aware(value)


def legacy_json(row: dict, name: str, *, default=None):
    """A JSON column (read as text); bad JSON is refused."""
    value = row.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        raise Refused(f"{name}: invalid JSON ({exc})") from None


def validation_reason(exc) -> str:
    """One line from a Django ValidationError: 'field: message; field: message'."""
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(m for e in errors for m in e.messages)}"
            for name, errors in exc.error_dict.items()
        )
    return "; ".join(exc.messages)


def clean_or_refuse(instance, **full_clean_options) -> None:
    """The model's own validation (`full_clean`); a failure refuses the row with its reason."""
    try:
        instance.full_clean(validate_unique=False, **full_clean_options)
    except ValidationError as exc:
        raise Refused(validation_reason(exc)) from None


def legacy_text(row: dict, name: str) -> str:
    """A text column; a number (an integer legacy code) as its digits; null as empty."""
    value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise Refused(f"{name}: {value!r} is not text")
    return value


def legacy_number(row: dict, name: str, *, required: bool = False) -> float | None:
    value = row.get(name)
    if value is None:
        if required:
            raise Refused(f"{name}: is required")
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise Refused(f"{name}: {value!r} is not a number") from None
    if result != result or result in (float("inf"), float("-inf")):
        raise Refused(f"{name}: {value!r} is not a finite number")
    return result


def legacy_choice(
    row: dict, name: str, choices: dict[str, str], *, default: str | None = None
) -> str:
    raw = row.get(name)
    if raw is None and default is not None:
        return default
    if isinstance(raw, str) and raw.strip().lower() in choices:
        return choices[raw.strip().lower()]
    raise Refused(f"{name}: {raw!r} is not one of {', '.join(sorted(choices))}")


def clean_field(model, name: str, value):
    """One field's own validation (`Field.clean`: its validators, length, range, choices);
    cheaper than `full_clean` for hot tables. A failure refuses the row."""
    try:
        return model._meta.get_field(name).clean(value, None)
    except ValidationError as exc:
        raise Refused(f"{name}: {' '.join(exc.messages)}") from None


def checked_values(instance, fields: Iterable[str], **full_clean_options) -> dict:
    """The model's own validation of a converted row (`clean_or_refuse`), then the values of
    `fields`: what the batch insert takes."""
    clean_or_refuse(instance, **full_clean_options)
    return {name: getattr(instance, name) for name in fields}


def results_from_returned(keys: Iterable[object], returned: set) -> dict:
    return {key: "imported" if key in returned else "present" for key in keys}
