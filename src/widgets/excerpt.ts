/**
 * The start of a value, for messages that quote what was sent: a tampered form may send megabytes
 * where a word was expected, and an error must not echo them all back.
 */
export function excerpt(value: string, max = 60): string {
  if (value.length <= max) return value;
  let head = value.slice(0, max);
  // Do not end on half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return `${head}…`;
}
