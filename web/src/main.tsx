import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { installAuthFetch } from "./auth/fetch";
import "./ui/theme.css";

installAuthFetch(); // CSRF header on writes, sign-in redirect on 401 (servers with --auth)

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
