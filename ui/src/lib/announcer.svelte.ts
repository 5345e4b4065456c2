/**
 * The text of the two live regions in Layout: polite for progress, assertive for errors.
 * The visible error element is not itself live, so a screen reader hears each message once.
 */
export const live = $state({ polite: '', assertive: '' });

let pending: ReturnType<typeof setTimeout> | null = null;

function put(which: 'polite' | 'assertive', text: string): void {
  // Empty first, then fill on the next tick: the same message twice is announced twice.
  live[which] = '';
  if (pending) clearTimeout(pending);
  pending = setTimeout(() => {
    live[which] = text;
    pending = null;
  }, 50);
}

export const announce = (text: string) => put('polite', text);
export const announceError = (text: string) => put('assertive', text);

export function clearAnnouncements(): void {
  if (pending) clearTimeout(pending);
  pending = null;
  live.polite = '';
  live.assertive = '';
}
