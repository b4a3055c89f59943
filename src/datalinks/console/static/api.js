// The public HTTP API, called exactly as the SDK calls it: bearer token, JSON bodies,
// `{items, cursor}` pages. Nothing here knows anything the API does not say.
import { getToken } from './session.js';

// The API sits beside the console: /console -> /. Relative, so a proxy prefix keeps working.
export const apiBase = new URL('.', document.baseURI);

// An error the API answered in Membrane's shape `{type, key?, message, data?}`, or a failure
// to reach it at all (status 0).
export class ApiError extends Error {
  constructor(status, body, fallback) {
    const shaped = body && typeof body === 'object' && typeof body.message === 'string';
    super(shaped ? body.message : fallback);
    this.name = 'ApiError';
    this.status = status;
    this.type = shaped ? body.type : undefined;
    this.key = shaped ? body.key : undefined;
    this.issues = shaped && Array.isArray(body.data?.issues) ? body.data.issues : [];
  }
}

export function url(path, query = {}) {
  const target = new URL(path.replace(/^\//, ''), apiBase);
  for (const [name, value] of Object.entries(query)) {
    // As URLSearchParams does in the SDK: nothing for null/undefined; an empty filter is no filter.
    if (value !== undefined && value !== null && value !== '') {
      target.searchParams.set(name, String(value));
    }
  }
  return target;
}

export async function call(method, path, { query, body, token } = {}) {
  // A token passed in is being tried (sign-in); only a refusal of the stored one signs out.
  const stored = token === undefined;
  if (stored) token = getToken();
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url(path, query), init);
  } catch (caught) {
    throw new ApiError(0, null, `Could not reach the server (${caught.message})`);
  }
  const text = await response.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      parsed,
      `HTTP ${response.status} ${response.statusText}`.trim(),
    );
    if (response.status === 401 && stored) {
      window.dispatchEvent(new CustomEvent('console:unauthenticated', { detail: error }));
    }
    throw error;
  }
  return parsed;
}

// One page of a list; `cursor` undefined = the first page. The answer's `cursor` is absent on
// the last page.
export async function page(path, query, cursor) {
  const answer = await call('GET', path, { query: { ...query, cursor } });
  return { items: answer.items ?? [], cursor: answer.cursor || undefined };
}
