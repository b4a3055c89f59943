// Data links through the SDK: dataLinkTableInstance(sel).createLink / findLinks / deleteLink
// (contract §7.1, §10).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { DataLink, FindDataLinksResponse } from '@membranehq/sdk';

import {
  adminClient,
  assertMembraneError,
  assertSchema,
  skipUnlessRoutes,
  tenantClient,
  uniqueSuffix,
} from './lib.mjs';

const sfx = uniqueSuffix();
const admin = adminClient();

// Skip (not fail) while the routes are still being built; runs by itself once they exist.
const skip = await skipUnlessRoutes(
  'GET /data-link-tables',
  'GET /data-link-table-instance',
  'GET /data-link-table-instance/links',
);

const integrationKey = `hubspot-${sfx}`;
const customer = tenantClient(`owner-${sfx}`);
let connection;
let tableCount = 0;

before(async () => {
  if (skip) {
    return;
  }
  await admin.integrations.create({ key: integrationKey, name: 'HubSpot' });
  connection = await customer.connections.create({ integrationKey });
});

// A fresh table per test, so link counts are exact.
async function freshInstance() {
  tableCount += 1;
  const key = `contacts-${sfx}-${tableCount}`;
  await admin.dataLinkTables.create({ key, name: 'Contacts' });
  return customer.dataLinkTableInstance({ dataLinkTableKey: key, connectionId: connection.id, autoCreate: true });
}

// What a page of links must look like to a typed SDK caller.
function assertLinks(page) {
  assertSchema(FindDataLinksResponse, page, 'links page');
  for (const link of page.items) {
    assertSchema(DataLink, link, 'link');
    assert.ok(['import', 'export'].includes(link.direction), 'stored links are never "both"');
  }
  return page.items;
}

function pairs(links) {
  return links.map((l) => `${l.direction}:${l.externalRecordId}->${l.appRecordId}`).sort();
}

test('createLink answers 204, which the SDK returns as ""; findLinks finds it', { skip }, async () => {
  const instance = await freshInstance();
  const created = await instance.createLink({ externalRecordId: 'e1', appRecordId: 'a1', direction: 'import' });
  assert.equal(created, '');

  const links = assertLinks(await instance.findLinks({ direction: 'import', externalRecordId: 'e1' }));
  assert.equal(links.length, 1);
  assert.equal(links[0].appRecordId, 'a1');
  assert.equal(links[0].dataLinkTableInstanceId, await instance.getId());
  // The export direction was not written.
  assert.deepEqual(assertLinks(await instance.findLinks({ direction: 'export', externalRecordId: 'e1' })), []);
});

test('findLinks with autoCreate on a new connection creates the instance and finds nothing', { skip }, async () => {
  tableCount += 1;
  const key = `fresh-${sfx}-${tableCount}`;
  await admin.dataLinkTables.create({ key });
  const selector = { dataLinkTableKey: key, connectionId: connection.id };
  assert.deepEqual(
    assertLinks(await customer.dataLinkTableInstance({ ...selector, autoCreate: true }).findLinks({ appRecordId: 'a1' })),
    [],
  );
  // The instance now exists: the selector without autoCreate finds it.
  const instance = await customer.dataLinkTableInstance(selector).get();
  assert.equal(instance.connectionId, connection.id);
});

test('direction "both" stores one import and one export link', { skip }, async () => {
  const instance = await freshInstance();
  await instance.createLink({ externalRecordId: 'e1', appRecordId: 'a1', direction: 'both' });
  assert.deepEqual(pairs(assertLinks(await instance.findLinks())), ['export:e1->a1', 'import:e1->a1']);
  // As a filter, "both" matches either direction.
  assert.equal(assertLinks(await instance.findLinks({ direction: 'both', appRecordId: 'a1' })).length, 2);
});

test('a missing direction means both', { skip }, async () => {
  const instance = await freshInstance();
  await instance.createLink({ externalRecordId: 'e9', appRecordId: 'a9' });
  assert.deepEqual(pairs(assertLinks(await instance.findLinks())), ['export:e9->a9', 'import:e9->a9']);
});

test('a repeated createLink is an upsert, not a duplicate', { skip }, async () => {
  const instance = await freshInstance();
  const link = { externalRecordId: 'e1', appRecordId: 'a1', direction: 'export' };
  assert.equal(await instance.createLink(link), '');
  assert.equal(await instance.createLink(link), '');
  assert.equal(await instance.createLink({ ...link, direction: 'both' }), '');
  assert.deepEqual(pairs(assertLinks(await instance.findLinks())), ['export:e1->a1', 'import:e1->a1']);
});

test('findLinks filters by appRecordId, externalRecordId and direction, ANDed', { skip }, async () => {
  const instance = await freshInstance();
  await instance.createLink({ externalRecordId: 'e1', appRecordId: 'a1', direction: 'import' });
  await instance.createLink({ externalRecordId: 'e2', appRecordId: 'a1', direction: 'export' });
  await instance.createLink({ externalRecordId: 'e3', appRecordId: 'a3', direction: 'both' });

  assert.deepEqual(pairs(assertLinks(await instance.findLinks({ appRecordId: 'a1' }))), [
    'export:e2->a1',
    'import:e1->a1',
  ]);
  assert.deepEqual(pairs(assertLinks(await instance.findLinks({ externalRecordId: 'e3' }))), [
    'export:e3->a3',
    'import:e3->a3',
  ]);
  assert.deepEqual(pairs(assertLinks(await instance.findLinks({ direction: 'export', appRecordId: 'a1' }))), [
    'export:e2->a1',
  ]);
  // No match is an empty page, not a 404.
  assert.deepEqual(assertLinks(await instance.findLinks({ appRecordId: 'nobody' })), []);
  assert.equal(assertLinks(await instance.findLinks()).length, 4);
});

test('findLinks pages with limit and cursor (on the id selector too)', { skip }, async () => {
  const instance = await freshInstance();
  const made = [];
  for (let n = 0; n < 5; n += 1) {
    await instance.createLink({ externalRecordId: `e${n}`, appRecordId: `a${n}`, direction: 'import' });
    made.push(`import:e${n}->a${n}`);
  }
  // The only way to page links: findLinks({limit, cursor}) in a loop (no findAll).
  const byId = customer.dataLinkTableInstance(await instance.getId());
  const seen = [];
  let cursor;
  let pages = 0;
  do {
    const page = await byId.findLinks(cursor ? { limit: 2, cursor } : { limit: 2 });
    const links = assertLinks(page);
    assert.ok(links.length <= 2);
    seen.push(...links);
    cursor = page.cursor;
    pages += 1;
    assert.ok(pages <= 5, 'paging terminates');
  } while (cursor);
  assert.equal(pages, 3);
  assert.deepEqual(pairs(seen), made.sort());
  assert.equal(new Set(seen.map((l) => l.id)).size, 5);
});

test('deleteLink sends a JSON body on DELETE and is idempotent', { skip }, async () => {
  const instance = await freshInstance();
  await instance.createLink({ externalRecordId: 'e1', appRecordId: 'a1', direction: 'both' });
  await instance.createLink({ externalRecordId: 'e2', appRecordId: 'a2', direction: 'both' });

  await instance.deleteLink({ externalRecordId: 'e1', appRecordId: 'a1', direction: 'import' });
  assert.deepEqual(pairs(assertLinks(await instance.findLinks())), [
    'export:e1->a1',
    'export:e2->a2',
    'import:e2->a2',
  ]);
  // Deleting what is not there is still a success ("ensure absent").
  await instance.deleteLink({ externalRecordId: 'e1', appRecordId: 'a1', direction: 'import' });
  await instance.deleteLink({ externalRecordId: 'nothing', appRecordId: 'nothing', direction: 'both' });
  // "both" (and a missing direction) removes either direction.
  await instance.deleteLink({ externalRecordId: 'e2', appRecordId: 'a2', direction: 'both' });
  await instance.deleteLink({ externalRecordId: 'e1', appRecordId: 'a1' });
  assert.deepEqual(assertLinks(await instance.findLinks()), []);
});

test('links are per instance: instanceKey and connections keep them apart', { skip }, async () => {
  tableCount += 1;
  const key = `split-${sfx}-${tableCount}`;
  await admin.dataLinkTables.create({ key });
  const main = customer.dataLinkTableInstance({ dataLinkTableKey: key, connectionId: connection.id, autoCreate: true });
  const other = customer.dataLinkTableInstance({
    dataLinkTableKey: key,
    connectionId: connection.id,
    autoCreate: true,
    instanceKey: 'b',
  });
  await main.createLink({ externalRecordId: 'e1', appRecordId: 'a1', direction: 'import' });
  assert.deepEqual(assertLinks(await other.findLinks()), []);
  assert.equal(assertLinks(await main.findLinks()).length, 1);
});

test('links of another customer are out of reach', { skip }, async () => {
  const instance = await freshInstance();
  await instance.createLink({ externalRecordId: 'e1', appRecordId: 'a1', direction: 'import' });
  const instanceId = await instance.getId();

  const intruder = tenantClient(`intruder-${sfx}`);
  await assertMembraneError(intruder.dataLinkTableInstance(instanceId).findLinks(), 'not_found');
  await assertMembraneError(
    intruder.dataLinkTableInstance(instanceId).createLink({ externalRecordId: 'x', appRecordId: 'y' }),
    'not_found',
  );
  await assertMembraneError(
    intruder.dataLinkTableInstance(instanceId).deleteLink({ externalRecordId: 'e1', appRecordId: 'a1' }),
    'not_found',
  );
  assert.equal(assertLinks(await instance.findLinks()).length, 1);
});

test('bad link input is a typed 400', { skip }, async () => {
  const instance = await freshInstance();
  await assertMembraneError(instance.createLink({ externalRecordId: 'e1', appRecordId: 'a1', direction: 'sideways' }), 'validation_error');
  await assertMembraneError(instance.createLink({ appRecordId: 'a1', direction: 'import' }), 'validation_error');
  // Without autoCreate, an instance that does not exist yet is a 404.
  tableCount += 1;
  const key = `empty-${sfx}-${tableCount}`;
  await admin.dataLinkTables.create({ key });
  await assertMembraneError(
    customer.dataLinkTableInstance({ dataLinkTableKey: key, connectionId: connection.id }).findLinks(),
    'not_found',
  );
});
