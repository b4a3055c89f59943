// Connections (customer ↔ integration), the way to a connection's data sources and links.
import { page } from '../api.js';
import { append, checkbox, code, field, h, pagedTable, textInput, time } from '../ui.js';
import { customerCell, integrationCell } from './names.js';

const PAGE_SIZE = 25;

export function renderConnections({ container, params, navigate }) {
  document.title = 'Connections · datalinks console';
  const filters = {
    search: params.get('search') || '',
    customer: params.get('customer') || '',
    integrationKey: params.get('integrationKey') || '',
  };
  const archived = params.get('archived') === '1';
  const inputs = {
    search: textInput('search', filters.search, { type: 'search' }),
    customer: textInput('customer', filters.customer),
    integrationKey: textInput('integrationKey', filters.integrationKey),
  };
  const archivedInput = checkbox('archived', archived);
  const filterForm = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter connections' },
    h('div', { class: 'row' },
      field('Search by name', inputs.search),
      field('Customer', inputs.customer, 'Customer id or internal id.'),
      field('Integration key', inputs.integrationKey)),
    field('Include archived connections', archivedInput),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary' }, 'Apply filters')));
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(['connections'], {
      search: inputs.search.value.trim(),
      customer: inputs.customer.value.trim(),
      integrationKey: inputs.integrationKey.value.trim(),
      archived: archivedInput.checked ? '1' : '',
    });
  });

  const list = pagedTable({
    caption: 'Connections',
    columns: ['Name', 'Connection id', 'Customer', 'Integration', 'Created', 'Status', 'See'],
    fetch: (cursor) => page('/connections', {
      limit: PAGE_SIZE,
      search: filters.search,
      userId: filters.customer,
      integrationKey: filters.integrationKey,
      includeArchived: archived ? 'true' : undefined,
    }, cursor),
    row: (connection) => [
      h('span', {}, connection.name, connection.key ? [' ', code(connection.key)] : null),
      code(connection.id),
      customerCell(connection.userId),
      integrationCell(connection.integrationId),
      time(connection.createdAt),
      connection.archivedAt ? h('span', { class: 'tag archived' }, 'Archived') : h('span', { class: 'tag' }, 'Live'),
      h('span', { class: 'cell-actions' },
        h('a', { href: `#/connections/${encodeURIComponent(connection.id)}` }, 'Data sources'),
        h('a', { href: `#/instances?connectionId=${encodeURIComponent(connection.id)}` }, 'Link instances')),
    ],
    empty: () => h('div', { class: 'empty' },
      h('p', {}, 'No connection matches.'),
      h('p', {}, 'Customers create connections with ', code('POST /connections'), ' and a customer token.')),
  });

  append(container,
    h('h1', {}, 'Connections'),
    h('p', { class: 'lead' }, 'A connection is one customer’s link to one integration. Open its data sources, or the data-link instances it holds.'),
    filterForm,
    list.element,
  );
  list.first();
}
