// Instances and connections name their customer and integration by opaque ids; people know
// them by a customer's internal id (the token's `id`) and an integration's key. Each one is
// read once per token, and only when shown.
import { call } from '../api.js';
import { getToken } from '../session.js';
import { code, describeError, h, replace } from '../ui.js';

const known = new Map();
// What one token may read says nothing about the next one's.
let knownFor = null;

function lookup(path) {
  if (knownFor !== getToken()) {
    known.clear();
    knownFor = getToken();
  }
  if (!known.has(path)) {
    known.set(path, call('GET', path).catch((error) => ({ error })));
  }
  return known.get(path);
}

// The id at once; the readable name once read, with the id below it. One the token may not
// read (another customer's, for a customer token) stays shown by id, saying why on hover.
function nameCell(path, id, readable) {
  const cell = h('span', { class: 'named loading' }, code(id));
  lookup(path).then((element) => {
    cell.classList.remove('loading');
    if (element.error) {
      cell.title = `Could not read it: ${describeError(element.error).text}`;
      return;
    }
    replace(cell, code(readable(element)), h('br'), h('span', { class: 'muted small' }, id));
  });
  return cell;
}

export function customerCell(customerId) {
  return nameCell(`/customers/${encodeURIComponent(customerId)}`, customerId, (customer) => customer.internalId);
}

export function integrationCell(integrationId) {
  return nameCell(`/integrations/${encodeURIComponent(integrationId)}`, integrationId, (integration) => integration.key);
}
