/**
 * Moves focus to the input an error names. Screens pass a map from the contract's field names
 * (camelCase, see errors.ts normaliseField) to their input ids.
 */
export function focusField(field: string | null, ids: Record<string, string>): boolean {
  if (!field) return false;
  const id = ids[field];
  const el = id ? document.getElementById(id) : null;
  if (!el) return false;
  el.focus();
  return true;
}
