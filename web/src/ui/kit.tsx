// The component kit: a few styled primitives over theme.css. Everything renders text as text.
import { useEffect, useRef, type ButtonHTMLAttributes, type ComponentProps, type ReactNode } from "react";

type Variant = "default" | "primary" | "danger" | "ghost";

export function Button({ variant = "default", small, className, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; small?: boolean }) {
  const cls = ["tl-btn", variant !== "default" ? variant : "", small ? "small" : "", className ?? ""].filter(Boolean).join(" ");
  return <button type="button" className={cls} {...rest} />;
}

export function TextInput({ invalid, className, ...rest }: ComponentProps<"input"> & { invalid?: boolean }) {
  return <input className={["tl-input", invalid ? "invalid" : "", className ?? ""].filter(Boolean).join(" ")} aria-invalid={invalid || undefined} {...rest} />;
}

export function Spinner({ label = "Loading" }: { label?: string }) {
  return <span className="tl-spinner" role="status" aria-label={label} />;
}

export function Loading({ what }: { what: string }) {
  return (
    <div className="tl-state">
      <Spinner /> Loading {what}…
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="tl-state">{children}</div>;
}

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  const msg = error instanceof Error ? error.message : String(error);
  return (
    <div className="tl-error" role="alert">
      {title ? <strong>{title}: </strong> : null}
      {msg}
    </div>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`tl-badge ${status}`}>{status}</span>;
}

export interface TabDef<T extends string> {
  id: T;
  label: string;
}

export function Tabs<T extends string>({ tabs, value, onChange }: { tabs: TabDef<T>[]; value: T; onChange: (t: T) => void }) {
  return (
    <div className="tl-tabs" role="tablist">
      {tabs.map((t) => (
        <button key={t.id} role="tab" className="tl-tab" aria-selected={t.id === value} onClick={() => onChange(t.id)}>
          {t.label}
        </button>
      ))}
    </div>
  );
}

/** A modal that asks for one line of text (create / rename) or a confirmation. */
export function PromptDialog(props: {
  title: string;
  label?: string;
  initial?: string;
  confirmLabel: string;
  danger?: boolean;
  error?: string | null;
  onConfirm: (value: string) => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => ref.current?.focus(), []);
  const submit = () => props.onConfirm(ref.current?.value ?? "");
  return (
    <div className="tl-dialog-backdrop" onMouseDown={props.onCancel}>
      <div
        className="tl-dialog"
        role="dialog"
        aria-label={props.title}
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === "Escape") props.onCancel();
        }}
      >
        <strong>{props.title}</strong>
        {props.label !== undefined ? (
          <label className="tl-col">
            <span className="tl-muted">{props.label}</span>
            <TextInput
              ref={ref}
              defaultValue={props.initial ?? ""}
              onKeyDown={(e) => {
                if (e.key === "Enter") submit();
              }}
            />
          </label>
        ) : null}
        {props.error ? <div className="tl-field-error">{props.error}</div> : null}
        <div className="tl-row" style={{ justifyContent: "flex-end" }}>
          <Button onClick={props.onCancel}>Cancel</Button>
          <Button variant={props.danger ? "danger" : "primary"} onClick={submit}>
            {props.confirmLabel}
          </Button>
        </div>
      </div>
    </div>
  );
}

export function formatTime(ms: number | undefined): string {
  if (!ms) return "";
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || ms < 0 || !Number.isFinite(ms)) return "";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function formatValue(v: number | string | undefined): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e6)) return v.toExponential(4);
  return String(Number(v.toPrecision(6)));
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
