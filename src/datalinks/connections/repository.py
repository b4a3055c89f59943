from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import QueryParams

from datalinks.core.auth import Principal
from datalinks.core.errors import BadRequest, NotFound, ValidationFailed
from datalinks.core.pagination import PageParams
from datalinks.core.repository import ElementRepository, TextColumn
from datalinks.core.selectors import ConnectionSelector
from datalinks.customers.repository import CustomerRepository
from datalinks.models import Connection, Customer, Integration, new_id


@dataclass(frozen=True)
class ConnectionFilters:
    search: str | None = None
    include_archived: bool = False
    integration_id: str | None = None
    integration_key: str | None = None
    user: str | None = None
    is_test: bool | None = None
    disconnected: bool = False


def owner_named(params: QueryParams) -> str | None:
    """The customer an admin's request names in its query (`userId`, or `tenantId`)."""
    return params.get("userId") or params.get("tenantId") or None


class ConnectionRepository(ElementRepository[Connection]):
    model = Connection
    noun = "Connection"

    def __init__(
        self, session: AsyncSession, principal: Principal, owner: str | None = None
    ) -> None:
        """`owner`: the customer (id or internalId) an admin's request names with `userId` or
        `tenantId`, for a `{conn}` in its path that is not a connection id."""
        super().__init__(session, principal)
        self.owner = owner

    def scoped(self) -> Select[Connection]:
        stmt = super().scoped()
        if self.principal.customer_id is not None:
            stmt = stmt.where(Connection.customer_id == self.principal.customer_id)
        return stmt

    def search_columns(self) -> tuple[TextColumn, ...]:
        return (Connection.name, Connection.key)

    def key_column(self) -> TextColumn:
        return Connection.key

    def conflict_message(self) -> str:
        return "This customer already has a live connection with this key"

    async def customer_id_for(self, user: str, *, writing: bool = False) -> str:
        """An admin names a customer by id or internalId; a customer token is itself.

        `writing`: the customer is about to own something new, which an archived one may not."""
        if self.principal.customer_id is not None:
            return self.principal.customer_id
        found = await self.session.execute(
            select(Customer.id, Customer.archived_at)
            .where(
                Customer.workspace_id == self.principal.workspace_id,
                or_(
                    Customer.id == user,
                    (Customer.internal_id == user) & Customer.archived_at.is_(None),
                ),
            )
            .order_by(case((Customer.id == user, 0), else_=1))
            .limit(1)
        )
        customer = found.first()
        if customer is None:
            raise NotFound(f"Customer {user!r} not found")
        if writing and customer.archived_at is not None:
            raise BadRequest("The customer is archived; restore it before giving it connections")
        return str(customer.id)

    async def list_connections(
        self, filters: ConnectionFilters, params: PageParams
    ) -> tuple[list[Connection], str | None]:
        if filters.disconnected:
            return [], None
        stmt = self.listing(search=filters.search, include_archived=filters.include_archived)
        if filters.integration_id:
            stmt = stmt.where(Connection.integration_id == filters.integration_id)
        if filters.integration_key:
            stmt = stmt.join(Integration, Integration.id == Connection.integration_id).where(
                Integration.key == filters.integration_key, Integration.archived_at.is_(None)
            )
        if filters.is_test is not None:
            stmt = stmt.where(Connection.is_test.is_(filters.is_test))
        if filters.user:
            owner = await self.owner_filter(filters.user)
            if owner is None:
                return [], None
            stmt = stmt.where(Connection.customer_id == owner)
        return await self.page(stmt, params)

    async def owner_filter(self, user: str) -> str | None:
        """A list's `userId`/`tenantId` filter, resolved within the caller's scope: a customer
        naming anyone but itself, or an admin naming nobody, matches nothing (None), since a
        list is not a lookup that can miss."""
        owner = await CustomerRepository(self.session, self.principal).find_by_id_or_key(user)
        return owner.id if owner is not None else None

    async def integration_for(self, integration_id: str | None, key: str | None) -> Integration:
        selector = integration_id or key
        if not selector:
            raise ValidationFailed.field(
                "integrationId", "integrationId or integrationKey is required"
            )
        column = Integration.id if integration_id else Integration.key
        stmt = select(Integration).where(
            Integration.workspace_id == self.principal.workspace_id, column == selector
        )
        if not integration_id:
            stmt = stmt.where(Integration.archived_at.is_(None))
        integration = (await self.session.execute(stmt)).scalar_one_or_none()
        if integration is None:
            raise NotFound(f"Integration {selector!r} not found")
        if integration.archived_at is not None:
            raise BadRequest("The integration is archived")
        return integration

    async def create(self, values: dict[str, Any]) -> Connection:
        integration = await self.integration_for(
            values.pop("integration_id", None), values.pop("integration_key", None)
        )
        user = values.pop("user_id", None) or values.pop("tenant_id", None)
        values.pop("tenant_id", None)
        if self.principal.customer_id is None and not user:
            raise ValidationFailed.field("userId", "an admin token must name the owner (userId)")
        customer_id = await self.customer_id_for(user or "", writing=True)
        connection = Connection(
            id=new_id(),
            workspace_id=self.principal.workspace_id,
            customer_id=customer_id,
            integration_id=integration.id,
            name=values.pop("name", None) or integration.name,
            **values,
        )
        return await self.add(connection)

    async def get(self, selector: str, stmt: Select[Connection] | None = None) -> Connection:
        """`{conn}` in a path: the id; else the connection key, then an integration id or key
        with exactly one live connection: the caller's own, or for an admin the workspace's
        (that customer's, with `userId`/`tenantId`)."""
        base = stmt if stmt is not None else self.scoped()
        by_id = (
            await self.session.execute(base.where(Connection.id == selector))
        ).scalar_one_or_none()
        if by_id is not None:
            return by_id
        live = self.live(base)
        if self.owner and self.principal.customer_id is None:
            live = live.where(Connection.customer_id == await self.customer_id_for(self.owner))
        by_key = (await self.session.execute(live.where(Connection.key == selector).limit(2))).all()
        if len(by_key) == 1:
            return by_key[0][0]
        if len(by_key) > 1:
            raise BadRequest(self._ambiguous(selector, self.owner))
        integration_ids = select(Integration.id).where(
            Integration.workspace_id == self.principal.workspace_id,
            or_(
                Integration.id == selector,
                (Integration.key == selector) & Integration.archived_at.is_(None),
            ),
        )
        return await self.only_live_connection(
            live.where(Connection.integration_id.in_(integration_ids)), selector, self.owner
        )

    async def only_live_connection(
        self, stmt: Select[Connection], what: str, owner: str | None
    ) -> Connection:
        found = (await self.session.execute(stmt.limit(2))).scalars().all()
        if not found:
            raise NotFound(f"Connection {what!r} not found")
        if len(found) > 1:
            raise BadRequest(self._ambiguous(what, owner))
        return found[0]

    def _ambiguous(self, what: str, owner: str | None) -> str:
        if self.principal.customer_id is None and not owner:
            return (
                f"Several live connections of the workspace match {what!r}; add userId (or "
                "tenantId) naming the customer, or name the connection by id"
            )
        return f"Several live connections match {what!r}; name the connection by id or key"

    async def for_selector(self, selector: ConnectionSelector) -> Connection:
        """The live connection an instance selector names; an archived one cannot be used."""
        stmt = self.scoped()
        if selector.user and self.principal.customer_id is None:
            stmt = stmt.where(Connection.customer_id == await self.customer_id_for(selector.user))
        if selector.connection_id:
            found = (
                await self.session.execute(stmt.where(Connection.id == selector.connection_id))
            ).scalar_one_or_none()
            if found is None:
                raise NotFound(f"Connection {selector.connection_id!r} not found")
            if found.archived_at is not None:
                raise BadRequest("The connection is archived; restore it to use it")
            return found
        stmt = self.live(stmt)
        if selector.connection_key:
            return await self.only_live_connection(
                stmt.where(Connection.key == selector.connection_key),
                selector.connection_key,
                selector.user,
            )
        integration = await self.integration_for(selector.integration_id, selector.integration_key)
        return await self.only_live_connection(
            stmt.where(Connection.integration_id == integration.id), integration.key, selector.user
        )
