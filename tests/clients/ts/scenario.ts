// A client generated from the committed openapi.json (openapi-typescript + openapi-fetch)
// driving a running datalinks: tests/test_generated_clients.py generates `schema.d.ts` beside a
// copy of this file, type-checks both with `tsc --noEmit`, compiles and runs it. Every call
// below is typed by the generated `paths`: a wrong field, parameter or status is a type error.
//
//   DATALINKS_URL, DATALINKS_WORKSPACE_KEY, DATALINKS_WORKSPACE_SECRET  the server under test
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';

import createClient from 'openapi-fetch';

import type { components, paths } from './schema.js';

type DataLink = components['schemas']['DataLink'];

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run this through tests/test_generated_clients.py`);
  }
  return value;
}

const baseUrl = required('DATALINKS_URL');
const workspaceKey = required('DATALINKS_WORKSPACE_KEY');
const workspaceSecret = required('DATALINKS_WORKSPACE_SECRET');

// HS256 JWT signed with the workspace secret, as Membrane's SDK mints them.
function mintToken(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
    iss: workspaceKey,
    iat: now,
    exp: now + 600,
    ...claims,
  })}`;
  const signature = createHmac('sha256', workspaceSecret).update(body).digest('base64url');
  return `${body}.${signature}`;
}

function client(token: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}

const tag = randomBytes(4).toString('hex');
const admin = client(mintToken({ isAdmin: true }));
const alice = client(mintToken({ id: `ts-alice-${tag}` }));

// Setup: an integration and a table (admin), Alice's connection to the integration.
const integration = await admin.POST('/integrations', {
  body: { key: `ts-crm-${tag}`, name: 'TS CRM' },
});
assert.equal(integration.response.status, 200, JSON.stringify(integration.error));
const table = await admin.POST('/data-link-tables', {
  body: { name: 'Contacts', key: `ts-contacts-${tag}` },
});
assert.ok(table.data, JSON.stringify(table.error));
assert.equal(table.data.key, `ts-contacts-${tag}`);
const connection = await alice.POST('/connections', {
  body: { integrationKey: `ts-crm-${tag}` },
});
assert.ok(connection.data, JSON.stringify(connection.error));

const selector = { dataLinkTableKey: table.data.key, connectionId: connection.data.id };

// Resolve the instance, creating it on first use.
const instance = await alice.GET('/data-link-table-instance', {
  params: { query: { ...selector, autoCreate: true } },
});
assert.ok(instance.data, JSON.stringify(instance.error));
assert.equal(instance.data.dataLinkTableId, table.data.id);
assert.equal(instance.data.connectionId, connection.data.id);

// Upsert links: 204 with no body.
for (const n of [1, 2, 3]) {
  const created = await alice.POST('/data-link-table-instance/links', {
    params: { query: selector },
    body: { externalRecordId: `ext-${n}`, appRecordId: `app-${n}`, direction: 'import' },
  });
  assert.equal(created.response.status, 204, JSON.stringify(created.error));
}

// Find it both ways.
const byExternal = await alice.GET('/data-link-table-instance/links', {
  params: { query: { ...selector, direction: 'import', externalRecordId: 'ext-2' } },
});
assert.ok(byExternal.data, JSON.stringify(byExternal.error));
assert.deepEqual(byExternal.data.items.map((link: DataLink) => link.appRecordId), ['app-2']);
// The table-addressed family (Membrane's OpenAPI) finds the same link.
const byApp = await alice.GET('/data-link-tables/{selector}/links', {
  params: {
    path: { selector: table.data.key },
    query: { connectionId: connection.data.id, appRecordId: 'app-2' },
  },
});
assert.ok(byApp.data, JSON.stringify(byApp.error));
assert.deepEqual(
  byApp.data.items.map((link: DataLink) => [link.externalRecordId, link.direction]),
  [['ext-2', 'import']],
);

// List with pagination: pass `cursor` back until the page has none.
const seen: string[] = [];
let cursor: string | undefined;
let pages = 0;
do {
  const page = await alice.GET('/data-link-table-instance/links', {
    params: { query: { ...selector, limit: 2, cursor } },
  });
  assert.ok(page.data, JSON.stringify(page.error));
  seen.push(...page.data.items.map((link: DataLink) => link.externalRecordId));
  cursor = page.data.cursor;
  pages += 1;
} while (cursor);
assert.deepEqual(seen, ['ext-1', 'ext-2', 'ext-3']);
assert.equal(pages, 2);

// Delete one (a JSON body on DELETE, as Membrane's SDK sends), then it is gone.
const deleted = await alice.DELETE('/data-link-table-instance/links', {
  params: { query: selector },
  body: { externalRecordId: 'ext-2', appRecordId: 'app-2', direction: 'import' },
});
assert.equal(deleted.response.status, 200, JSON.stringify(deleted.error));
const gone = await alice.GET('/data-link-table-instance/links', {
  params: { query: { ...selector, externalRecordId: 'ext-2' } },
});
assert.deepEqual(gone.data?.items, []);

// A 404 arrives as the typed Error.
const missing = await alice.GET('/data-link-tables/{selector}/links', {
  params: {
    path: { selector: `no-such-table-${tag}` },
    query: { connectionId: connection.data.id },
  },
});
assert.equal(missing.response.status, 404);
assert.equal(missing.data, undefined);
const error: components['schemas']['Error'] | undefined = missing.error;
assert.ok(error);
assert.equal(error.type, 'bad_request');
assert.equal(error.key, 'not_found');
assert.equal(typeof error.message, 'string');

console.log('generated TypeScript client scenario: ok');
