"""The data collections an integration declares, and checking a collection choice against them.

With no connector behind an integration, an admin declares its collections (key, name and a
JSON Schema for the parameters) so that a data source or instance naming a collection that
does not exist, or parameters it does not take, is a 400 instead of a silent misconfiguration.
An integration that declares none accepts any collection.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import re2
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from jsonschema.validators import extend, validator_for
from referencing.exceptions import Unresolvable
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datalinks.core.errors import NotFound, ValidationFailed
from datalinks.models import DataCollection, new_id

# Issues past this many add nothing a caller can act on before fixing the first ones.
MAX_ISSUES = 20

# Schema patterns are an admin's input but run on every data-source write. Python's `re`
# backtracks, so `(a+)+$` against a short string would hold the event loop for minutes; RE2
# matches in linear time. Patterns RE2 cannot run (backreferences, lookaround) are refused
# when the collection is declared, and so is `patternProperties`, whose keys jsonschema
# matches with `re` in several places this module cannot replace.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> Any:
    return re2.compile(pattern, _RE2_OPTIONS)


def _pattern(validator: Any, pattern: str, instance: Any, _: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _linear_patterns(schema: Any, where: str = "parametersSchema") -> None:
    """400 for a pattern RE2 cannot run or a patternProperties, anywhere in the schema."""
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            _linear_patterns(item, f"{where}.{index}")
        return
    if not isinstance(schema, dict):
        return
    for name, value in schema.items():
        if name == "patternProperties" and isinstance(value, dict):
            raise ValidationFailed.field(
                f"{where}.patternProperties",
                "is not supported; use properties, or propertyNames with a pattern",
            )
        if name == "pattern" and isinstance(value, str):
            try:
                _regex(value)
            except re2.error:
                raise ValidationFailed.field(
                    f"{where}.pattern",
                    "uses regex features that cannot be matched in linear time "
                    "(backreferences, lookaround)",
                ) from None
        _linear_patterns(value, f"{where}.{name}")


def _validator_class(schema: dict[str, Any]) -> type[Validator]:
    dialect = schema.get("$schema")
    if dialect is not None and not isinstance(dialect, str):
        raise ValidationFailed.field("parametersSchema", "$schema must be a string")
    cls: type[Validator] = validator_for(schema, default=Draft202012Validator)
    return _linear(cls)


@lru_cache(maxsize=16)
def _linear(cls: type[Validator]) -> type[Validator]:
    extended: type[Validator] = extend(cls, {"pattern": _pattern})  # type: ignore[no-untyped-call]
    return extended


def check_schema(schema: dict[str, Any]) -> None:
    """400 unless `schema` is a valid JSON Schema (draft taken from `$schema`, else 2020-12)
    whose references resolve, at least for an empty parameter object."""
    cls = _validator_class(schema)
    _linear_patterns(schema)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(part) for part in exc.absolute_path)
        detail = f" at {where}" if where else ""
        raise ValidationFailed.field(
            "parametersSchema", f"is not a valid JSON Schema{detail}: {exc.message}"
        ) from None
    parameter_issues(schema, {}, field="parametersSchema")


def _issue(error: ValidationError, field: str) -> dict[str, str]:
    parts = [str(part) for part in error.absolute_path]
    if error.validator == "required" and isinstance(error.validator_value, list):
        # A missing property is reported on its parent; name the property itself.
        present = error.instance if isinstance(error.instance, dict) else {}
        missing = [name for name in error.validator_value if name not in present]
        if missing:
            parts.append(str(missing[0]))
    return {"path": ".".join([field, *parts]), "message": error.message}


def parameter_issues(
    schema: dict[str, Any], parameters: Any, field: str = "collectionParameters"
) -> list[dict[str, str]]:
    # Stored schemas were checked when declared; checking again costs little and keeps a
    # schema written some other way from running a backtracking pattern.
    _linear_patterns(schema, field)
    validator = _validator_class(schema)(schema)
    try:
        errors: Sequence[ValidationError] = sorted(
            validator.iter_errors(parameters), key=lambda e: [str(p) for p in e.absolute_path]
        )
    except Unresolvable as exc:
        raise ValidationFailed.field(
            field, f"the collection's parametersSchema has a $ref that cannot be resolved: {exc}"
        ) from None
    except RecursionError:
        # A $ref cycle that consumes no input never ends; refuse it instead of failing.
        raise ValidationFailed.field(
            field, "the collection's parametersSchema has a $ref cycle that never ends"
        ) from None
    return [_issue(error, field) for error in errors[:MAX_ISSUES]]


class DataCollectionRepository:
    """The only place that builds SQL for `data_collections`; the caller checks the
    integration is in its workspace before asking."""

    def __init__(self, session: AsyncSession, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    async def all_for(self, integration_id: str) -> list[DataCollection]:
        stmt = (
            select(DataCollection)
            .where(
                DataCollection.workspace_id == self.workspace_id,
                DataCollection.integration_id == integration_id,
            )
            .order_by(DataCollection.key)
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def find(self, integration_id: str, key: str) -> DataCollection | None:
        stmt = select(DataCollection).where(
            DataCollection.workspace_id == self.workspace_id,
            DataCollection.integration_id == integration_id,
            DataCollection.key == key,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get(self, integration_id: str, key: str) -> DataCollection:
        found = await self.find(integration_id, key)
        if found is None:
            raise NotFound(f"Data collection {key!r} not found")
        return found

    async def put(
        self, integration_id: str, key: str, name: str, parameters_schema: dict[str, Any] | None
    ) -> DataCollection:
        """Declare or replace a collection in one statement, so two admins racing to declare
        the same key leave one row."""
        if parameters_schema is not None:
            check_schema(parameters_schema)
        stmt = (
            insert(DataCollection)
            .values(
                id=new_id(),
                workspace_id=self.workspace_id,
                integration_id=integration_id,
                key=key,
                name=name,
                parameters_schema=parameters_schema,
            )
            .on_conflict_do_update(
                index_elements=[DataCollection.integration_id, DataCollection.key],
                set_={
                    "name": name,
                    "parameters_schema": parameters_schema,
                    "updated_at": func.now(),
                },
            )
            .returning(DataCollection)
        )
        result = await self.session.execute(
            select(DataCollection).from_statement(stmt),
            execution_options={"populate_existing": True},
        )
        row: DataCollection = result.scalar_one()
        return row

    async def delete(self, integration_id: str, key: str) -> None:
        stmt = delete(DataCollection).where(
            DataCollection.workspace_id == self.workspace_id,
            DataCollection.integration_id == integration_id,
            DataCollection.key == key,
        )
        result: Any = await self.session.execute(stmt)
        if not result.rowcount:
            raise NotFound(f"Data collection {key!r} not found")

    async def check_choice(
        self,
        integration_id: str | None,
        collection_key: str | None,
        parameters: dict[str, Any] | None,
    ) -> None:
        """400 when the integration declares collections and the choice does not fit them."""
        if integration_id is None or collection_key is None:
            return
        declared = await self.all_for(integration_id)
        if not declared:
            return
        chosen = next((c for c in declared if c.key == collection_key), None)
        if chosen is None:
            known = ", ".join(c.key for c in declared[:MAX_ISSUES])
            raise ValidationFailed.field(
                "collectionKey",
                f"the integration has no collection {collection_key!r} (it has: {known})",
            )
        if chosen.parameters_schema is None:
            return
        issues = parameter_issues(chosen.parameters_schema, parameters or {})
        if issues:
            raise ValidationFailed(issues)
