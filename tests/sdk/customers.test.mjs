// Customers through the SDK: customers.*, customer(sel).*, self.* (contract §2, §10).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CustomerApiResponse } from '@membranehq/sdk';

import {
  adminClient,
  assertMembraneError,
  assertPage,
  assertSchema,
  customerClient,
  ids,
  tenantClient,
  uniqueSuffix,
} from './lib.mjs';

const sfx = uniqueSuffix();
const admin = adminClient();

test('create, then get by id, by internalId and by object selector', async () => {
  const created = await admin.customers.create({ name: `Alice ${sfx}`, internalId: `alice-${sfx}` });
  assertSchema(CustomerApiResponse, created, 'created customer');
  assert.equal(created.name, `Alice ${sfx}`);
  assert.equal(created.internalId, `alice-${sfx}`);

  for (const got of [
    await admin.customer(created.id).get(),
    await admin.customer(`alice-${sfx}`).get(),
    // An object selector goes to the singular path: GET /customer?id=…
    await admin.customer({ id: created.id }).get(),
  ]) {
    assertSchema(CustomerApiResponse, got, 'customer');
    assert.equal(got.id, created.id);
    assert.equal(got.internalId, `alice-${sfx}`);
  }
});

test('internalId defaults to the id when only a name is given', async () => {
  const created = await admin.customers.create({ name: `Nameless ${sfx}` });
  assertSchema(CustomerApiResponse, created);
  assert.equal(created.internalId, created.id);
});

test('find pages with limit and cursor; findAll returns everything once', async () => {
  const tag = `pager-${sfx}`;
  const made = [];
  for (let n = 0; n < 3; n += 1) {
    made.push(await admin.customers.create({ name: `${tag} ${n}`, internalId: `${tag}-${n}` }));
  }

  const first = assertPage(CustomerApiResponse, await admin.customers.find({ search: tag, limit: 2 }));
  assert.equal(first.items.length, 2);
  assert.ok(first.cursor, 'a first page of a longer list carries a cursor');
  const second = assertPage(
    CustomerApiResponse,
    await admin.customers.find({ search: tag, limit: 2, cursor: first.cursor }),
  );
  assert.equal(second.items.length, 1);
  assert.equal(second.cursor, undefined, 'the last page has no cursor');
  // Ascending (createdAt, id): the order they were made in.
  assert.deepEqual([...ids(first.items), ...ids(second.items)], ids(made));

  // findAll sends limit=1000&cursor=0 and loops while a cursor comes back.
  const searched = await admin.customers.findAll({ search: tag });
  assert.deepEqual(ids(searched), ids(made));
  const all = await admin.customers.findAll();
  const allIds = ids(all);
  assert.equal(new Set(allIds).size, allIds.length, 'findAll returns no duplicates');
  for (const id of ids(made)) {
    assert.ok(allIds.includes(id), `findAll() includes ${id}`);
  }
});

test('patch, put, archive and restore', async () => {
  const internalId = `carol-${sfx}`;
  const created = await admin.customers.create({ name: 'Carol', internalId });
  const customer = admin.customer(created.id);

  const patched = assertSchema(CustomerApiResponse, await customer.patch({ meta: { tier: 'gold' } }));
  assert.equal(patched.name, 'Carol', 'PATCH keeps fields it does not name');
  assert.deepEqual(patched.meta, { tier: 'gold' });

  const put = assertSchema(CustomerApiResponse, await customer.put({ name: 'Caroline', internalId }));
  assert.equal(put.name, 'Caroline');
  assert.equal(put.internalId, internalId);

  // archive() resolves to nothing (the SDK discards the body).
  assert.equal(await customer.archive(), undefined);
  const archived = assertSchema(CustomerApiResponse, await customer.get());
  assert.ok(archived.archivedAt, 'an archived customer is still found by id, with archivedAt');
  const live = await admin.customers.find({ search: internalId });
  assert.ok(!ids(live.items).includes(created.id), 'archived customers are hidden from lists');
  const withArchived = await admin.customers.find({ search: internalId, includeArchived: true });
  assert.ok(ids(withArchived.items).includes(created.id));

  const restored = assertSchema(CustomerApiResponse, await customer.restore());
  assert.equal(restored.id, created.id);
  assert.equal(restored.archivedAt, undefined);
  assert.ok(ids((await admin.customers.find({ search: internalId })).items).includes(created.id));
});

test('self.get and self.patch with a token the SDK mints from workspace credentials', async () => {
  const tenantKey = `bob-${sfx}`;
  const bob = tenantClient(tenantKey);
  // The first valid token of an unknown customer creates it (name defaults to the id).
  const me = assertSchema(CustomerApiResponse, await bob.self.get(), 'self');
  assert.equal(me.internalId, tenantKey);
  assert.equal(me.name, tenantKey);

  const renamed = assertSchema(CustomerApiResponse, await bob.self.patch({ name: 'Bob' }));
  assert.equal(renamed.name, 'Bob');
  assert.equal(renamed.internalId, tenantKey);

  const seenByAdmin = await admin.customer(tenantKey).get();
  assert.equal(seenByAdmin.id, me.id);
  assert.equal(seenByAdmin.name, 'Bob');
});

test('a customer token with a name claim creates the customer under that name', async () => {
  const dave = customerClient(`dave-${sfx}`, { name: 'Dave' });
  const me = await dave.self.get();
  assert.equal(me.internalId, `dave-${sfx}`);
  assert.equal(me.name, 'Dave');
});

test('errors surface as typed SDK errors with Membrane keys', async () => {
  await assertMembraneError(admin.customer(`nobody-${sfx}`).get(), 'not_found');
  await assertMembraneError(admin.customer({ id: `nobody-${sfx}` }).get(), 'not_found');

  const internalId = `dup-${sfx}`;
  await admin.customers.create({ name: 'Dup', internalId });
  await assertMembraneError(admin.customers.create({ name: 'Dup 2', internalId }), 'already_exists');

  // Customer writes need an admin token.
  const erin = tenantClient(`erin-${sfx}`);
  await assertMembraneError(
    erin.customers.create({ name: 'Mallory', internalId: `mallory-${sfx}` }),
    'access_denied',
  );
  // A customer token cannot see other customers: 404, never a 403 that reveals existence.
  await assertMembraneError(erin.customer(internalId).get(), 'not_found');
  // An admin token has no customer of its own.
  await assertMembraneError(admin.self.get(), 'not_found');
});
