// The token lives in this tab's session storage only; the workspace secret is never stored.
const STORAGE_KEY = 'datalinks.console.token';

export function getToken() {
  return sessionStorage.getItem(STORAGE_KEY) || '';
}

export function setToken(token) {
  sessionStorage.setItem(STORAGE_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(STORAGE_KEY);
}

function base64UrlEncode(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function base64UrlDecode(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

// The token's claims, read without checking the signature (only the server can): enough to
// say who is signed in and until when. Null when it is not a JWT at all.
export function claimsOf(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[1])));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

export function expired(claims, now = Date.now()) {
  return typeof claims?.exp === 'number' && claims.exp * 1000 <= now;
}

export function canMint() {
  return Boolean(window.isSecureContext && globalThis.crypto?.subtle);
}

// An HS256 JWT signed with the workspace secret, as the SDK and `datalinks token` make them:
// `iss` = workspace key, `isAdmin: true` or a customer's `id`, `iat` and `exp`.
export async function mintToken({ workspaceKey, workspaceSecret, customerId, ttlSeconds = 3600 }) {
  if (!canMint()) {
    throw new Error(
      'This browser can only sign tokens on a secure page (https, or http://localhost / ' +
        '127.0.0.1). Paste a token minted with `datalinks token` instead.',
    );
  }
  const encoder = new TextEncoder();
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: workspaceKey, iat: now, exp: now + ttlSeconds };
  if (customerId) claims.id = customerId;
  else claims.isAdmin = true;
  const encode = (value) => base64UrlEncode(encoder.encode(JSON.stringify(value)));
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(workspaceSecret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const signature = await crypto.subtle.sign('HMAC', key, encoder.encode(unsigned));
  return `${unsigned}.${base64UrlEncode(new Uint8Array(signature))}`;
}
