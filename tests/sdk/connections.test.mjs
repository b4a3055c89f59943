// Connections through the SDK: connections.*, connection(sel).* (contract §4, §10).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { ConnectionApiResponse, CustomerApiResponse } from '@membranehq/sdk';

import {
  adminClient,
  assertMembraneError,
  assertPage,
  assertSchema,
  ids,
  tenantClient,
  uniqueSuffix,
} from './lib.mjs';

const sfx = uniqueSuffix();
const admin = adminClient();
const integrationKey = `hubspot-${sfx}`;
let integration;

before(async () => {
  integration = await admin.integrations.create({ key: integrationKey, name: 'HubSpot' });
});

test('a customer creates a connection by integration key and reads it back', async () => {
  const alice = tenantClient(`alice-${sfx}`);
  const me = assertSchema(CustomerApiResponse, await alice.self.get());

  const created = assertSchema(
    ConnectionApiResponse,
    await alice.connections.create({ integrationKey }),
    'created connection',
  );
  assert.equal(created.integrationId, integration.id);
  assert.equal(created.userId, me.id);
  assert.equal(created.name, 'HubSpot', "the name defaults to the integration's");
  assert.equal(created.connected, true);
  assert.equal(created.state, 'READY');

  // connection(id).get() sends ?includeSecrets=false, which is accepted and ignored.
  const byId = assertSchema(ConnectionApiResponse, await alice.connection(created.id).get());
  assert.equal(byId.id, created.id);
  // A customer may name its only connection to an integration by the integration's key.
  const byIntegration = assertSchema(ConnectionApiResponse, await alice.connection(integrationKey).get());
  assert.equal(byIntegration.id, created.id);

  const found = assertPage(ConnectionApiResponse, await alice.connections.find({ integrationKey }));
  assert.deepEqual(ids(found.items), [created.id]);
});

test('patch and put; a connection key becomes a selector', async () => {
  const carol = tenantClient(`carol-${sfx}`);
  const created = await carol.connections.create({ integrationId: integration.id, name: 'Mine' });
  assert.equal(created.name, 'Mine');

  const patched = assertSchema(
    ConnectionApiResponse,
    await carol.connection(created.id).patch({ key: `crm-${sfx}`, meta: { team: 'sales' } }),
  );
  assert.equal(patched.key, `crm-${sfx}`);
  assert.equal(patched.name, 'Mine', 'PATCH keeps fields it does not name');
  assert.deepEqual(patched.meta, { team: 'sales' });
  assert.equal((await carol.connection(`crm-${sfx}`).get()).id, created.id);

  const put = assertSchema(
    ConnectionApiResponse,
    await carol.connection(`crm-${sfx}`).put({ name: 'Renamed', key: `crm-${sfx}` }),
  );
  assert.equal(put.name, 'Renamed');
  assert.equal(put.integrationId, integration.id, 'a connection never changes integration');
});

test('archive hides a connection from lists but not from its id', async () => {
  const dave = tenantClient(`dave-${sfx}`);
  const created = await dave.connections.create({ integrationKey });

  await dave.connection(created.id).archive();
  const archived = assertSchema(ConnectionApiResponse, await dave.connection(created.id).get());
  assert.ok(archived.archivedAt);
  assert.deepEqual(ids((await dave.connections.find({ integrationKey })).items), []);
  const withArchived = await dave.connections.find({ integrationKey, includeArchived: true });
  assert.deepEqual(ids(withArchived.items), [created.id]);
  // With no live connection left, the integration key no longer names one.
  await assertMembraneError(dave.connection(integrationKey).get(), 'not_found');
});

test('an admin creates a connection for a customer and lists by customer', async () => {
  const owner = await admin.customers.create({ name: 'Erin', internalId: `erin-${sfx}` });
  // CreateConnectionRequest has no userId: an admin adds it untyped (contract §4).
  const created = assertSchema(
    ConnectionApiResponse,
    await admin.connections.create({ integrationKey, userId: owner.id }),
  );
  assert.equal(created.userId, owner.id);

  const byUser = await admin.connections.find({ userId: owner.id });
  assert.deepEqual(ids(byUser.items), [created.id]);
  assert.equal((await admin.connection(created.id).get()).id, created.id);

  // The customer sees it as its own.
  const erin = tenantClient(`erin-${sfx}`);
  assert.equal((await erin.connection(integrationKey).get()).id, created.id);
});

test("customers never see each other's connections", async () => {
  const frank = tenantClient(`frank-${sfx}`);
  const grace = tenantClient(`grace-${sfx}`);
  const franks = await frank.connections.create({ integrationKey });

  await assertMembraneError(grace.connection(franks.id).get(), 'not_found');
  await assertMembraneError(grace.connection(franks.id).patch({ name: 'Mine now' }), 'not_found');
  await assertMembraneError(grace.connection(franks.id).archive(), 'not_found');
  assert.ok(!ids((await grace.connections.find()).items).includes(franks.id));
  assert.equal((await frank.connection(franks.id).get()).name, 'HubSpot');
});

test('errors surface as typed SDK errors with Membrane keys', async () => {
  const heidi = tenantClient(`heidi-${sfx}`);
  await assertMembraneError(heidi.connection(`nothing-${sfx}`).get(), 'not_found');
  await assertMembraneError(heidi.connections.create({ integrationKey: `nothing-${sfx}` }), 'not_found');
});
