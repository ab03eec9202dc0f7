/** "1 run", "2 runs", "0 runs"; irregular plurals can be given. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}
