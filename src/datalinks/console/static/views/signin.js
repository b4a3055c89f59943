// Sign in with a token, or with the workspace key and secret (the token is then signed here,
// in the browser, with WebCrypto; the secret is never stored or sent anywhere).
import { call } from '../api.js';
import { canMint, claimsOf, expired, mintToken, setToken } from '../session.js';
import { append, busy, code, errorRegion, field, h, textInput } from '../ui.js';

async function check(token) {
  const claims = claimsOf(token);
  if (!claims) {
    throw new Error('That is not a JWT: a token has three parts separated by dots.');
  }
  if (expired(claims)) {
    throw new Error('That token has expired: mint a new one.');
  }
  // Any authenticated read tells whether the server accepts the token.
  await call('GET', '/data-link-tables', { query: { limit: 1 }, token });
}

export function renderSignIn({ container, go }, { notice, next }) {
  document.title = 'Sign in · datalinks console';
  const errors = errorRegion();

  async function signIn(token, button) {
    errors.clear();
    await busy(button, async () => {
      try {
        await check(token);
      } catch (error) {
        errors.show(error);
        return;
      }
      setToken(token);
      // Back to where the visit started; that may be the very URL shown now (a link to a page
      // opened before signing in), so this re-renders rather than waiting for a hash change.
      go(next && next !== '#/signin' && !next.startsWith('#/signin?') ? next : '#/tables');
    });
  }

  const tokenInput = h('textarea', { name: 'token', rows: 4, required: true, spellcheck: 'false', autocomplete: 'off' });
  const tokenButton = h('button', { type: 'submit' }, 'Sign in with this token');
  const tokenForm = h('form', { class: 'card', 'aria-labelledby': 'token-heading' },
    h('h2', { id: 'token-heading' }, 'Paste an access token'),
    field('Access token (JWT)', tokenInput,
      ['Mint an admin token on the server with ', code('./dev datalinks token --workspace default --admin'), '.']),
    h('div', { class: 'actions' }, tokenButton));
  tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    signIn(tokenInput.value.trim(), tokenButton);
  });

  const keyInput = textInput('workspaceKey', '', { required: true });
  const secretInput = h('input', { type: 'password', name: 'workspaceSecret', required: true, autocomplete: 'off' });
  const customerInput = textInput('customerId');
  const mintButton = h('button', { type: 'submit' }, 'Sign in with key and secret');
  const mintForm = h('form', { class: 'card', 'aria-labelledby': 'mint-heading' },
    h('h2', { id: 'mint-heading' }, 'Or use the workspace key and secret'),
    field('Workspace key', keyInput),
    field('Workspace secret', secretInput, 'Used here to sign a one-hour token, then forgotten. It is never sent to the server.'),
    field('Customer internal id (optional)', customerInput, 'Leave empty for an admin token; fill in to see only that customer’s connections and links.'),
    canMint() ? null : h('p', { class: 'warning' },
      'This page is not a secure context (https or localhost), so the browser cannot sign a token here. Paste one instead.'),
    h('div', { class: 'actions' }, mintButton));
  mintForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    let token;
    try {
      token = await mintToken({
        workspaceKey: keyInput.value.trim(),
        workspaceSecret: secretInput.value,
        customerId: customerInput.value.trim() || undefined,
      });
    } catch (error) {
      errors.show(error);
      return;
    }
    secretInput.value = '';
    await signIn(token, mintButton);
  });

  append(container,
    h('h1', {}, 'Sign in'),
    h('p', {}, 'The console uses the same HTTP API as the SDK, with your token. It keeps the token in this browser tab only (session storage) until you sign out or close the tab.'),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    errors,
    h('div', { class: 'grid-2' }, tokenForm, mintForm),
  );
}
