import { useEffect, useState } from "react";

export type Theme = "light" | "dark";
const KEY = "tracklog.theme";

function systemTheme(): Theme {
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function stored(): Theme | null {
  try {
    const v = localStorage.getItem(KEY);
    return v === "light" || v === "dark" ? v : null;
  } catch {
    return null;
  }
}

/** Theme: the user's choice (localStorage) or prefers-color-scheme; sets <html data-theme>. */
export function useTheme(): [Theme, () => void] {
  const [choice, setChoice] = useState<Theme | null>(stored);
  const [system, setSystem] = useState<Theme>(systemTheme);
  useEffect(() => {
    const mq = window.matchMedia?.("(prefers-color-scheme: dark)");
    if (!mq) return;
    const on = () => setSystem(mq.matches ? "dark" : "light");
    mq.addEventListener("change", on);
    return () => mq.removeEventListener("change", on);
  }, []);
  const theme = choice ?? system;
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    window.dispatchEvent(new CustomEvent("tracklog-theme", { detail: theme }));
  }, [theme]);
  const toggle = () => {
    const next: Theme = theme === "dark" ? "light" : "dark";
    try {
      localStorage.setItem(KEY, next);
    } catch {
      /* private mode */
    }
    setChoice(next);
  };
  return [theme, toggle];
}

/** The current theme, for canvas code that must re-read CSS variables. */
export function useThemeName(): string {
  const [t, setT] = useState(() => document.documentElement.dataset.theme ?? "light");
  useEffect(() => {
    const on = (e: Event) => setT((e as CustomEvent<string>).detail);
    window.addEventListener("tracklog-theme", on);
    return () => window.removeEventListener("tracklog-theme", on);
  }, []);
  return t;
}

export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

export const PALETTE = ["#2563eb", "#e4572e", "#17a398", "#f3a712", "#8e44ad", "#d81b60", "#5d9c2f", "#00838f", "#795548", "#546e7a", "#ff7043", "#3949ab"];

export function colorFor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}
