// Integrations through the SDK: integrations.*, integration(sel).* (contract §3, §10).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { IntegrationApiResponse } from '@membranehq/sdk';

import {
  adminClient,
  adminFetch,
  assertMembraneError,
  assertPage,
  assertSchema,
  ids,
  sdkPackage,
  tenantClient,
  uniqueSuffix,
} from './lib.mjs';

const sfx = uniqueSuffix();
const admin = adminClient();

test('create, then get by key and by id', async () => {
  const key = `hubspot-${sfx}`;
  const created = assertSchema(
    IntegrationApiResponse,
    await admin.integrations.create({ key, name: 'HubSpot' }),
    'created integration',
  );
  assert.equal(created.key, key);
  assert.equal(created.name, 'HubSpot');
  // The SDK schema requires logoUri: "" when none was given.
  assert.equal(created.logoUri, '');

  for (const got of [await admin.integration(key).get(), await admin.integration(created.id).get()]) {
    assertSchema(IntegrationApiResponse, got);
    assert.equal(got.id, created.id);
    assert.equal(got.key, key);
  }
});

test('a key is derived from the name when none is given', async () => {
  const created = assertSchema(
    IntegrationApiResponse,
    await admin.integrations.create({ name: `Pipe Drive ${sfx}` }),
  );
  assert.equal(typeof created.key, 'string');
  assert.ok(created.key.length > 0);
  assert.equal((await admin.integration(created.key).get()).id, created.id);
});

test('find with search and paging; findAll returns everything once', async () => {
  const tag = `pager-${sfx}`;
  const made = [];
  for (let n = 0; n < 3; n += 1) {
    made.push(await admin.integrations.create({ key: `${tag}-${n}`, name: `Pager ${sfx} ${n}` }));
  }

  const first = assertPage(IntegrationApiResponse, await admin.integrations.find({ search: tag, limit: 2 }));
  assert.equal(first.items.length, 2);
  assert.ok(first.cursor);
  const second = assertPage(
    IntegrationApiResponse,
    await admin.integrations.find({ search: tag, limit: 2, cursor: first.cursor }),
  );
  assert.equal(second.cursor, undefined);
  assert.deepEqual([...ids(first.items), ...ids(second.items)], ids(made));

  assert.deepEqual(ids(await admin.integrations.findAll({ search: tag })), ids(made));
  const all = ids(await admin.integrations.findAll());
  assert.equal(new Set(all).size, all.length);
  for (const id of ids(made)) {
    assert.ok(all.includes(id));
  }
});

test('patch, put, setup, archive and restore', async () => {
  const key = `salesforce-${sfx}`;
  const created = await admin.integrations.create({ key, name: 'Salesforce' });
  const integration = admin.integration(key);

  const patched = assertSchema(
    IntegrationApiResponse,
    await integration.patch({ description: 'CRM', meta: { region: 'eu' } }),
  );
  assert.equal(patched.name, 'Salesforce', 'PATCH keeps fields it does not name');
  assert.equal(patched.description, 'CRM');
  assert.deepEqual(patched.meta, { region: 'eu' });

  const put = assertSchema(IntegrationApiResponse, await integration.put({ key, name: 'SFDC' }));
  assert.equal(put.name, 'SFDC');
  assert.equal(put.key, key);

  // setup() is a bodiless POST (form content type, length 0); datalinks has nothing to set up.
  const setUp = assertSchema(IntegrationApiResponse, await integration.setup());
  assert.equal(setUp.id, created.id);

  assert.equal(await integration.archive(), undefined);
  const archived = assertSchema(IntegrationApiResponse, await admin.integration(created.id).get());
  assert.ok(archived.archivedAt);
  assert.ok(!ids((await admin.integrations.find({ search: key })).items).includes(created.id));
  const withArchived = await admin.integrations.find({ search: key, includeArchived: true });
  assert.ok(ids(withArchived.items).includes(created.id));

  // The key no longer names a live integration; the id still finds it.
  const restored = assertSchema(IntegrationApiResponse, await admin.integration(created.id).restore());
  assert.equal(restored.archivedAt, undefined);
  assert.equal((await admin.integration(key).get()).id, created.id);
});

test('customer tokens read integrations but cannot write them', async () => {
  const key = `zendesk-${sfx}`;
  const created = await admin.integrations.create({ key, name: 'Zendesk' });
  const customer = tenantClient(`reader-${sfx}`);

  assert.equal((await customer.integration(key).get()).id, created.id);
  assert.ok(ids((await customer.integrations.find({ search: key })).items).includes(created.id));

  await assertMembraneError(customer.integrations.create({ key: `evil-${sfx}`, name: 'Evil' }), 'access_denied');
  await assertMembraneError(customer.integration(key).patch({ name: 'Hacked' }), 'access_denied');
  await assertMembraneError(customer.integration(key).archive(), 'access_denied');
  assert.equal((await admin.integration(key).get()).name, 'Zendesk');
});

test('errors surface as typed SDK errors with Membrane keys', async () => {
  await assertMembraneError(admin.integration(`nothing-${sfx}`).get(), 'not_found');
  await assertMembraneError(admin.integration(`nothing-${sfx}`).setup(), 'not_found');
  const key = `dup-${sfx}`;
  await admin.integrations.create({ key, name: 'Dup' });
  await assertMembraneError(admin.integrations.create({ key, name: 'Dup again' }), 'already_exists');
});

test('getDataCollections() lists the collections an admin declared', async () => {
  const key = `asana-${sfx}`;
  await admin.integrations.create({ key, name: 'Asana' });
  const schema = { type: 'object', properties: { projectId: { type: 'string' } } };
  // Neither SDK declares collections: PUT /integrations/{key}/data/{collection} is datalinks' own.
  await adminFetch('PUT', `/integrations/${key}/data/tasks`, { name: 'Tasks', parametersSchema: schema });
  await adminFetch('PUT', `/integrations/${key}/data/projects`, {});

  const integration = tenantClient(`collections-${sfx}`).integration(key);
  const listed = [
    { type: 'collection', key: 'projects', name: 'projects' },
    { type: 'collection', key: 'tasks', name: 'Tasks' },
  ];
  assert.deepEqual(await integration.getDataCollections(), listed);
  assert.deepEqual(await integration.getDataCollection('tasks'), { ...listed[1], parametersSchema: schema });
  if (sdkPackage === '@integration-app/sdk') {
    // Its older names for the same two requests.
    assert.deepEqual(await integration.getDataLocations(), listed);
    assert.deepEqual(await integration.getDataLocation('projects'), listed[0]);
  }
  await assertMembraneError(admin.integration(`nothing-${sfx}`).getDataCollections(), 'not_found');
  await assertMembraneError(integration.getDataCollection('nothing'), 'not_found');
});
