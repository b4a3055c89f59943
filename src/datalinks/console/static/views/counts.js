// Link counts. The API has no count: the console counts by reading an instance's links a page
// of 1000 at a time, and stops at a cap so a huge instance costs a few requests, shown as
// "≥ cap". Instances are counted one after another, never all at once.
import { page } from '../api.js';

export const COUNT_CAP = 5000;
const COUNT_PAGE = 1000;

export async function countLinks(instanceId, { cap = COUNT_CAP, stillWanted = () => true } = {}) {
  let total = 0;
  let cursor;
  do {
    if (!stillWanted()) return null;
    const answer = await page('/data-link-table-instance/links', { id: instanceId, limit: COUNT_PAGE }, cursor);
    total += answer.items.length;
    cursor = answer.cursor;
    if (cursor && total >= cap) return { total, atLeast: true };
  } while (cursor);
  return { total, atLeast: false };
}

export function countText({ total, atLeast }) {
  return atLeast ? `≥ ${total.toLocaleString()}` : total.toLocaleString();
}
