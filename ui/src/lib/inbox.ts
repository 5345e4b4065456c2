import type { OutboxMessage } from './ipc';

/** Newest first: by time, then by id (ids grow), so a call's code is at the top. */
export function newestFirst(list: readonly OutboxMessage[]): OutboxMessage[] {
  return [...list].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id);
}
