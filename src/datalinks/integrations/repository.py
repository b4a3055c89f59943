from __future__ import annotations

from datalinks.core.repository import NamedElementRepository
from datalinks.models import Integration


class IntegrationRepository(NamedElementRepository[Integration]):
    model = Integration
    noun = "Integration"
