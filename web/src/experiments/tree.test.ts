import { describe, expect, it } from "vitest";
import type { Experiment } from "../api/types";
import { buildTree, experimentIdsUnder, filterTree, flattenTree } from "./tree";

const exp = (id: string, name: string): Experiment => ({ experiment_id: id, name });

describe("experiment tree", () => {
  const exps = [exp("0", "Default"), exp("1", "proj/feat/obj"), exp("2", "proj/feat/obj2"), exp("3", "proj/other"), exp("4", "proj"), exp("5", "zeta//x/")];
  const tree = buildTree(exps);

  it("nests by / and sorts labels", () => {
    expect(tree.map((n) => n.label)).toEqual(["Default", "proj", "zeta"]);
    const proj = tree[1]!;
    expect(proj.experiments.map((e) => e.experiment_id)).toEqual(["4"]);
    expect(proj.children.map((n) => n.label)).toEqual(["feat", "other"]);
    expect(proj.children[0]!.children.map((n) => n.path)).toEqual(["proj/feat/obj", "proj/feat/obj2"]);
  });

  it("ignores empty segments", () => {
    expect(tree[2]!.children[0]!.path).toBe("zeta/x");
    expect(tree[2]!.children[0]!.experiments[0]!.experiment_id).toBe("5");
  });

  it("collects ids under a folder", () => {
    expect(experimentIdsUnder(tree[1]!).sort()).toEqual(["1", "2", "3", "4"]);
  });

  it("filters keeping ancestors", () => {
    const f = filterTree(tree, "OBJ2");
    expect(f.map((n) => n.label)).toEqual(["proj"]);
    expect(f[0]!.children.map((n) => n.label)).toEqual(["feat"]);
    expect(f[0]!.children[0]!.children.map((n) => n.label)).toEqual(["obj2"]);
  });

  it("flattens honoring collapsed folders", () => {
    const flat = flattenTree(tree, new Set(["proj/feat"]));
    expect(flat.map((f) => `${f.depth}:${f.node.label}`)).toEqual(["0:Default", "0:proj", "1:feat", "1:other", "0:zeta", "1:x"]);
  });
});
