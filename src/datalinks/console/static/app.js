// Hash routes: #/signin, #/tables, #/instances?…, #/instances/{id}, #/connections?…,
// #/connections/{id}. Every page reads and writes through the public API only.
import { clearToken, claimsOf, expired, getToken } from './session.js';
import { clearStatus, formatTime, replace } from './ui.js';
import { renderSignIn } from './views/signin.js';
import { renderTables } from './views/tables.js';
import { renderInstances } from './views/instances.js';
import { renderLinks } from './views/links.js';
import { renderConnections } from './views/connections.js';
import { renderDataSources } from './views/data-sources.js';

const main = document.getElementById('main');
let signInNotice = '';

export function parseHash(hash = location.hash) {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { segments, params: new URLSearchParams(query) };
}

export function hashFor(segments, params = {}) {
  const path = segments.map(encodeURIComponent).join('/');
  const query = new URLSearchParams(
    Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== ''),
  ).toString();
  return `#/${path}${query ? `?${query}` : ''}`;
}

function go(target) {
  if (location.hash === target) render();
  else location.hash = target;
}

export function navigate(segments, params) {
  go(hashFor(segments, params));
}

function showSession(token) {
  const claims = claimsOf(token);
  const signedIn = Boolean(token);
  document.getElementById('main-nav').hidden = !signedIn;
  document.getElementById('session').hidden = !signedIn;
  if (!signedIn) return;
  const who = claims?.isAdmin === true ? 'admin' : claims?.id ? `customer ${claims.id}` : 'token';
  const workspace = claims?.iss ? `workspace ${claims.iss}` : 'unknown workspace';
  const until = typeof claims?.exp === 'number' ? `, until ${formatTime(new Date(claims.exp * 1000).toISOString())}` : '';
  document.getElementById('who').textContent = `Signed in to ${workspace} as ${who}${until}`;
}

function markSection(section) {
  for (const link of document.querySelectorAll('#main-nav a')) {
    if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

const routes = {
  tables: (ctx) => renderTables(ctx),
  instances: (ctx) => (ctx.segments[1] ? renderLinks(ctx, ctx.segments[1]) : renderInstances(ctx)),
  connections: (ctx) => (ctx.segments[1] ? renderDataSources(ctx, ctx.segments[1]) : renderConnections(ctx)),
};

export function render() {
  const { segments, params } = parseHash();
  const token = getToken();
  const claims = token ? claimsOf(token) : null;
  if (token && expired(claims)) {
    clearToken();
    signInNotice = 'Your token has expired; sign in again.';
  }
  showSession(getToken());
  const section = segments[0];
  // What the last page said is about that page.
  clearStatus();
  // A fresh container per page: answers that arrive for a page already left go nowhere.
  const container = document.createElement('div');
  container.className = 'page';
  replace(main, container);
  const ctx = { container, segments, params, navigate, go };
  if (!getToken() || section === 'signin') {
    markSection(null);
    const next = section && section !== 'signin' ? location.hash : params.get('next') || '';
    renderSignIn(ctx, { notice: signInNotice, next });
    signInNotice = '';
  } else if (routes[section]) {
    markSection(section);
    routes[section](ctx);
  } else {
    location.replace('#/tables');
    return;
  }
  // Keyboard and screen-reader users start at the new page's heading, not at the old link.
  const heading = container.querySelector('h1');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: false });
  }
}

window.addEventListener('hashchange', render);
window.addEventListener('console:unauthenticated', (event) => {
  // A refused token will not get better: back to sign-in, saying why, then where we were.
  clearToken();
  signInNotice = `The server refused the token: ${event.detail.message}. Sign in again.`;
  const here = location.hash;
  go(hashFor(['signin'], { next: here.startsWith('#/signin') ? '' : here }));
});
document.getElementById('sign-out').addEventListener('click', () => {
  clearToken();
  signInNotice = 'Signed out. The token was removed from this tab.';
  go('#/signin');
});
document.getElementById('skip-link').addEventListener('click', (event) => {
  // A plain #main would be taken for a route.
  event.preventDefault();
  main.focus();
});
render();
