// Instances of data-link tables, filtered by table, customer, integration, connection and
// instanceKey, each with its number of links.
import { page } from '../api.js';
import { append, checkbox, code, describeError, field, h, pagedTable, replace, textInput, time } from '../ui.js';
import { countLinks, countText } from './counts.js';
import { customerCell, integrationCell } from './names.js';

const PAGE_SIZE = 25;
const FILTERS = [
  // [hash param, API query param, label, hint]
  ['tableKey', 'dataLinkTableKey', 'Table key', null],
  ['customer', 'userId', 'Customer', 'Customer id or internal id.'],
  ['integrationKey', 'integrationKey', 'Integration key', null],
  ['connectionId', 'connectionId', 'Connection id', null],
  ['instanceKey', 'instanceKey', 'Instance key', 'Only instances with this key; the default instance has none.'],
];

export function renderInstances({ container, params, navigate }) {
  document.title = 'Instances · datalinks console';
  const archived = params.get('archived') === '1';
  const inputs = Object.fromEntries(FILTERS.map(([name]) => [name, textInput(name, params.get(name) || '')]));
  const archivedInput = checkbox('archived', archived);
  const filterForm = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter instances' },
    h('div', { class: 'row' }, FILTERS.map(([name, , label, hint]) => field(label, inputs[name], hint))),
    field('Include archived instances and tables', archivedInput),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'secondary' }, 'Apply filters'),
      h('a', { href: '#/instances', class: 'button-link' }, 'Clear filters')));
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = Object.fromEntries(FILTERS.map(([name]) => [name, inputs[name].value.trim()]));
    navigate(['instances'], { ...next, archived: archivedInput.checked ? '1' : '' });
  });

  const query = { limit: PAGE_SIZE, includeArchived: archived ? 'true' : undefined };
  for (const [name, apiName] of FILTERS) query[apiName] = params.get(name) || undefined;
  const active = FILTERS.filter(([name]) => params.get(name));

  // Counting runs for the rows on screen, one instance at a time, and stops when the page
  // changes (a newer page or another route).
  let countRun = 0;
  async function countRows(items, body) {
    const run = ++countRun;
    const wanted = () => run === countRun && body.isConnected;
    for (const [index, instance] of items.entries()) {
      const cell = body.rows[index]?.querySelector('.link-count');
      if (!cell || !wanted()) return;
      try {
        const counted = await countLinks(instance.id, { stillWanted: wanted });
        if (counted === null) return;
        replace(cell, h('a', { href: `#/instances/${encodeURIComponent(instance.id)}` }, countText(counted)));
      } catch (error) {
        replace(cell, h('span', { class: 'inline-error' }, `Could not count: ${describeError(error).text}`));
      }
    }
  }

  const list = pagedTable({
    caption: active.length
      ? `Instances where ${active.map(([name, , label]) => `${label.toLowerCase()} is ${params.get(name)}`).join(' and ')}`
      : 'All instances',
    columns: ['Instance of table', 'Customer', 'Connection', 'Integration', 'Instance key', 'Links', 'Created', 'Status'],
    fetch: (cursor) => page('/data-link-table-instances', query, cursor),
    row: (instance) => [
      // The way in: the table's name opens this instance's links.
      h('span', {},
        h('a', { href: `#/instances/${encodeURIComponent(instance.id)}` }, instance.name,
          h('span', { class: 'visually-hidden' }, ` links, instance ${instance.instanceKey ?? 'default'}`)),
        h('br'), h('span', { class: 'muted small' }, instance.key)),
      customerCell(instance.userId),
      h('a', { href: `#/connections/${encodeURIComponent(instance.connectionId)}`, title: 'Data sources of this connection' }, code(instance.connectionId)),
      integrationCell(instance.integrationId),
      instance.instanceKey ? code(instance.instanceKey) : h('span', { class: 'muted' }, 'default'),
      h('span', { class: 'link-count' }, h('span', { class: 'muted loading' }, 'counting…')),
      time(instance.createdAt),
      instance.archivedAt ? h('span', { class: 'tag archived' }, 'Archived')
        : instance.isDeactivated ? h('span', { class: 'tag archived' }, 'Table archived') : h('span', { class: 'tag' }, 'Live'),
    ],
    empty: () => h('div', { class: 'empty' },
      h('p', {}, active.length ? 'No instance matches these filters.' : 'No instances yet.'),
      h('p', {}, 'An instance appears the first time a connection uses a table, for example ',
        code('POST /data-link-table-instance/links?dataLinkTableKey=contacts&connectionId=…&autoCreate=true'),
        ', or with ', code('POST /data-link-table-instance?dataLinkTableKey=…&connectionId=…'), '.')),
    onPage: countRows,
  });

  append(container,
    h('h1', {}, 'Data-link table instances'),
    h('p', { class: 'lead' }, 'One instance per table, connection and instance key. Link counts are read page by page and stop at 5,000 (shown as “≥ 5,000”).'),
    filterForm,
    list.element,
  );
  list.first();
}
