"""Bearer JWT -> Principal, exactly as Membrane's SDK signs tokens (HS256, workspace secret)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datalinks.core.cache import TtlCache
from datalinks.core.errors import AccessDenied, NotAuthenticated
from datalinks.core.rate_limit import RateLimiter
from datalinks.db.session import SessionDep
from datalinks.models import Customer, Workspace, new_id
from datalinks.models.base import KEY_MAX, NAME_MAX

MAX_TOKEN_LENGTH = 8192
# Workspace secrets change only by an operator's hand; a short cache keeps one query off every
# request while a rotated secret still takes effect within seconds on every replica.
SECRET_CACHE_SECONDS = 30.0
# A customer's row id behind its token's `id`, so a request need not look it up. Archiving or
# re-keying a customer forgets it here at once; other replicas notice within this many seconds.
CUSTOMER_CACHE_SECONDS = 30.0
customer_ids: TtlCache[tuple[str, str], str] = TtlCache(CUSTOMER_CACHE_SECONDS)
# Claims of a token whose signature was verified, keyed by the exact token text (so a token
# that differs by one byte is verified afresh). Clients send the same token on every request
# for its lifetime; verifying it again each time was ~6% of a link request's CPU. Entries live
# no longer than the secret cache, so a rotated secret stops old tokens just as soon, and a
# token is never honoured past its `exp`.
verified_tokens: TtlCache[str, tuple[str, dict[str, Any]]] = TtlCache(
    SECRET_CACHE_SECONDS, max_entries=10_000
)
# One message for every failure: which check failed is nobody's business but the logs'.
INVALID_TOKEN = "Invalid or expired access token"


@dataclass(frozen=True, slots=True)
class Principal:
    workspace_id: str
    customer_id: str | None
    is_admin: bool

    def require_admin(self) -> None:
        if not self.is_admin:
            raise AccessDenied("This operation needs a workspace admin token")


class SecretCache:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, str, str]] = {}

    async def lookup(self, session: AsyncSession, key: str) -> tuple[str, str] | None:
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit and hit[0] > now:
            return hit[1], hit[2]
        row = (
            await session.execute(
                select(Workspace.id, Workspace.secret).where(Workspace.key == key)
            )
        ).first()
        if row is None:
            self._entries.pop(key, None)
            return None
        self._entries[key] = (now + SECRET_CACHE_SECONDS, row.id, row.secret)
        return row.id, row.secret

    def clear(self) -> None:
        self._entries.clear()


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("Missing bearer access token")
    if len(token) > MAX_TOKEN_LENGTH:
        raise NotAuthenticated(INVALID_TOKEN)
    return token


def _claims(token: str, secret: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            # Compared by PyJWT with hmac.compare_digest (constant time).
            key=secret,
            algorithms=["HS256"],
            options={"require": ["exp"], "verify_aud": False},
        )
    except jwt.PyJWTError as exc:
        raise NotAuthenticated(INVALID_TOKEN) from exc
    return claims


def _issuer(token: str) -> str:
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise NotAuthenticated(INVALID_TOKEN) from exc
    if header.get("alg") != "HS256":
        raise NotAuthenticated(INVALID_TOKEN)
    issuer = unverified.get("iss")
    # A NUL would reach PostgreSQL, which refuses it in text: that is a bad token, not a 500.
    if not isinstance(issuer, str) or not issuer or len(issuer) > KEY_MAX or "\x00" in issuer:
        raise NotAuthenticated(INVALID_TOKEN)
    return issuer


def _customer_claims(claims: dict[str, Any]) -> tuple[str, str | None]:
    raw_id = claims.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise NotAuthenticated(INVALID_TOKEN)
    internal_id = str(raw_id)
    if not internal_id or len(internal_id) > KEY_MAX or "\x00" in internal_id:
        raise NotAuthenticated(INVALID_TOKEN)
    name = claims.get("name")
    if not isinstance(name, str) or not name or len(name) > NAME_MAX or "\x00" in name:
        name = None
    return internal_id, name


def forget_customer(customer_id: str) -> None:
    customer_ids.forget_where(customer_id)


async def _resolve_customer(
    session: AsyncSession, workspace_id: str, internal_id: str, name: str | None, create: bool
) -> str:
    cached = customer_ids.get((workspace_id, internal_id))
    if cached is not None:
        return cached
    # An archive committed while we read would be undone by caching what we read.
    generation = customer_ids.generation
    customer_id = await _lookup_customer(session, workspace_id, internal_id, name, create)
    customer_ids.put_unless_forgotten((workspace_id, internal_id), customer_id, generation)
    return customer_id


async def _lookup_customer(
    session: AsyncSession, workspace_id: str, internal_id: str, name: str | None, create: bool
) -> str:
    live = (Customer.workspace_id == workspace_id) & (Customer.internal_id == internal_id)
    found = (
        await session.execute(
            select(Customer.id, Customer.archived_at)
            .where(live)
            .order_by(Customer.archived_at.desc().nulls_first())
            .limit(1)
        )
    ).first()
    if found is not None:
        if found.archived_at is not None:
            raise NotAuthenticated(INVALID_TOKEN)
        return str(found.id)
    if not create:
        raise NotAuthenticated(INVALID_TOKEN)
    # Two first requests of a new customer race here; the partial unique index picks one.
    stmt = (
        insert(Customer)
        .values(
            id=new_id(),
            workspace_id=workspace_id,
            internal_id=internal_id,
            name=name or internal_id,
        )
        .on_conflict_do_nothing(
            index_elements=[Customer.workspace_id, Customer.internal_id],
            index_where=Customer.archived_at.is_(None),
        )
        .returning(Customer.id)
    )
    created = (await session.execute(stmt)).scalar_one_or_none()
    if created is not None:
        # The token's customer exists from its first valid request on, even when that request
        # then fails (a 404, a 400) and rolls back; committing now also releases the unique
        # index entry that parallel first requests of this customer wait on.
        await session.commit()
        return str(created)
    winner = await session.execute(select(Customer.id).where(live, Customer.archived_at.is_(None)))
    return str(winner.scalar_one())


async def _verified(
    request: Request, session: AsyncSession, token: str
) -> tuple[str, dict[str, Any]]:
    """(workspace id, claims) of a token whose signature and times check out."""
    hit = verified_tokens.get(token)
    if hit is not None and hit[1]["exp"] > time.time():
        return hit
    issuer = _issuer(token)
    cache: SecretCache = request.app.state.secret_cache
    found = await cache.lookup(session, issuer)
    if found is None:
        raise NotAuthenticated(INVALID_TOKEN)
    workspace_id, secret = found
    claims = _claims(token, secret)
    if isinstance(claims["exp"], int | float):
        verified_tokens.put(token, (workspace_id, claims))
    return workspace_id, claims


def _rate_limit(request: Request, caller: tuple[str, str | None]) -> None:
    # Before the customer lookup, so a limited caller costs no query.
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is not None:
        limiter.check(caller)


async def authenticate(request: Request, session: SessionDep) -> Principal:
    token = bearer_token(request)
    workspace_id, claims = await _verified(request, session, token)
    if claims.get("isAdmin") is True:
        _rate_limit(request, (workspace_id, None))
        principal = Principal(workspace_id=workspace_id, customer_id=None, is_admin=True)
    else:
        internal_id, name = _customer_claims(claims)
        _rate_limit(request, (workspace_id, internal_id))
        customer_id = await _resolve_customer(
            session,
            workspace_id,
            internal_id,
            name,
            create=request.app.state.settings.auto_create_customers,
        )
        principal = Principal(workspace_id=workspace_id, customer_id=customer_id, is_admin=False)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate, scope="function")]


def mint_token(
    workspace_key: str,
    secret: str,
    *,
    customer_id: str | None = None,
    name: str | None = None,
    admin: bool = False,
    ttl_seconds: int = 3600,
) -> str:
    """A token exactly like Membrane's: what the CLI prints and the tests send."""
    now = int(time.time())
    claims: dict[str, Any] = {"iss": workspace_key, "iat": now, "exp": now + ttl_seconds}
    if admin:
        claims["isAdmin"] = True
    if customer_id is not None:
        claims["id"] = customer_id
    if name is not None:
        claims["name"] = name
    return jwt.encode(claims, secret, algorithm="HS256")
