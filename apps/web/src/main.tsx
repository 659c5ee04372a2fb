import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./styles/app.css";
import { App } from "./App";
import { useDesignStore } from "./designer/store";
import { useRunStore } from "./run/store";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// `?debug` exposes the stores to the console and to benchmarks driving the page.
if (new URLSearchParams(window.location.search).has("debug")) {
  Object.assign(window, { __nepi: { design: useDesignStore, run: useRunStore } });
}
