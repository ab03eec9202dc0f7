// Test helper: a React root mounted in a fresh <div> for each test, unmounted after it.
// Call once at the top of a jsdom test file; read `mounted.root` inside tests.
import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach } from "vitest";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export interface Mounted {
  root: Root;
  host: HTMLDivElement;
}

export function mountRootPerTest(): Mounted {
  const mounted = {} as Mounted;
  beforeEach(() => {
    mounted.host = document.createElement("div");
    document.body.appendChild(mounted.host);
    mounted.root = createRoot(mounted.host);
  });
  afterEach(() => {
    act(() => mounted.root.unmount());
    mounted.host.remove();
  });
  return mounted;
}
