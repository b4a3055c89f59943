"""Bearer JWT -> Principal, as Membrane verifies tokens: HS256, HS384 or HS512 signed with the
workspace secret (Membrane's SDK mints HS256; its docs recommend HS512)."""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datalinks.core.cache import TtlCache
from datalinks.core.errors import AccessDenied, NotAuthenticated
from datalinks.core.guard import json_value_problem
from datalinks.core.rate_limit import RateLimiter
from datalinks.db.session import SessionDep
from datalinks.models import Customer, Workspace, new_id
from datalinks.models.base import KEY_MAX, NAME_MAX

# Only HMAC: the key is a shared secret, so an asymmetric `alg` (RS256 "verified" with the
# secret as a public key) or `none` can never be honoured.
ALGORITHMS = ("HS256", "HS384", "HS512")
# The largest `fields` claim a customer token may carry, measured as compact JSON.
MAX_FIELDS_BYTES = 65_536
# Room for a full `fields` claim in base64url (4/3 of it) and the other claims; well under the
# request head limit (DATALINKS_MAX_HEADER_BYTES, 128 KiB by default).
MAX_TOKEN_LENGTH = 98_304
# Workspace secrets change only by an operator's hand; a short cache keeps one query off every
# request while a rotated secret still takes effect within seconds on every replica.
SECRET_CACHE_SECONDS = 30.0
# A customer's row id behind its token's `id`, so a request need not look it up. Archiving or
# re-keying a customer forgets it here at once; other replicas notice within this many seconds.
CUSTOMER_CACHE_SECONDS = 30.0
customer_ids: TtlCache[tuple[str, str], str] = TtlCache(CUSTOMER_CACHE_SECONDS)
# The `fields` (canonical JSON) this replica last stored for a customer: a token whose `fields`
# differ from it updates the customer; one that matches costs no query.
stored_fields: TtlCache[tuple[str, str], str] = TtlCache(CUSTOMER_CACHE_SECONDS)
# One message for every failure: which check failed is nobody's business but the logs'.
INVALID_TOKEN = "Invalid or expired access token"
# The document's security scheme. It checks nothing (`auto_error=False`: its own answer to a
# missing header would be a 403 without the error shape); `authenticate` does, with a 401.
BEARER = HTTPBearer(
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    description="A JWT signed with the workspace secret (HS256, HS384 or HS512).",
    auto_error=False,
)


@dataclass(frozen=True, slots=True)
class Principal:
    workspace_id: str
    customer_id: str | None
    is_admin: bool

    def require_admin(self) -> None:
        if not self.is_admin:
            raise AccessDenied("This operation needs a workspace admin token")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a verified token names: an admin of the workspace, or one of its customers."""

    workspace_id: str
    expires_at: float
    is_admin: bool
    internal_id: str = ""
    name: str | None = None
    fields: dict[str, Any] | None = None
    # `fields` as canonical JSON, to compare with what was stored; None: the token has none.
    fields_json: str | None = None

    @property
    def customer_key(self) -> tuple[str, str]:
        return self.workspace_id, self.internal_id

    def fields_stored(self) -> bool:
        return self.fields_json is None or stored_fields.get(self.customer_key) == self.fields_json


# Tokens whose signature was verified, keyed by the exact token text (so a token that differs
# by one byte is verified afresh). Clients send the same token on every request for its
# lifetime; verifying it again each time was ~6% of a link request's CPU. Entries live no
# longer than the secret cache, so a rotated secret stops old tokens just as soon, and a token
# is never honoured past its `exp`.
verified_tokens: TtlCache[str, Caller] = TtlCache(SECRET_CACHE_SECONDS, max_entries=10_000)


class SecretCache:
    """Workspace key -> (workspace id, secret), for SECRET_CACHE_SECONDS."""

    def __init__(self) -> None:
        self._entries: TtlCache[str, tuple[str, str]] = TtlCache(SECRET_CACHE_SECONDS)

    async def lookup(self, session: AsyncSession, key: str) -> tuple[str, str] | None:
        hit = self._entries.get(key)
        if hit is not None:
            return hit
        row = (
            await session.execute(
                select(Workspace.id, Workspace.secret).where(Workspace.key == key)
            )
        ).first()
        if row is None:
            return None
        self._entries.put(key, (row.id, row.secret))
        return row.id, row.secret

    def clear(self) -> None:
        self._entries.clear()


def bearer_token(request: Request) -> str:
    token = bearer_from_header(request.headers.get("authorization", ""))
    if not token:
        raise NotAuthenticated("Missing bearer access token")
    if len(token) > MAX_TOKEN_LENGTH:
        raise NotAuthenticated(INVALID_TOKEN)
    return token


def bearer_from_header(header: str) -> str:
    """The token of an `Authorization: Bearer …` header ("" when there is none)."""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _signed_claims(token: str, secret: str, algorithm: str) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            # A secret shorter than the hash (an operator's own, or one made before secrets
            # had 64 bytes) still verifies; the warning would only repeat in every log.
            warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
            claims: dict[str, Any] = jwt.decode(
                token,
                # Compared by PyJWT with hmac.compare_digest (constant time).
                key=secret,
                algorithms=[algorithm],
                options={"require": ["exp"], "verify_aud": False},
            )
    except (jwt.PyJWTError, ValueError, RecursionError) as exc:
        raise NotAuthenticated(INVALID_TOKEN) from exc
    return claims


def _unverified(token: str) -> tuple[str, str]:
    """(issuer, algorithm) of a token, read before its signature can be checked."""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    # A payload nested deep enough overflows the JSON parser: still only a bad token.
    except (jwt.PyJWTError, ValueError, RecursionError) as exc:
        raise NotAuthenticated(INVALID_TOKEN) from exc
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise NotAuthenticated(INVALID_TOKEN)
    issuer = unverified.get("iss")
    # A NUL would reach PostgreSQL, which refuses it in text: that is a bad token, not a 500.
    if not isinstance(issuer, str) or not issuer or len(issuer) > KEY_MAX or "\x00" in issuer:
        raise NotAuthenticated(INVALID_TOKEN)
    return issuer, str(algorithm)


def _caller(workspace_id: str, claims: dict[str, Any], max_json_depth: int) -> Caller:
    expires_at = float(claims["exp"])
    # Only JSON `true`: a customer token with `"isAdmin": 1` or `"yes"` stays a customer's.
    if claims.get("isAdmin") is True:
        return Caller(workspace_id, expires_at, is_admin=True)
    raw_id = claims.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise NotAuthenticated(INVALID_TOKEN)
    internal_id = str(raw_id)
    if not internal_id or len(internal_id) > KEY_MAX or "\x00" in internal_id:
        raise NotAuthenticated(INVALID_TOKEN)
    name = claims.get("name")
    if not isinstance(name, str) or not name or len(name) > NAME_MAX or "\x00" in name:
        name = None
    fields, fields_json = _fields(claims.get("fields"), max_json_depth)
    return Caller(workspace_id, expires_at, False, internal_id, name, fields, fields_json)


def _fields(raw: Any, max_json_depth: int) -> tuple[dict[str, Any] | None, str | None]:
    """A token's `fields` claim and its canonical JSON; the signature is already checked, so
    the caller may hear exactly what is wrong with it."""
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        raise NotAuthenticated("The token's `fields` claim must be a JSON object")
    problem = json_value_problem(raw, max_json_depth)
    if problem:
        raise NotAuthenticated(f"The token's `fields` claim cannot be stored: {problem}")
    text = canonical_json(raw)
    size = len(text.encode())
    if size > MAX_FIELDS_BYTES:
        raise NotAuthenticated(
            f"The token's `fields` claim is {size} bytes as JSON; at most {MAX_FIELDS_BYTES} "
            "are accepted"
        )
    return raw, text


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def forget_customer(customer_id: str) -> None:
    customer_ids.forget_where(customer_id)


async def _resolve_customer(session: AsyncSession, caller: Caller, create: bool) -> str:
    cached = customer_ids.get(caller.customer_key)
    if cached is not None and caller.fields_stored():
        return cached
    # An archive committed while we read would be undone by caching what we read.
    generation = customer_ids.generation
    customer_id = await _lookup_customer(session, caller, create)
    customer_ids.put_unless_forgotten(caller.customer_key, customer_id, generation)
    if caller.fields_json is not None:
        stored_fields.put(caller.customer_key, caller.fields_json)
    return customer_id


async def _lookup_customer(session: AsyncSession, caller: Caller, create: bool) -> str:
    live = (Customer.workspace_id == caller.workspace_id) & (
        Customer.internal_id == caller.internal_id
    )
    found = (
        await session.execute(
            select(Customer.id, Customer.archived_at, Customer.fields)
            .where(live)
            .order_by(Customer.archived_at.desc().nulls_first())
            .limit(1)
        )
    ).first()
    if found is not None:
        if found.archived_at is not None:
            raise NotAuthenticated(INVALID_TOKEN)
        if caller.fields_json is not None and canonical_json(found.fields) != caller.fields_json:
            await session.execute(
                update(Customer)
                .where(Customer.id == found.id)
                .values(fields=caller.fields, updated_at=func.now())
            )
            # Like a creation below: the token's fields hold from its first valid request on.
            await session.commit()
        return str(found.id)
    if not create:
        raise NotAuthenticated(INVALID_TOKEN)
    # Two first requests of a new customer race here; the partial unique index picks one.
    stmt = (
        insert(Customer)
        .values(
            id=new_id(),
            workspace_id=caller.workspace_id,
            internal_id=caller.internal_id,
            name=caller.name or caller.internal_id,
            fields=caller.fields,
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


def cached_caller(token: str) -> Caller | None:
    """The caller of a token verified within the cache window and not yet expired."""
    hit = verified_tokens.get(token) if token else None
    if hit is None or hit.expires_at <= time.time():
        return None
    return hit


def cached_principal(token: str) -> Principal | None:
    """A request's principal from the caches alone (None: the regular path must look)."""
    caller = cached_caller(token)
    if caller is None:
        return None
    if caller.is_admin:
        return Principal(workspace_id=caller.workspace_id, customer_id=None, is_admin=True)
    customer_id = customer_ids.get(caller.customer_key)
    if customer_id is None or not caller.fields_stored():
        return None
    return Principal(workspace_id=caller.workspace_id, customer_id=customer_id, is_admin=False)


async def _verified(request: Request, session: AsyncSession, token: str) -> Caller:
    """The caller of a token whose signature and times check out."""
    hit = cached_caller(token)
    if hit is not None:
        return hit
    issuer, algorithm = _unverified(token)
    cache: SecretCache = request.app.state.secret_cache
    found = await cache.lookup(session, issuer)
    if found is None:
        raise NotAuthenticated(INVALID_TOKEN)
    workspace_id, secret = found
    claims = _signed_claims(token, secret, algorithm)
    caller = _caller(workspace_id, claims, request.app.state.settings.max_json_depth)
    verified_tokens.put(token, caller)
    return caller


def _rate_limit(request: Request, caller: tuple[str, str | None]) -> None:
    # Before the customer lookup, so a limited caller costs no query.
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is not None:
        limiter.check(caller)


async def authenticate(
    request: Request,
    session: SessionDep,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Principal:
    token = bearer_token(request)
    caller = await _verified(request, session, token)
    if caller.is_admin:
        _rate_limit(request, (caller.workspace_id, None))
        principal = Principal(workspace_id=caller.workspace_id, customer_id=None, is_admin=True)
    else:
        _rate_limit(request, caller.customer_key)
        customer_id = await _resolve_customer(
            session, caller, create=request.app.state.settings.auto_create_customers
        )
        principal = Principal(
            workspace_id=caller.workspace_id, customer_id=customer_id, is_admin=False
        )
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate, scope="function")]


def mint_token(
    workspace_key: str,
    secret: str,
    *,
    customer_id: str | None = None,
    name: str | None = None,
    fields: dict[str, Any] | None = None,
    admin: bool = False,
    ttl_seconds: int = 3600,
    algorithm: str = "HS256",
) -> str:
    """A token exactly like Membrane's: what the CLI prints and the tests send."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}")
    now = int(time.time())
    claims: dict[str, Any] = {"iss": workspace_key, "iat": now, "exp": now + ttl_seconds}
    if admin:
        claims["isAdmin"] = True
    if customer_id is not None:
        claims["id"] = customer_id
    if name is not None:
        claims["name"] = name
    if fields is not None:
        claims["fields"] = fields
    return jwt.encode(claims, secret, algorithm=algorithm)
