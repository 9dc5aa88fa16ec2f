import { ErrorBoundary } from "./components/error-boundary.js";
import { formatRoute, href, type Route, type Tab } from "./routing/routes.js";
import { useRoute } from "./routing/use-route.js";
import { DataDetailView } from "./views/data-detail.js";
import { DataList } from "./views/data-list.js";
import { DataCompareView } from "./views/data-compare.js";
import { LineageView } from "./views/lineage-view.js";
import { NotFoundView } from "./views/not-found.js";
import { PlanDetailView } from "./views/plan-detail.js";
import { PlanGraphView } from "./views/plan-graph-view.js";
import { PlanList } from "./views/plan-list.js";
import { RunDetailView } from "./views/run-detail.js";
import { RunList } from "./views/run-list.js";

const TAB_LABELS: Array<[Tab, string]> = [
  ["data", "Data"],
  ["plans", "Plans"],
  ["runs", "Runs"],
];

function Page({ route }: { route: Route }) {
  switch (route.view) {
    case "list":
      return route.tab === "data" ? <DataList /> : route.tab === "plans" ? <PlanList /> : <RunList />;
    case "detail":
      return route.tab === "data" ? <DataDetailView knitId={route.id} /> : route.tab === "plans" ? <PlanDetailView planId={route.id} /> : <RunDetailView runId={route.id} />;
    case "lineage":
      return <LineageView kind={route.tab === "data" ? "data" : "run"} id={route.id} />;
    case "graph":
      return <PlanGraphView planId={route.id} />;
    case "compare":
      return <DataCompareView left={route.id} right={route.other} />;
    case "notFound":
      return <NotFoundView tab={route.tab} hash={route.hash} />;
  }
}

export function App() {
  const route = useRoute();

  return (
    <div className="app">
      <header className="header">
        <span className="logo">Knitfab</span>
        <nav aria-label="Views">
          {TAB_LABELS.map(([tab, label]) => (
            <a key={tab} href={href.list(tab)} className={route.tab === tab ? "tab tab-current" : "tab"} aria-current={route.tab === tab ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span className="version muted">v{__KNITFAB_VERSION__}</span>
      </header>
      <main className="main" key={formatRoute(route)}>
        <ErrorBoundary>
          <Page route={route} />
        </ErrorBoundary>
      </main>
    </div>
  );
}
