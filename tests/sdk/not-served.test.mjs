// SDK calls datalinks does not serve (contract §11) reach the caller as typed 501
// not_implemented errors, not as 404s that read like a wrong URL. tests/test_not_served.py
// lists every such request of both SDKs; this file checks that each SDK surfaces them.
import { before, test } from 'node:test';

import { adminClient, assertMembraneError, sdkPackage, tenantClient, uniqueSuffix } from './lib.mjs';

const sfx = uniqueSuffix();
const admin = adminClient();
const integrationKey = `hubspot-${sfx}`;
const customer = tenantClient(`owner-${sfx}`);
let connection;

before(async () => {
  await admin.integrations.create({ key: integrationKey, name: 'HubSpot' });
  connection = customer.connection((await customer.connections.create({ integrationKey })).id);
});

test('connector-backed connection and integration calls', async () => {
  await assertMembraneError(connection.request('/contacts', {}), 'not_implemented');
  await assertMembraneError(connection.proxy.get('/contacts'), 'not_implemented');
  await assertMembraneError(connection.operation('list-contacts').run({}), 'not_implemented');
  await assertMembraneError(connection.dataCollection('contacts').list({}), 'not_implemented');
  await assertMembraneError(connection.refreshCredentials(), 'not_implemented');
  const integration = admin.integration(integrationKey);
  await assertMembraneError(integration.getConnectorSpec(), 'not_implemented');
  await assertMembraneError(integration.getOperations(), 'not_implemented');
  await assertMembraneError(integration.getOperation('list-contacts'), 'not_implemented');
  if (sdkPackage === '@integration-app/sdk') {
    await assertMembraneError(integration.disconnect(), 'not_implemented');
  }
});

test('flows, actions and field mappings, at every level', async () => {
  await assertMembraneError(admin.flows.find(), 'not_implemented');
  await assertMembraneError(admin.flowInstance({ flowKey: 'sync', connectionId: 'c1' }).get(), 'not_implemented');
  await assertMembraneError(admin.integration(integrationKey).actions.list(), 'not_implemented');
  await assertMembraneError(connection.fieldMapping('contacts').get(), 'not_implemented');
  await assertMembraneError(customer.connection(integrationKey).flow('sync').run({}), 'not_implemented');
});

test('writes through an object selector, and applying a data source', async () => {
  await assertMembraneError(admin.customer({ id: `nobody-${sfx}` }).patch({ name: 'N' }), 'not_implemented');
  await assertMembraneError(admin.dataSource({ key: `tasks-${sfx}` }).archive(), 'not_implemented');
  if (sdkPackage === '@integration-app/sdk') {
    await assertMembraneError(admin.dataSource(`tasks-${sfx}`).apply([integrationKey]), 'not_implemented');
  }
});
