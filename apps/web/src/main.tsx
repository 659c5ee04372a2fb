import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./styles/app.css";
import { App } from "./App";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// `?debug` exposes the stores to the console and to benchmarks driving the page.
if (new URLSearchParams(window.location.search).has("debug")) {
  void Promise.all([import("./designer/store"), import("./run/store")]).then(([d, r]) => {
    Object.assign(window, { __nepi: { design: d.useDesignStore, run: r.useRunStore } });
  });
}
