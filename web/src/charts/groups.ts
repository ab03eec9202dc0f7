/** Group metric keys into sections by the prefix before the first "/" (train/loss -> "train"). Unprefixed keys come first. */
export function groupByPrefix(keys: string[]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const k of keys) {
    const i = k.indexOf("/");
    const g = i > 0 ? k.slice(0, i) : "";
    const list = groups.get(g);
    if (list) list.push(k);
    else groups.set(g, [k]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b)));
}
