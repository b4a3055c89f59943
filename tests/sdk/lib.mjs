// Shared helpers for the official-SDK tests: clients, tokens, schema checks, route probes.
//
// The server under test comes from the environment (tests/test_sdk.py sets it):
//   DATALINKS_URL               base URL, passed to the SDK as `apiUri`
//   DATALINKS_WORKSPACE_KEY     the workspace the server was started with
//   DATALINKS_WORKSPACE_SECRET  its secret (signs every token below)
//   DATALINKS_SDK_PACKAGE       the SDK that sends the requests: @membranehq/sdk (the default)
//                               or @integration-app/sdk, its predecessor; every file runs on both
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';

// Responses are checked against @membranehq/sdk's zod schemas whichever SDK sends the requests:
// @integration-app/sdk exports none, and both read the same wire format.
import { createPaginationResponseSchema } from '@membranehq/sdk';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run these tests through tests/test_sdk.py (./dev test)`);
  }
  return value;
}

export const apiUri = required('DATALINKS_URL');
export const workspaceKey = required('DATALINKS_WORKSPACE_KEY');
export const workspaceSecret = required('DATALINKS_WORKSPACE_SECRET');
export const sdkPackage = process.env.DATALINKS_SDK_PACKAGE || '@membranehq/sdk';

// The same accessors under another client class and error flag; only @membranehq/sdk mints
// tokens from workspace credentials.
const SDKS = {
  '@membranehq/sdk': { client: 'MembraneClient', errorFlag: 'isMembraneError', mintsTokens: true },
  '@integration-app/sdk': { client: 'IntegrationAppClient', errorFlag: 'isIntegrationAppError', mintsTokens: false },
};
const sdk = SDKS[sdkPackage];
if (!sdk) {
  throw new Error(`DATALINKS_SDK_PACKAGE=${sdkPackage}: expected one of ${Object.keys(SDKS).join(', ')}`);
}
export const Client = (await import(sdkPackage))[sdk.client];

// A random tag per test file, so files can share one server (and one workspace) in any order.
export function uniqueSuffix() {
  return randomBytes(5).toString('hex');
}

// HS256 JWT signed with the workspace secret. The SDK cannot mint admin tokens (it only signs
// `{id, iss, exp}`), so admin tokens and customer tokens with a `name` are minted here.
export function mintToken(claims, { ttlSeconds = 3600, secret = workspaceSecret } = {}) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
    iss: workspaceKey,
    iat: now,
    exp: now + ttlSeconds,
    ...claims,
  })}`;
  const signature = createHmac('sha256', secret).update(body).digest('base64url');
  return `${body}.${signature}`;
}

export function adminClient() {
  return new Client({ apiUri, token: mintToken({ isAdmin: true }) });
}

// A customer token minted by us (lets the test choose the `name` claim).
export function customerClient(internalId, { name } = {}) {
  const claims = name === undefined ? { id: internalId } : { id: internalId, name };
  return new Client({ apiUri, token: mintToken(claims) });
}

// A client given workspace credentials, as a backend holds them. @membranehq/sdk mints
// `{id: tenantKey, iss: workspaceKey, exp}` from them itself; @integration-app/sdk cannot, so
// it is given a token with those claims minted here, as its users' backends do.
export function credentialsClient({
  workspaceKey: key = workspaceKey,
  workspaceSecret: secret = workspaceSecret,
  tenantKey,
  ...options
} = {}) {
  if (sdk.mintsTokens) {
    return new Client({ apiUri, workspaceKey: key, workspaceSecret: secret, tenantKey, ...options });
  }
  return new Client({ apiUri, token: mintToken({ id: tenantKey, iss: key }, { secret }), ...options });
}

export function tenantClient(tenantKey) {
  return credentialsClient({ tenantKey });
}

// Responses must satisfy the SDK's own zod schemas: typed callers parse them, and a `null`
// where the SDK says `.optional()` would break them.
export function assertSchema(schema, value, what = 'response') {
  const result = schema.safeParse(value);
  if (!result.success) {
    assert.fail(
      `${what} does not match the SDK schema:\n${JSON.stringify(result.error.issues, null, 2)}\n` +
        `value: ${JSON.stringify(value, null, 2)}`,
    );
  }
  // Optional fields are omitted, never null (contract §1.1).
  for (const [field, fieldValue] of Object.entries(value)) {
    assert.notEqual(fieldValue, null, `${what}.${field} is null; omit it instead`);
  }
  return value;
}

export function assertPage(itemSchema, page, what = 'page') {
  assertSchema(createPaginationResponseSchema(itemSchema), page, what);
  for (const [index, item] of page.items.entries()) {
    assertSchema(itemSchema, item, `${what}.items[${index}]`);
  }
  return page;
}

// A failed call must surface as the SDK's typed error (it builds it from the body's `type`),
// with Membrane's `key` kept in `err.data.key`.
export async function assertMembraneError(promise, key, type = 'bad_request') {
  let error;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  assert.ok(error, `expected a ${key} error, but the call succeeded`);
  assert.equal(
    error[sdk.errorFlag],
    true,
    `expected a typed ${sdkPackage} error, got ${error?.name}: ${error?.message}` +
      (error?.response ? ` (HTTP ${error.response.status} ${JSON.stringify(error.response.data)})` : ''),
  );
  assert.equal(error.data.type, type, JSON.stringify(error.data));
  assert.equal(error.data.key, key, JSON.stringify(error.data));
  assert.equal(typeof error.data.message, 'string');
  return error;
}

export function ids(items) {
  return items.map((item) => item.id);
}

function url(path) {
  return `${apiUri.replace(/\/$/, '')}${path}`;
}

// A plain admin request, for what neither SDK has a method for.
export async function adminFetch(method, path, body) {
  const response = await fetch(url(path), {
    method,
    headers: { Authorization: `Bearer ${mintToken({ isAdmin: true })}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

// True when the server has no route at all for METHOD path (FastAPI's 404 "No route …"),
// as opposed to a 404 for an unknown element or a 400 for a missing selector.
async function routeMissing(method, path) {
  const response = await fetch(url(path), {
    method,
    headers: { Authorization: `Bearer ${mintToken({ isAdmin: true })}` },
  });
  if (response.status !== 404) {
    return false;
  }
  const body = await response.json().catch(() => ({}));
  return typeof body.message === 'string' && body.message.startsWith('No route');
}

// Other domains are still being built: a test that needs a route the server lacks is skipped
// (node:test `skip` option), and starts running by itself once the route exists.
// Each route is `"METHOD /path"`; returns false when all exist, else the skip reason.
export async function skipUnlessRoutes(...routes) {
  const missing = [];
  for (const route of routes) {
    const [method, path] = route.split(' ');
    if (await routeMissing(method, path)) {
      missing.push(route);
    }
  }
  return missing.length ? `routes not implemented yet: ${missing.join(', ')}` : false;
}
