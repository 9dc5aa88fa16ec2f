import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app.js";
import { ErrorBoundary } from "./components/error-boundary.js";
import { TokenPrompt } from "./components/token-prompt.js";
import "./styles.css";

const container = document.getElementById("root");
if (!container) throw new Error("the page has no #root element");
if (window.location.hash === "" || window.location.hash === "#/") window.location.replace("#/data");
createRoot(container).render(
  <StrictMode>
    <ErrorBoundary>
      <App />
      <TokenPrompt />
    </ErrorBoundary>
  </StrictMode>,
);
