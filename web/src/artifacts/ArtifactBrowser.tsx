import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { FileInfo } from "../api/types";
import { Empty, ErrorBox, formatBytes, Loading, Spinner } from "../ui/kit";
import { ArtifactPreview } from "./ArtifactPreview";

/** Artifact tree (artifacts/list, lazily per directory) and a preview of the chosen file. */
export function ArtifactBrowser({ runId, path, onSelect }: { runId: string; path: string; onSelect: (path: string) => void }) {
  const [sizes, setSizes] = useState<Map<string, FileInfo>>(() => new Map());
  const selected = sizes.get(path);
  return (
    <div className="tl-artifacts">
      <div className="tl-artifact-tree" role="tree" aria-label="Artifacts">
        <DirListing
          runId={runId}
          dir=""
          depth={0}
          selected={path}
          onSelect={onSelect}
          onListed={(files) =>
            setSizes((m) => {
              const n = new Map(m);
              files.forEach((f) => n.set(f.path, f));
              return n;
            })
          }
        />
      </div>
      <div className="tl-artifact-preview">
        {path ? (
          selected?.is_dir ? (
            <Empty>“{path}” is a directory.</Empty>
          ) : (
            <ArtifactPreview key={path} runId={runId} path={path} size={selected?.file_size} />
          )
        ) : (
          <Empty>Select a file to preview it.</Empty>
        )}
      </div>
    </div>
  );
}

function DirListing(props: { runId: string; dir: string; depth: number; selected: string; onSelect: (p: string) => void; onListed: (files: FileInfo[]) => void }) {
  const [files, setFiles] = useState<FileInfo[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<Set<string>>(() => {
    // open the directories leading to the selected path
    const s = new Set<string>();
    const parts = props.selected.split("/");
    for (let i = 1; i < parts.length; i++) s.add(parts.slice(0, i).join("/"));
    return s;
  });
  const { runId, dir, onListed } = props;
  useEffect(() => {
    const ctrl = new AbortController();
    api
      .listArtifacts(runId, dir, ctrl.signal)
      .then((fs) => {
        // the REST API gives paths relative to the run root; be lenient with basenames too
        const norm = fs.map((f) => ({ ...f, path: dir && !f.path.startsWith(`${dir}/`) ? `${dir}/${f.path}` : f.path }));
        norm.sort((a, b) => Number(Boolean(b.is_dir)) - Number(Boolean(a.is_dir)) || a.path.localeCompare(b.path));
        setFiles(norm);
        onListed(norm);
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setError(e);
      });
    return () => ctrl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runId, dir]);

  if (error) return <ErrorBox error={error} title="Could not list artifacts" />;
  if (!files) return props.depth === 0 ? <Loading what="artifacts" /> : <div style={{ paddingLeft: 8 + props.depth * 14 }}><Spinner /></div>;
  if (files.length === 0 && props.depth === 0) return <Empty>No artifacts.</Empty>;
  return (
    <>
      {files.map((f) => {
        const name = f.path.split("/").pop() ?? f.path;
        const isOpen = open.has(f.path);
        return (
          <div key={f.path}>
            <div
              className={`tl-tree-row${props.selected === f.path ? " selected" : ""}`}
              role="treeitem"
              aria-selected={props.selected === f.path}
              aria-expanded={f.is_dir ? isOpen : undefined}
              style={{ paddingLeft: 6 + props.depth * 14 }}
              title={f.path}
            >
              <span className="tl-caret">{f.is_dir ? (isOpen ? "▾" : "▸") : ""}</span>
              <span
                className={`tl-tree-label${f.is_dir ? " folder" : ""}`}
                tabIndex={0}
                onClick={() => {
                  if (f.is_dir) {
                    setOpen((s) => {
                      const n = new Set(s);
                      if (n.has(f.path)) n.delete(f.path);
                      else n.add(f.path);
                      return n;
                    });
                  } else props.onSelect(f.path);
                }}
                onKeyDown={(e) => {
                  if (e.key === "Enter") (e.target as HTMLElement).click();
                }}
              >
                
                {name}
              </span>
              {!f.is_dir ? <span className="tl-muted" style={{ fontSize: 12 }}>{formatBytes(f.file_size)}</span> : null}
            </div>
            {f.is_dir && isOpen ? <DirListing {...props} dir={f.path} depth={props.depth + 1} /> : null}
          </div>
        );
      })}
    </>
  );
}
