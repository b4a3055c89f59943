from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from datalinks.core.auth import PrincipalDep
from datalinks.core.element_routes import UPDATE_PATCH_DELETE, add_element_routes
from datalinks.core.errors import NotFound, ValidationFailed
from datalinks.core.openapi_components import errors
from datalinks.core.pagination import PageDep
from datalinks.core.parameters import IncludeArchived, QueryBool, QueryFields, Search, only
from datalinks.core.query import parse_bool
from datalinks.core.routing import ApiRouter
from datalinks.core.schemas import change_set
from datalinks.customers import schemas
from datalinks.customers.repository import CustomerRepository
from datalinks.db.session import SessionDep
from datalinks.models import Customer

router = ApiRouter(tags=["Customers"])
REQUIRED = frozenset({"name", "internal_id", "is_test"})


async def repository(session: SessionDep, principal: PrincipalDep) -> CustomerRepository:
    return CustomerRepository(session, principal)


RepoDep = Annotated[CustomerRepository, Depends(repository, scope="function")]


class CustomerListQuery(QueryFields):
    search: Search = None
    is_test: Annotated[QueryBool, only("isTest")] = None
    is_active: Annotated[QueryBool, only("isActive")] = None
    include_archived: IncludeArchived = None


@router.get("/customers", operation_id="listCustomers", response_model=schemas.CustomerPage)
async def list_customers(
    repo: RepoDep, query: Annotated[CustomerListQuery, Query()], page: PageDep
) -> dict[str, Any]:
    items, cursor = await repo.list_customers(
        page,
        search=query.search,
        is_test=parse_bool("isTest", query.is_test),
        is_active=parse_bool("isActive", query.is_active),
        include_archived=bool(parse_bool("includeArchived", query.include_archived)),
    )
    return {"items": items, "cursor": cursor}


@router.post(
    "/customers",
    operation_id="createCustomer",
    response_model=schemas.Customer,
    responses=errors(403),
)
async def create_customer(body: schemas.CustomerWrite, repo: RepoDep) -> Customer:
    repo.principal.require_admin()
    if not body.name and not body.internal_id:
        raise ValidationFailed.field("name", "name or internalId is required")
    return await repo.create(body.model_dump(exclude_none=True))


@router.get(
    "/customer", operation_id="findCustomer", response_model=schemas.Customer, responses=errors(404)
)
async def find_customer(
    repo: RepoDep,
    id: str | None = None,
    internal_id: Annotated[str | None, Query(alias="internalId")] = None,
) -> Customer:
    if id:
        return await repo.get(id)
    if not internal_id:
        raise ValidationFailed.field("id", "id or internalId is required")
    return await repo.get_by_key(internal_id)


async def _own_customer(repo: CustomerRepository) -> Customer:
    if repo.principal.customer_id is None:
        raise NotFound("An admin token has no customer of its own")
    return await repo.get(repo.principal.customer_id)


# A customer may read and change itself: no admin token needed.
OWN: dict[str, Any] = {"response_model": schemas.Customer, "responses": errors(404)}


@router.get("/self", operation_id="getSelf", summary="Get the token's own customer", **OWN)
async def get_self(repo: RepoDep) -> Customer:
    return await _own_customer(repo)


@router.patch("/self", operation_id="updateSelf", summary="Update the token's own customer", **OWN)
async def patch_self(body: schemas.CustomerWrite, repo: RepoDep) -> Customer:
    customer = await _own_customer(repo)
    changes = change_set(body, replace=False, keep=REQUIRED)
    # A customer may rename itself but not re-key the identity its tokens carry.
    changes.pop("internal_id", None)
    return await repo.save(customer, changes)


add_element_routes(
    router,
    path="/customers",
    name="Customer",
    repo_dep=RepoDep,
    write_model=schemas.CustomerWrite,
    out_model=schemas.Customer,
    keep=REQUIRED,
    verbs=UPDATE_PATCH_DELETE,
)
