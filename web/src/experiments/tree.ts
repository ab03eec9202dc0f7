// Build a folder tree from "/"-separated experiment names (project/feature/objective).
import type { Experiment } from "../api/types";

export interface TreeNode {
  /** Last name segment shown in the tree. */
  label: string;
  /** Full "/"-joined path of this node, unique in the tree. */
  path: string;
  /** Experiments whose name is exactly this path (normally 0 or 1). */
  experiments: Experiment[];
  children: TreeNode[];
}

export function splitName(name: string): string[] {
  const parts = name.split("/").map((p) => p.trim()).filter((p) => p.length > 0);
  return parts.length ? parts : [name];
}

export function buildTree(experiments: Experiment[]): TreeNode[] {
  const root: TreeNode = { label: "", path: "", experiments: [], children: [] };
  const index = new Map<string, TreeNode>();
  for (const exp of experiments) {
    let node = root;
    let path = "";
    for (const seg of splitName(exp.name)) {
      path = path ? `${path}/${seg}` : seg;
      let child = index.get(path);
      if (!child) {
        child = { label: seg, path, experiments: [], children: [] };
        index.set(path, child);
        node.children.push(child);
      }
      node = child;
    }
    node.experiments.push(exp);
  }
  sortTree(root.children);
  return root.children;
}

function sortTree(nodes: TreeNode[]): void {
  nodes.sort((a, b) => a.label.localeCompare(b.label, undefined, { numeric: true, sensitivity: "base" }));
  for (const n of nodes) sortTree(n.children);
}

/** Keep nodes whose full path matches the query (case-insensitive), with their ancestors; a matching folder keeps its subtree. */
export function filterTree(nodes: TreeNode[], query: string): TreeNode[] {
  const q = query.trim().toLowerCase();
  if (!q) return nodes;
  const out: TreeNode[] = [];
  for (const n of nodes) {
    if (n.path.toLowerCase().includes(q) || n.experiments.some((e) => e.name.toLowerCase().includes(q) || e.experiment_id === q)) {
      out.push(n);
      continue;
    }
    const kids = filterTree(n.children, q);
    if (kids.length) out.push({ ...n, children: kids });
  }
  return out;
}

/** All experiment ids at or below a node. */
export function experimentIdsUnder(node: TreeNode): string[] {
  const ids = node.experiments.map((e) => e.experiment_id);
  for (const c of node.children) ids.push(...experimentIdsUnder(c));
  return ids;
}

export interface FlatNode {
  node: TreeNode;
  depth: number;
}

/** Depth-first list of visible nodes, skipping children of collapsed paths. */
export function flattenTree(nodes: TreeNode[], collapsed: ReadonlySet<string>, depth = 0, out: FlatNode[] = []): FlatNode[] {
  for (const n of nodes) {
    out.push({ node: n, depth });
    if (n.children.length && !collapsed.has(n.path)) flattenTree(n.children, collapsed, depth + 1, out);
  }
  return out;
}
