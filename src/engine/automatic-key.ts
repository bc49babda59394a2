/**
 * Keys of the form `<profile>-<workflow>-<number>` are the ones "+ New run" hands out. A person
 * typing one by hand (a half-typed `default-hello-0`, or `default-hello-7` ahead of the counter)
 * would make a run that looks automatic but sits outside the numbering: the landing page refuses
 * to create such keys (opening one that exists is fine).
 */
export function looksAutomatic(key: string, workflowId: string): boolean {
  const k = key.trim().toLowerCase();
  const tail = `-${workflowId.toLowerCase()}-`;
  const at = k.lastIndexOf(tail);
  if (at <= 0) return false;
  const profile = k.slice(0, at);
  const number = k.slice(at + tail.length);
  // Profile names never contain "-" (decision 7), so the profile part is one word.
  return !profile.includes('-') && /^\d+$/.test(number);
}
