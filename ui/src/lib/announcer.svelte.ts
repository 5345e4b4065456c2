/**
 * The text of the two live regions in Layout: polite for progress, assertive for errors.
 * The visible error element is not itself live, so a screen reader hears each message once.
 */
export const live = $state({ polite: '', assertive: '' });

type Region = 'polite' | 'assertive';

/** One timer per region: a progress message never cancels an error's, nor the reverse. */
const pending: Record<Region, ReturnType<typeof setTimeout> | null> = {
  polite: null,
  assertive: null,
};

function put(which: Region, text: string): void {
  // Empty first, then fill on the next tick: the same message twice is announced twice.
  live[which] = '';
  const timer = pending[which];
  if (timer) clearTimeout(timer);
  pending[which] = setTimeout(() => {
    live[which] = text;
    pending[which] = null;
  }, 50);
}

export const announce = (text: string) => put('polite', text);
export const announceError = (text: string) => put('assertive', text);

export function clearAnnouncements(): void {
  for (const which of ['polite', 'assertive'] as const) {
    const timer = pending[which];
    if (timer) clearTimeout(timer);
    pending[which] = null;
    live[which] = '';
  }
}
