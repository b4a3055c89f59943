from __future__ import annotations

import uuid
from typing import Any

from datalinks.core.errors import ValidationFailed
from datalinks.core.repository import ElementRepository
from datalinks.core.schemas import slugify
from datalinks.models import Integration, new_id


def named_element_values(values: dict[str, Any]) -> dict[str, Any]:
    """`key` from `name` when absent and `name` from `key`; a fresh `uuid` unless one is given."""
    if not values.get("key") and not values.get("name"):
        raise ValidationFailed.field("name", "name or key is required")
    element_id = new_id()
    key = values.get("key") or slugify(values["name"]) or element_id
    return {
        **values,
        "id": element_id,
        "key": key,
        "name": values.get("name") or key,
        "uuid": values.get("uuid") or str(uuid.uuid4()),
    }


class IntegrationRepository(ElementRepository[Integration]):
    model = Integration
    noun = "Integration"

    async def create(self, values: dict[str, Any]) -> Integration:
        row = Integration(workspace_id=self.principal.workspace_id, **named_element_values(values))
        return await self.add(row)
