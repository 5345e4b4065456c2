/** One shared ticking "now" for every countdown on screen, so they move together. */
export const clock = $state({ now: Date.now() });

export function startClock(): () => void {
  clock.now = Date.now();
  const id = setInterval(() => (clock.now = Date.now()), 1000);
  return () => clearInterval(id);
}
