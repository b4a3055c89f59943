// Data-link tables and their instances through the SDK: dataLinkTables.*, dataLinkTable(k).*,
// dataLinkTableInstances.find, dataLinkTableInstance(sel).* (contract §5, §6, §10).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { DataLinkTableApiResponse, DataLinkTableInstanceApiResponse } from '@membranehq/sdk';

import {
  adminClient,
  assertMembraneError,
  assertPage,
  assertSchema,
  ids,
  skipUnlessRoutes,
  tenantClient,
  uniqueSuffix,
} from './lib.mjs';

const sfx = uniqueSuffix();
const admin = adminClient();

// Skip (not fail) while the routes are still being built; runs by itself once they exist.
const tablesSkip = await skipUnlessRoutes('GET /data-link-tables');
const instancesSkip =
  tablesSkip ||
  (await skipUnlessRoutes('GET /data-link-table-instance', 'GET /data-link-table-instances'));

const integrationKey = `hubspot-${sfx}`;
const customer = tenantClient(`owner-${sfx}`);
let connection;

before(async () => {
  if (instancesSkip) {
    return;
  }
  await admin.integrations.create({ key: integrationKey, name: 'HubSpot' });
  connection = await customer.connections.create({ integrationKey });
});

test('create, then get by key and by id', { skip: tablesSkip }, async () => {
  const key = `contacts-${sfx}`;
  const created = assertSchema(
    DataLinkTableApiResponse,
    await admin.dataLinkTables.create({ name: 'Contacts', key }),
    'created table',
  );
  assert.equal(created.key, key);
  assert.equal(created.name, 'Contacts');

  for (const got of [await admin.dataLinkTable(key).get(), await admin.dataLinkTable(created.id).get()]) {
    assertSchema(DataLinkTableApiResponse, got);
    assert.equal(got.id, created.id);
  }
});

test('name and key stand in for each other; neither is a 400', { skip: tablesSkip }, async () => {
  const byKey = assertSchema(DataLinkTableApiResponse, await admin.dataLinkTables.create({ key: `deals-${sfx}` }));
  assert.equal(byKey.name, `deals-${sfx}`, 'the name is copied from the key');
  const byName = assertSchema(DataLinkTableApiResponse, await admin.dataLinkTables.create({ name: `Tickets ${sfx}` }));
  assert.ok(byName.key, 'a key is derived from the name');
  assert.equal((await admin.dataLinkTable(byName.key).get()).id, byName.id);
  await assertMembraneError(admin.dataLinkTables.create({ description: 'no name' }), 'validation_error');
});

test('find pages with limit and cursor; findAll returns everything once', { skip: tablesSkip }, async () => {
  const tag = `pager-${sfx}`;
  const made = [];
  for (let n = 0; n < 3; n += 1) {
    made.push(await admin.dataLinkTables.create({ key: `${tag}-${n}`, name: `Pager ${n}` }));
  }
  const first = assertPage(DataLinkTableApiResponse, await admin.dataLinkTables.find({ search: tag, limit: 2 }));
  assert.equal(first.items.length, 2);
  assert.ok(first.cursor);
  const second = assertPage(
    DataLinkTableApiResponse,
    await admin.dataLinkTables.find({ search: tag, limit: 2, cursor: first.cursor }),
  );
  assert.equal(second.cursor, undefined);
  assert.deepEqual([...ids(first.items), ...ids(second.items)], ids(made));

  // findAll always asks for limit=1000 from cursor=0 and follows cursors to the end.
  assert.deepEqual(ids(await admin.dataLinkTables.findAll({ search: tag })), ids(made));
  const all = ids(await admin.dataLinkTables.findAll());
  assert.equal(new Set(all).size, all.length);
  for (const id of ids(made)) {
    assert.ok(all.includes(id));
  }
});

test('patch, put, archive, find({includeArchived}) and restore', { skip: tablesSkip }, async () => {
  const key = `companies-${sfx}`;
  const created = await admin.dataLinkTables.create({ name: 'Companies', key });
  const table = admin.dataLinkTable(key);

  const patched = assertSchema(DataLinkTableApiResponse, await table.patch({ name: 'Accounts' }));
  assert.equal(patched.name, 'Accounts');
  assert.equal(patched.key, key);
  const put = assertSchema(DataLinkTableApiResponse, await table.put({ name: 'Organisations', key }));
  assert.equal(put.name, 'Organisations');

  assert.equal(await table.archive(), undefined);
  const archived = assertSchema(DataLinkTableApiResponse, await admin.dataLinkTable(created.id).get());
  assert.ok(archived.archivedAt);
  assert.ok(!ids((await admin.dataLinkTables.find({ search: key })).items).includes(created.id));
  const withArchived = assertPage(
    DataLinkTableApiResponse,
    await admin.dataLinkTables.find({ search: key, includeArchived: true }),
  );
  assert.ok(ids(withArchived.items).includes(created.id));
  await assertMembraneError(admin.dataLinkTable(key).get(), 'not_found');

  const restored = assertSchema(DataLinkTableApiResponse, await admin.dataLinkTable(created.id).restore());
  assert.equal(restored.archivedAt, undefined);
  assert.equal((await admin.dataLinkTable(key).get()).id, created.id);
});

test('table writes need an admin token; errors are typed', { skip: tablesSkip }, async () => {
  await assertMembraneError(admin.dataLinkTable(`nothing-${sfx}`).get(), 'not_found');
  const key = `dup-${sfx}`;
  await admin.dataLinkTables.create({ key });
  await assertMembraneError(admin.dataLinkTables.create({ key }), 'already_exists');
  await assertMembraneError(customer.dataLinkTables.create({ key: `evil-${sfx}` }), 'access_denied');
  await assertMembraneError(customer.dataLinkTable(key).patch({ name: 'Hacked' }), 'access_denied');
});

test('instance by object selector with autoCreate, then by id string', { skip: instancesSkip }, async () => {
  const tableKey = `people-${sfx}`;
  const table = await admin.dataLinkTables.create({ key: tableKey, name: 'People' });
  const selector = { dataLinkTableKey: tableKey, connectionId: connection.id };

  // Without autoCreate there is nothing yet.
  await assertMembraneError(customer.dataLinkTableInstance(selector).get(), 'not_found');

  const instance = assertSchema(
    DataLinkTableInstanceApiResponse,
    await customer.dataLinkTableInstance({ ...selector, autoCreate: true }).get(),
    'instance',
  );
  assert.equal(instance.dataLinkTableId, table.id);
  assert.equal(instance.connectionId, connection.id);
  assert.equal(instance.name, 'People');
  assert.equal(instance.instanceKey, undefined, 'the default instance has no instanceKey');

  // Repeating the auto-creating get finds the same instance.
  const again = await customer.dataLinkTableInstance({ ...selector, autoCreate: true }).get();
  assert.equal(again.id, instance.id);
  assert.equal((await customer.dataLinkTableInstance(selector).get()).id, instance.id);
  // A string selector is the id (GET /data-link-table-instance?id=…).
  const byId = assertSchema(DataLinkTableInstanceApiResponse, await customer.dataLinkTableInstance(instance.id).get());
  assert.equal(byId.id, instance.id);
  // getId() resolves an object selector with one GET.
  assert.equal(await customer.dataLinkTableInstance(selector).getId(), instance.id);
  // The admin reaches it too, naming the connection by integration and customer.
  const viaIntegration = await admin
    .dataLinkTableInstance({ dataLinkTableKey: tableKey, integrationKey, userId: connection.userId })
    .get();
  assert.equal(viaIntegration.id, instance.id);
});

test('instanceKey names further instances of one table per connection', { skip: instancesSkip }, async () => {
  const tableKey = `leads-${sfx}`;
  await admin.dataLinkTables.create({ key: tableKey });
  const base = { dataLinkTableKey: tableKey, connectionId: connection.id, autoCreate: true };

  const main = await customer.dataLinkTableInstance(base).get();
  const other = assertSchema(
    DataLinkTableInstanceApiResponse,
    await customer.dataLinkTableInstance({ ...base, instanceKey: 'b' }).get(),
  );
  assert.notEqual(other.id, main.id);
  assert.equal(other.instanceKey, 'b');
  assert.equal((await customer.dataLinkTableInstance({ ...base, instanceKey: 'b' }).get()).id, other.id);
});

test('create, patch, put, archive and restore an instance', { skip: instancesSkip }, async () => {
  const tableKey = `orders-${sfx}`;
  await admin.dataLinkTables.create({ key: tableKey, name: 'Orders' });
  const selector = { dataLinkTableKey: tableKey, connectionId: connection.id };

  const accessor = customer.dataLinkTableInstance(selector);
  const created = assertSchema(DataLinkTableInstanceApiResponse, await accessor.create({}));
  assert.equal(created.name, 'Orders');
  // POST on an occupied slot answers with the instance already there (a fresh accessor: the
  // SDK refuses a second create() on one that knows its id).
  const repeated = await customer.dataLinkTableInstance(selector).create({});
  assert.equal(repeated.id, created.id);

  const byId = customer.dataLinkTableInstance(created.id);
  const patched = assertSchema(DataLinkTableInstanceApiResponse, await byId.patch({}));
  assert.equal(patched.id, created.id);
  const put = assertSchema(DataLinkTableInstanceApiResponse, await byId.put({}));
  assert.equal(put.id, created.id);

  await byId.archive();
  const archived = await byId.get();
  assert.ok(archived.archivedAt, 'an archived instance is still found by id');
  // The selector no longer finds an archived instance.
  await assertMembraneError(customer.dataLinkTableInstance(selector).get(), 'not_found');

  const restored = assertSchema(DataLinkTableInstanceApiResponse, await byId.restore());
  assert.equal(restored.archivedAt, undefined);
  assert.equal((await customer.dataLinkTableInstance(selector).get()).id, created.id);
});

test('dataLinkTableInstances.find filters by table and connection', { skip: instancesSkip }, async () => {
  const tableKey = `notes-${sfx}`;
  const table = await admin.dataLinkTables.create({ key: tableKey });
  const instance = await customer
    .dataLinkTableInstance({ dataLinkTableKey: tableKey, connectionId: connection.id, autoCreate: true })
    .get();

  const page = assertPage(
    DataLinkTableInstanceApiResponse,
    await customer.dataLinkTableInstances.find({ dataLinkTableId: table.id, connectionId: connection.id }),
  );
  assert.deepEqual(ids(page.items), [instance.id]);
  const byAdmin = await admin.dataLinkTableInstances.find({ dataLinkTableId: table.id });
  assert.deepEqual(ids(byAdmin.items), [instance.id]);
});

test("instances stay within their customer's scope", { skip: instancesSkip }, async () => {
  const tableKey = `secrets-${sfx}`;
  await admin.dataLinkTables.create({ key: tableKey });
  const instance = await customer
    .dataLinkTableInstance({ dataLinkTableKey: tableKey, connectionId: connection.id, autoCreate: true })
    .get();

  const intruder = tenantClient(`intruder-${sfx}`);
  await assertMembraneError(intruder.dataLinkTableInstance(instance.id).get(), 'not_found');
  // Naming someone else's connection is a 404, even with autoCreate.
  await assertMembraneError(
    intruder.dataLinkTableInstance({ dataLinkTableKey: tableKey, connectionId: connection.id, autoCreate: true }).get(),
    'not_found',
  );
  assert.deepEqual(ids((await intruder.dataLinkTableInstances.find({ connectionId: connection.id })).items), []);
});

test('restoring into a taken key or instance slot is already_exists', { skip: instancesSkip }, async () => {
  const key = `reused-${sfx}`;
  const old = await admin.dataLinkTables.create({ key });
  await admin.dataLinkTable(key).archive();
  // Uniqueness covers live rows only: the key is free again.
  const replacement = await admin.dataLinkTables.create({ key });
  assert.notEqual(replacement.id, old.id);
  await assertMembraneError(admin.dataLinkTable(old.id).restore(), 'already_exists');

  // The SDK reuses the whole selector, autoCreate included, for every verb: after archive()
  // the same accessor's get() makes a fresh instance.
  const accessor = customer.dataLinkTableInstance({ dataLinkTableKey: key, connectionId: connection.id, autoCreate: true });
  const first = await accessor.get();
  await accessor.delete();
  assert.ok((await customer.dataLinkTableInstance(first.id).get()).archivedAt);
  const second = await accessor.get();
  assert.notEqual(second.id, first.id);
  await assertMembraneError(customer.dataLinkTableInstance(first.id).restore(), 'already_exists');
});

test('a customer names its connection by integration key; an admin by connection id', { skip: instancesSkip }, async () => {
  const key = `invoices-${sfx}`;
  await admin.dataLinkTables.create({ key });
  const byConnection = await admin
    .dataLinkTableInstance({ dataLinkTableKey: key, connectionId: connection.id, autoCreate: true })
    .get();
  const byIntegration = await customer.dataLinkTableInstance({ dataLinkTableKey: key, integrationKey }).get();
  assert.equal(byIntegration.id, byConnection.id);
  assert.equal(byConnection.userId, connection.userId);
});
