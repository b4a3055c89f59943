// Small DOM helpers. Text always goes in as text nodes, never as markup: ids and names come
// from the API and may hold anything.

export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      element.className = value;
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, ...children);
  return element;
}

export function append(element, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, ...children);
}

let fieldCount = 0;

// A labelled input: every control gets a visible <label> tied to it by id.
export function field(label, input, hint) {
  const id = input.id || `field-${++fieldCount}`;
  input.id = id;
  let hintElement = null;
  if (hint) {
    hintElement = h('p', { class: 'hint', id: `${id}-hint` }, hint);
    input.setAttribute('aria-describedby', hintElement.id);
  }
  return h('div', { class: input.type === 'checkbox' ? 'field checkbox' : 'field' },
    input.type === 'checkbox' ? [input, h('label', { for: id }, label)] : [h('label', { for: id }, label), input],
    hintElement);
}

export function textInput(name, value = '', props = {}) {
  return h('input', { type: 'text', name, value, autocomplete: 'off', spellcheck: 'false', ...props });
}

export function checkbox(name, checked) {
  return h('input', { type: 'checkbox', name, checked: Boolean(checked) });
}

export function select(name, options, value) {
  const element = h('select', { name });
  for (const [optionValue, label] of options) {
    element.append(h('option', { value: optionValue, selected: optionValue === value }, label));
  }
  return element;
}

// An API error in words: its message, then key and HTTP status, then each invalid field.
export function describeError(error) {
  const where = [error.key, error.status ? `HTTP ${error.status}` : null].filter(Boolean).join(', ');
  const issues = (error.issues ?? []).map((issue) =>
    issue.path ? `${issue.path}: ${issue.message}` : issue.message,
  );
  return { text: where ? `${error.message} (${where})` : error.message, issues };
}

export function errorBox(error) {
  const { text, issues } = describeError(error);
  return h('div', { class: 'error', role: 'alert' },
    h('p', {}, h('strong', {}, 'Error: '), text),
    issues.length ? h('ul', {}, issues.map((issue) => h('li', {}, issue))) : null);
}

// A region that shows the latest error of one part of a page (and nothing when it is fine).
export function errorRegion() {
  const region = h('div', { class: 'error-region' });
  region.show = (error) => replace(region, errorBox(error));
  region.clear = () => replace(region);
  return region;
}

// Screen readers hear what a button did; everyone sees it in the status line for a while.
const STATUS_SECONDS = 8;
let statusTimer;

export function announce(message) {
  const status = document.getElementById('status');
  clearStatus();
  // A fresh text node is announced even when the message repeats.
  requestAnimationFrame(() => {
    status.textContent = message;
    statusTimer = setTimeout(clearStatus, STATUS_SECONDS * 1000);
  });
}

export function clearStatus() {
  clearTimeout(statusTimer);
  document.getElementById('status').textContent = '';
}

export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  });
}

export function time(iso) {
  return iso ? h('time', { datetime: iso, title: iso }, formatTime(iso)) : '—';
}

export function code(text) {
  return h('code', {}, text);
}

// Buttons and forms that wait on the API say so and cannot be pressed twice.
export async function busy(control, work) {
  control.disabled = true;
  control.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    control.disabled = false;
    control.removeAttribute('aria-busy');
  }
}

// A table that shows one page of a list at a time and follows the API's cursors with
// Previous / Next; it never loads more than a page.
//   columns: [label, ...]; row(item) -> [cell, ...] (nodes or text)
//   fetch(cursor) -> {items, cursor}; empty() -> node shown when the first page is empty
export function pagedTable({ caption, columns, row, fetch, empty, onPage }) {
  const errors = errorRegion();
  const body = h('tbody');
  const table = h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map((label) => h('th', { scope: 'col' }, label)))),
    body);
  const emptyHolder = h('div', { class: 'empty-holder' });
  const position = h('span', { class: 'page-position', 'aria-live': 'polite' });
  const previous = h('button', { type: 'button', class: 'secondary' }, 'Previous page');
  const next = h('button', { type: 'button', class: 'secondary' }, 'Next page');
  const nav = h('div', { class: 'pager', role: 'group', 'aria-label': `${caption}: pages` },
    previous, position, next);
  const wrapper = h('div', { class: 'paged' }, errors, h('div', { class: 'table-wrap' }, table), emptyHolder, nav);

  // Cursors of the pages before the current one; undefined = the first page.
  const history = [];
  let current;
  let following;
  let loading = false;

  // move: 'next' or 'previous' when the page changes, so the history follows only once the
  // page has arrived (a failed Next stays where it was).
  async function load(cursor, move) {
    loading = true;
    wrapper.setAttribute('aria-busy', 'true');
    try {
      const page = await fetch(cursor);
      errors.clear();
      if (move === 'next') history.push(current);
      if (move === 'previous') history.pop();
      current = cursor;
      following = page.cursor;
      body.replaceChildren(...page.items.map((item) => {
        const cells = row(item);
        return h('tr', {}, cells.map((cell, index) =>
          h(index === 0 ? 'th' : 'td', index === 0 ? { scope: 'row', 'data-label': columns[0] } : { 'data-label': columns[index] },
          // One box per cell, so the narrow layout's label / value grid has two parts.
          h('div', { class: 'cell' }, cell))));
      }));
      const none = page.items.length === 0;
      table.hidden = none;
      replace(emptyHolder, none ? (history.length ? h('p', { class: 'empty' }, 'Nothing more on this page.') : empty()) : null);
      nav.hidden = history.length === 0 && !following;
      position.textContent = `Page ${history.length + 1}`;
      onPage?.(page.items, body);
      return page;
    } catch (error) {
      errors.show(error);
      throw error;
    } finally {
      loading = false;
      wrapper.removeAttribute('aria-busy');
      previous.disabled = history.length === 0;
      next.disabled = !following;
    }
  }

  // A keyboard user who pressed Next onto the last page keeps focus on the pager.
  function turn(button, other, cursor, move) {
    if (loading) return;
    load(cursor, move).catch(() => {}).finally(() => {
      if (button.disabled && !other.disabled) other.focus();
    });
  }
  previous.addEventListener('click', () => turn(previous, next, history.at(-1), 'previous'));
  next.addEventListener('click', () => turn(next, previous, following, 'next'));

  return {
    element: wrapper,
    // From the first page again (after a new filter).
    first: () => { history.length = 0; return load(undefined).catch(() => {}); },
    // The page shown now, again (after a change on it).
    reload: () => load(current).catch(() => {}),
  };
}
