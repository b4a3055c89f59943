// One instance's links: a page at a time, found by either record id, added and deleted with
// the SDK's calls (findLinks, createLink, deleteLink) on /data-link-table-instance/links?id=….
import { call, page } from '../api.js';
import {
  announce, append, busy, code, errorBox, errorRegion, field, h, pagedTable, select, textInput, time,
} from '../ui.js';
import { customerCell, integrationCell } from './names.js';

const PAGE_SIZE = 50;
const LINKS = '/data-link-table-instance/links';

function details(instance) {
  const entry = (term, value) => [h('dt', {}, term), h('dd', {}, value)];
  return h('dl', { class: 'details' },
    entry('Table', [instance.name, ' ', h('a', { href: `#/instances?tableKey=${encodeURIComponent(instance.key)}` }, code(instance.key))]),
    entry('Instance id', code(instance.id)),
    entry('Customer', [customerCell(instance.userId), ' ', h('a', { href: `#/instances?customer=${encodeURIComponent(instance.userId)}` }, 'other instances')]),
    entry('Connection', h('a', { href: `#/connections/${encodeURIComponent(instance.connectionId)}` }, code(instance.connectionId))),
    entry('Integration', integrationCell(instance.integrationId)),
    entry('Instance key', instance.instanceKey ? code(instance.instanceKey) : 'default (none)'),
    entry('Created', time(instance.createdAt)),
    entry('Status', instance.archivedAt ? ['Archived ', time(instance.archivedAt)]
      : instance.isDeactivated ? 'Its table is archived' : 'Live'));
}

export function renderLinks({ container, params, navigate }, instanceId) {
  document.title = 'Links · datalinks console';
  const selector = { id: instanceId };
  const filters = {
    externalRecordId: params.get('externalRecordId') || '',
    appRecordId: params.get('appRecordId') || '',
    direction: params.get('direction') || '',
  };
  const searching = Boolean(filters.externalRecordId || filters.appRecordId || filters.direction);

  const heading = h('h1', {}, 'Links of instance ', code(instanceId));
  const about = h('section', { 'aria-label': 'Instance' }, h('p', { class: 'muted loading' }, 'Loading the instance…'));
  call('GET', '/data-link-table-instance', { query: selector }).then((instance) => {
    heading.replaceChildren(`Links: ${instance.name}`, instance.instanceKey ? ` (${instance.instanceKey})` : '');
    document.title = `Links of ${instance.name} · datalinks console`;
    about.replaceChildren(details(instance));
  }, (error) => about.replaceChildren(errorBox(error)));

  // Add
  const addErrors = errorRegion();
  const externalInput = textInput('externalRecordId', '', { required: true, maxlength: 1000 });
  const appInput = textInput('appRecordId', '', { required: true, maxlength: 1000 });
  const directionInput = select('direction', [
    ['both', 'both (an import and an export link)'], ['import', 'import'], ['export', 'export'],
  ], 'both');
  const addButton = h('button', { type: 'submit' }, 'Add link');
  const addForm = h('form', { class: 'card', 'aria-labelledby': 'add-link-heading' },
    h('h2', { id: 'add-link-heading' }, 'Add a link'),
    h('div', { class: 'row' },
      field('External record id', externalInput, 'The record in the external app (say a CRM contact id).'),
      field('App record id', appInput, 'The record in your app.'),
      field('Direction', directionInput, 'import: external → app lookups; export: app → external.')),
    addErrors,
    h('div', { class: 'actions' }, addButton));
  addForm.addEventListener('submit', (event) => {
    event.preventDefault();
    addErrors.clear();
    const body = {
      externalRecordId: externalInput.value,
      appRecordId: appInput.value,
      direction: directionInput.value,
    };
    busy(addButton, async () => {
      try {
        await call('POST', LINKS, { query: selector, body });
        externalInput.value = '';
        appInput.value = '';
        announce(`Link added: ${body.externalRecordId} ↔ ${body.appRecordId} (${body.direction}).`);
        await list.first();
      } catch (error) {
        addErrors.show(error);
      }
    });
  });

  // Search
  const findExternal = textInput('externalRecordId', filters.externalRecordId, { type: 'search' });
  const findApp = textInput('appRecordId', filters.appRecordId, { type: 'search' });
  const findDirection = select('direction', [['', 'any'], ['import', 'import'], ['export', 'export']], filters.direction);
  const searchForm = h('form', { class: 'filters', role: 'search', 'aria-label': 'Find links' },
    h('div', { class: 'row' },
      field('External record id', findExternal),
      field('App record id', findApp),
      field('Direction', findDirection)),
    h('p', { class: 'hint' }, 'Ids are matched exactly (case and spaces count); fill in either or both.'),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'secondary' }, 'Find links'),
      searching ? h('a', { href: `#/instances/${encodeURIComponent(instanceId)}`, class: 'button-link' }, 'Show all links') : null));
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(['instances', instanceId], {
      externalRecordId: findExternal.value, appRecordId: findApp.value, direction: findDirection.value,
    });
  });

  function deleteButton(link) {
    const errors = errorRegion();
    const label = `${link.direction} link ${link.externalRecordId} ↔ ${link.appRecordId}`;
    const button = h('button', { type: 'button', class: 'danger' },
      'Delete', h('span', { class: 'visually-hidden' }, ` ${label}`));
    button.addEventListener('click', () => {
      if (!window.confirm(`Delete the ${label}?`)) return;
      busy(button, async () => {
        errors.clear();
        try {
          // deleteLink sends the triple as a JSON body, as the SDK does.
          await call('DELETE', LINKS, {
            query: selector,
            body: { externalRecordId: link.externalRecordId, appRecordId: link.appRecordId, direction: link.direction },
          });
          announce(`Deleted the ${label}.`);
          await list.reload();
        } catch (error) {
          errors.show(error);
        }
      });
    });
    return h('div', { class: 'cell-actions' }, button, errors);
  }

  const list = pagedTable({
    caption: searching ? 'Links matching the search' : 'Links, oldest first',
    columns: ['External record id', 'App record id', 'Direction', 'Updated', 'Actions'],
    fetch: (cursor) => page(LINKS, { ...selector, ...filters, limit: PAGE_SIZE }, cursor),
    row: (link) => [
      code(link.externalRecordId),
      code(link.appRecordId),
      h('span', { class: `tag ${link.direction}` }, link.direction),
      time(link.updatedAt),
      deleteButton(link),
    ],
    empty: () => searching
      ? h('div', { class: 'empty' },
        h('p', {}, 'No link matches this search.'),
        h('p', {}, 'Record ids must match exactly. Check the id, try the other side’s id, or ',
          h('a', { href: `#/instances/${encodeURIComponent(instanceId)}` }, 'show all links'), '.'))
      : h('div', { class: 'empty' },
        h('p', {}, 'This instance has no links yet.'),
        h('p', {}, 'Add one with the form above, or from your sync code with the SDK’s ',
          code('createLink'), ' (', code(`POST ${LINKS}?id=${instanceId}`), ').')),
  });

  append(container,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/instances' }, '← All instances')),
    heading,
    about,
    addForm,
    h('section', { 'aria-labelledby': 'links-heading' },
      h('h2', { id: 'links-heading' }, 'Links'),
      searchForm,
      list.element),
  );
  list.first();
}
