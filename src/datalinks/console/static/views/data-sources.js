// The data-source instances of one connection: their path, collection, intervals and whether
// they differ from their data source, with reset (the SDK's dataSourceInstance(id).reset()).
import { call, page } from '../api.js';
import { append, announce, busy, code, errorBox, errorRegion, h, pagedTable, time } from '../ui.js';
import { customerCell, integrationCell } from './names.js';

const PAGE_SIZE = 25;

function interval(seconds) {
  if (typeof seconds !== 'number') return '—';
  const parts = [];
  let rest = seconds;
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]]) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  return h('span', { title: `${seconds} seconds` }, parts.join(' ') || '0 s');
}

function collection(instance) {
  if (!instance.collectionKey) return h('span', { class: 'muted' }, 'none');
  const parameters = instance.collectionParameters && Object.keys(instance.collectionParameters).length
    ? [' ', code(JSON.stringify(instance.collectionParameters))] : null;
  return h('span', {}, code(instance.collectionKey), parameters);
}

export function renderDataSources({ container }, connectionId) {
  document.title = 'Data sources · datalinks console';
  const heading = h('h1', {}, 'Data sources of connection ', code(connectionId));
  const about = h('section', { 'aria-label': 'Connection' }, h('p', { class: 'muted loading' }, 'Loading the connection…'));
  call('GET', `/connections/${encodeURIComponent(connectionId)}`, { query: { includeSecrets: 'false' } }).then((connection) => {
    heading.replaceChildren(`Data sources: ${connection.name}`);
    document.title = `Data sources of ${connection.name} · datalinks console`;
    about.replaceChildren(h('dl', { class: 'details' },
      h('dt', {}, 'Connection id'), h('dd', {}, code(connection.id)),
      h('dt', {}, 'Customer'), h('dd', {}, customerCell(connection.userId)),
      h('dt', {}, 'Integration'), h('dd', {}, integrationCell(connection.integrationId)),
      h('dt', {}, 'Created'), h('dd', {}, time(connection.createdAt)),
      h('dt', {}, 'Link instances'), h('dd', {},
        h('a', { href: `#/instances?connectionId=${encodeURIComponent(connection.id)}` }, 'Data-link instances of this connection'))));
  }, (error) => about.replaceChildren(errorBox(error)));

  function resetButton(instance) {
    const errors = errorRegion();
    const button = h('button', { type: 'button', class: instance.isCustomized ? 'danger' : 'secondary' },
      'Reset', h('span', { class: 'visually-hidden' }, ` data source ${instance.name}${instance.instanceKey ? ` (${instance.instanceKey})` : ''}`));
    button.title = 'Back to the data source’s settings';
    button.addEventListener('click', () => {
      if (!window.confirm(`Reset “${instance.name}” on this connection to its data source’s settings?`)) return;
      busy(button, async () => {
        errors.clear();
        try {
          await call('POST', '/data-source-instance/reset', { query: { id: instance.id } });
          announce(`“${instance.name}” reset to its data source’s settings.`);
          await list.reload();
        } catch (error) {
          errors.show(error);
        }
      });
    });
    return h('div', { class: 'cell-actions' }, button, errors);
  }

  const list = pagedTable({
    caption: 'Data sources of this connection',
    columns: ['Data source', 'Instance key', 'Path', 'Collection', 'Pull updates every', 'Full sync every', 'Customized', 'Updated', 'Actions'],
    fetch: (cursor) => page(`/connections/${encodeURIComponent(connectionId)}/data-sources`, { limit: PAGE_SIZE }, cursor),
    row: (instance) => [
      h('span', {}, instance.name, ' ', code(instance.key)),
      instance.instanceKey ? code(instance.instanceKey) : h('span', { class: 'muted' }, 'default'),
      instance.path ? code(instance.path) : h('span', { class: 'muted' }, 'none'),
      collection(instance),
      interval(instance.pullUpdatesIntervalSeconds),
      interval(instance.fullSyncIntervalSeconds),
      instance.isCustomized ? h('span', { class: 'tag customized' }, 'Yes') : h('span', { class: 'tag' }, 'No'),
      time(instance.updatedAt),
      resetButton(instance),
    ],
    empty: () => h('div', { class: 'empty' },
      h('p', {}, 'This connection has no data-source instances.'),
      h('p', {}, 'One is made when the connection first uses a data source, e.g. the SDK’s ',
        code('connection(id).dataSource(key).create()'), ' (', code(`PUT /connections/${connectionId}/data-sources/{key}`), ').')),
  });

  append(container,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/connections' }, '← All connections')),
    heading,
    about,
    h('section', { 'aria-labelledby': 'sources-heading' },
      h('h2', { id: 'sources-heading' }, 'Data-source instances'),
      h('p', { class: 'hint' }, 'datalinks stores these settings; it runs no syncs. “Customized” means a setting differs from the data source’s; Reset puts the data source’s values back.'),
      list.element),
  );
  list.first();
}
