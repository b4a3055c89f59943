// Tokens minted as Membrane's docs mint them, with `jsonwebtoken`: HS256, HS384 and HS512,
// admin and customer, the customer's `fields` included, then used by the SDK as they are.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import jwt from 'jsonwebtoken';

import { Client, apiUri, assertMembraneError, uniqueSuffix, workspaceKey, workspaceSecret } from './lib.mjs';

const sfx = uniqueSuffix();

// The docs' recipe, word for word but for the algorithm.
function docsToken(claims, algorithm) {
  return jwt.sign(claims, workspaceSecret, { issuer: workspaceKey, expiresIn: 7200, algorithm });
}

for (const algorithm of ['HS256', 'HS384', 'HS512']) {
  test(`an admin token signed with ${algorithm}`, async () => {
    const client = new Client({ apiUri, token: docsToken({ isAdmin: true }, algorithm) });
    const created = await client.dataLinkTables.create({ key: `tokens-${algorithm}-${sfx}` });
    assert.equal((await client.dataLinkTable(created.id).get()).key, `tokens-${algorithm}-${sfx}`);
  });

  test(`a customer token signed with ${algorithm} carries its fields`, async () => {
    const id = `cust-${algorithm}-${sfx}`;
    const fields = { userField: 'gold', seats: 5 };
    const client = new Client({ apiUri, token: docsToken({ id, name: 'Acme', fields }, algorithm) });
    const me = await client.self.get();
    assert.equal(me.internalId, id);
    assert.equal(me.name, 'Acme');
    assert.deepEqual(me.fields, fields);
    // A later token with other fields updates the customer.
    const later = new Client({ apiUri, token: docsToken({ id, fields: { userField: 'platinum' } }, algorithm) });
    assert.deepEqual((await later.self.get()).fields, { userField: 'platinum' });
    // It is a customer's token: workspace writes are refused.
    await assertMembraneError(client.dataLinkTables.create({ key: `no-${sfx}` }), 'access_denied');
  });

  test(`a ${algorithm} token with the wrong secret is not_authenticated`, async () => {
    const forged = jwt.sign({ isAdmin: true }, `${workspaceSecret}x`, {
      issuer: workspaceKey,
      expiresIn: 7200,
      algorithm,
    });
    await assertMembraneError(new Client({ apiUri, token: forged }).integrations.find(), 'not_authenticated');
  });
}
