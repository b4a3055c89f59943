// Tokens and client options as the SDKs use them (contract §1.2): tokens from workspace
// credentials, tokens given as they are, and how an authentication failure reaches the caller.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CustomerApiResponse } from '@membranehq/sdk';

import {
  Client,
  adminClient,
  apiUri,
  assertMembraneError,
  assertSchema,
  credentialsClient,
  mintToken,
  uniqueSuffix,
  workspaceSecret,
} from './lib.mjs';

const sfx = uniqueSuffix();

test('an apiUri with a trailing slash works', async () => {
  const client = new Client({ apiUri: `${apiUri.replace(/\/$/, '')}/`, token: mintToken({ isAdmin: true }) });
  const page = await client.integrations.find({ limit: 1 });
  assert.ok(Array.isArray(page.items));
});

test('workspace credentials without tenantKey give a token that is refused', async () => {
  // The token is then just {iss, exp}: neither a customer nor an admin.
  const client = credentialsClient();
  await assertMembraneError(client.self.get(), 'not_authenticated');
});

test('expired, badly signed and unknown-workspace tokens are not_authenticated', async () => {
  const expired = new Client({ apiUri, token: mintToken({ isAdmin: true }, { ttlSeconds: -60 }) });
  await assertMembraneError(expired.integrations.find(), 'not_authenticated');

  const forged = credentialsClient({ workspaceSecret: `${workspaceSecret}-wrong`, tenantKey: `eve-${sfx}` });
  await assertMembraneError(forged.self.get(), 'not_authenticated');

  const stranger = credentialsClient({ workspaceKey: `no-such-workspace-${sfx}`, tenantKey: `eve-${sfx}` });
  await assertMembraneError(stranger.self.get(), 'not_authenticated');
});

test('the credentials option is sent with PATCH /self and never returned', async () => {
  const tenantKey = `cred-${sfx}`;
  // The constructor fires PATCH /self {credentials} without awaiting it; a rejection there
  // would be an unhandled rejection and fail this file.
  const client = credentialsClient({ tenantKey, credentials: { apiKey: 'secret-value' } });
  const me = assertSchema(CustomerApiResponse, await client.self.get());
  assert.equal(me.internalId, tenantKey);
  // The same request, awaited this time, so the check below follows a completed write.
  const patched = assertSchema(CustomerApiResponse, await client.setCredentials({ apiKey: 'secret-value' }));
  assert.equal(patched.credentials, undefined);
  const seen = await adminClient().customer(tenantKey).get();
  assert.equal(seen.credentials, undefined);
  assert.ok(!JSON.stringify(seen).includes('secret-value'));
});
