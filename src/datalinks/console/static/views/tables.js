// Data-link tables: list (search, archived too), create, archive and restore.
import { call, page } from '../api.js';
import { append, announce, busy, checkbox, code, errorRegion, field, h, pagedTable, textInput, time } from '../ui.js';

const PAGE_SIZE = 25;

export function renderTables({ container, params, navigate }) {
  document.title = 'Data-link tables · datalinks console';
  const search = params.get('search') || '';
  const archived = params.get('archived') === '1';

  // Create
  const createErrors = errorRegion();
  const nameInput = textInput('name', '', { required: true, maxlength: 1000 });
  const keyInput = textInput('key', '');
  const createButton = h('button', { type: 'submit' }, 'Create table');
  const createForm = h('form', { class: 'card', 'aria-labelledby': 'create-table-heading' },
    h('h2', { id: 'create-table-heading' }, 'Create a table'),
    h('div', { class: 'row' },
      field('Name', nameInput),
      field('Key (optional)', keyInput, 'Derived from the name when empty; no “/”.')),
    createErrors,
    h('div', { class: 'actions' }, createButton));
  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    createErrors.clear();
    const body = { name: nameInput.value.trim() };
    if (keyInput.value.trim()) body.key = keyInput.value.trim();
    busy(createButton, async () => {
      try {
        const table = await call('POST', '/data-link-tables', { body });
        nameInput.value = '';
        keyInput.value = '';
        announce(`Table “${table.name}” created with key ${table.key}.`);
        await list.first();
      } catch (error) {
        createErrors.show(error);
      }
    });
  });

  // Filter
  const searchInput = textInput('search', search, { type: 'search' });
  const archivedInput = checkbox('archived', archived);
  const filterForm = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter tables' },
    field('Search by name or key', searchInput),
    field('Show archived tables', archivedInput),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary' }, 'Apply')));
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(['tables'], { search: searchInput.value.trim(), archived: archivedInput.checked ? '1' : '' });
  });

  function actions(table) {
    const errors = errorRegion();
    const archivedNow = Boolean(table.archivedAt);
    const button = h('button', { type: 'button', class: archivedNow ? 'secondary' : 'danger' },
      archivedNow ? 'Restore' : 'Archive', h('span', { class: 'visually-hidden' }, ` table ${table.name}`));
    button.addEventListener('click', () => busy(button, async () => {
      errors.clear();
      try {
        if (archivedNow) {
          await call('POST', `/data-link-tables/${encodeURIComponent(table.id)}/restore`);
          announce(`Table “${table.name}” restored.`);
        } else {
          await call('DELETE', `/data-link-tables/${encodeURIComponent(table.id)}`);
          announce(`Table “${table.name}” archived. Its instances and links are kept.`);
        }
        await list.reload();
      } catch (error) {
        errors.show(error);
      }
    }));
    return h('div', { class: 'cell-actions' }, button, errors);
  }

  const list = pagedTable({
    caption: archived ? 'Data-link tables, archived ones included' : 'Data-link tables',
    columns: ['Name', 'Key', 'Id', 'Created', 'Status', 'Actions'],
    fetch: (cursor) => page('/data-link-tables', {
      limit: PAGE_SIZE, search, includeArchived: archived ? 'true' : undefined,
    }, cursor),
    row: (table) => [
      h('a', { href: `#/instances?tableKey=${encodeURIComponent(table.key)}${table.archivedAt ? '&archived=1' : ''}` }, table.name),
      code(table.key),
      code(table.id),
      time(table.createdAt),
      table.archivedAt ? h('span', { class: 'tag archived' }, 'Archived') : h('span', { class: 'tag' }, 'Live'),
      actions(table),
    ],
    empty: () => h('div', { class: 'empty' },
      h('p', {}, search ? `No table matches “${search}”.` : 'No data-link tables yet.'),
      h('p', {}, 'Create one with the form above (for example “Contacts”), or with ', code('POST /data-link-tables'), '. Each connection then gets its own instance of it, holding its links.')),
  });

  append(container,
    h('h1', {}, 'Data-link tables'),
    h('p', { class: 'lead' }, 'A table is a kind of record pairing (say “Contacts”). Open one to see its instances: one per connection, each holding that connection’s links.'),
    createForm,
    h('section', { 'aria-labelledby': 'tables-heading' },
      h('h2', { id: 'tables-heading' }, 'Tables'),
      filterForm,
      list.element),
  );
  list.first();
}
