import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./styles/app.css";
import { App } from "./App";
import { createEditor } from "./editor";

const editor = createEditor();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App editor={editor} />
  </StrictMode>,
);

// `?debug` exposes the page's stores to the console and to benchmarks driving the page.
if (new URLSearchParams(window.location.search).has("debug")) {
  Object.assign(window, { __nepi: { design: editor.design, run: editor.run } });
}
