// Autocomplete for the run search language: completes identifiers (params./metrics./tags./attributes.)
// from the keys seen in loaded runs.
import { quoteKey, type KeysSeen } from "./runData";

export const ATTRIBUTES = ["run_id", "run_name", "status", "user_id", "start_time", "end_time", "artifact_uri"];
export const OPERATORS = ["=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL", "IN", "AND"];

export interface Completion {
  /** Replace text[from, to) with one of the suggestions. */
  from: number;
  to: number;
  suggestions: string[];
}

/** All identifiers the language accepts for the given keys. */
export function allIdentifiers(keys: KeysSeen): string[] {
  return [
    ...keys.metrics.map((k) => `metrics.${quoteKey(k)}`),
    ...keys.params.map((k) => `params.${quoteKey(k)}`),
    ...keys.tags.map((k) => `tags.${quoteKey(k)}`),
    ...ATTRIBUTES.map((a) => `attributes.${a}`),
  ];
}

/** The word under the cursor: identifier characters, dots and a backtick-quoted part. */
function wordAt(text: string, cursor: number): { from: number; word: string } {
  let from = cursor;
  let inTick = false;
  // a backtick-quoted key may contain spaces: scan back to an unmatched backtick if there is one
  const before = text.slice(0, cursor);
  const ticks = (before.match(/`/g) ?? []).length;
  if (ticks % 2 === 1) inTick = true;
  while (from > 0) {
    const ch = text[from - 1]!;
    if (ch === "`") {
      if (inTick) {
        inTick = false;
        from--;
        continue;
      }
      from--;
      continue;
    }
    if (inTick || /[\w.]/.test(ch)) {
      from--;
      continue;
    }
    break;
  }
  return { from, word: text.slice(from, cursor) };
}

export function complete(text: string, cursor: number, keys: KeysSeen, limit = 12): Completion | null {
  const { from, word } = wordAt(text, cursor);
  if (!word) return null;
  const w = word.toLowerCase().replace(/`/g, "");
  // Only complete where an identifier can stand: at start, or after AND / an opening paren.
  const head = text.slice(0, from).trimEnd();
  if (head && !/(^|\s)and$/i.test(head) && !head.endsWith("(")) return null;
  const all = allIdentifiers(keys);
  const starts = all.filter((id) => id.toLowerCase().replace(/`/g, "").startsWith(w));
  const contains = all.filter((id) => !starts.includes(id) && id.toLowerCase().replace(/`/g, "").includes(w));
  const suggestions = [...starts, ...contains].filter((s) => s !== word).slice(0, limit);
  return suggestions.length ? { from, to: cursor, suggestions } : null;
}

export function applyCompletion(text: string, c: Completion, suggestion: string): { text: string; cursor: number } {
  const insert = `${suggestion} `;
  return { text: text.slice(0, c.from) + insert + text.slice(c.to), cursor: c.from + insert.length };
}
