import type { DataDetail, PlanDetail, PlanSummary, RunDetail } from "@knitfab/api";
import { escapeHtml, escapeQuoted, localTimestamp } from "./html.js";

interface Edge {
  from: string;
  to: string;
  label: string;
}

/**
 * A lineage / plan graph rendered as Graphviz dot (cli.md §7). Edges may be declared before their
 * endpoints are known; an edge is emitted only once both endpoints are nodes, in the order it became
 * complete, so the output never has dangling edges.
 */
export class DotGraph {
  private readonly data = new Map<string, string>();
  private readonly runs = new Map<string, string>();
  private readonly plans = new Map<string, { dot: string; points: Set<string> }>();
  private readonly roots: string[] = [];
  private readonly nodes = new Set<string>();
  private pending: Edge[] = [];
  private readonly edges: Edge[] = [];
  private readonly edgeKeys = new Set<string>();

  hasData(knitId: string): boolean {
    return this.data.has(knitId);
  }

  hasRun(runId: string): boolean {
    return this.runs.has(runId);
  }

  hasPlan(planId: string): boolean {
    return this.plans.has(planId);
  }

  addData(detail: DataDetail, emphasise = false): void {
    if (this.data.has(detail.knitId)) return;
    const id = `d${detail.knitId}`;
    this.data.set(detail.knitId, dataNode(id, detail, emphasise));
    this.declare(id);
    const up = detail.upstream;
    this.link(`r${up.run.runId}`, id, up.log ? "(log)" : up.mountpoint.path);
    for (const down of detail.downstreams) this.link(id, `r${down.run.runId}`, down.mountpoint.path);
  }

  addRun(run: RunDetail, emphasise = false): void {
    if (this.runs.has(run.runId)) return;
    const id = `r${run.runId}`;
    this.runs.set(run.runId, runNode(id, run, emphasise));
    this.declare(id);
    for (const input of run.inputs) this.link(`d${input.knitId}`, id, input.path);
    for (const output of run.outputs) this.link(id, `d${output.knitId}`, output.path);
    if (run.log) this.link(id, `d${run.log.knitId}`, "(log)");
    if (run.inputs.length === 0) {
      const root = `root#${this.roots.length}`;
      this.roots.push(root);
      this.declare(root);
      this.link(root, id, "");
    }
  }

  addPlan(plan: PlanDetail, emphasise = false): void {
    if (this.plans.has(plan.planId)) return;
    const id = `p${plan.planId}`;
    const points = new Set<string>();
    this.plans.set(plan.planId, { dot: planNode(id, plan, emphasise), points });
    this.declare(id);
    for (const input of plan.inputs) {
      const point = `${id}@${input.path}`;
      points.add(point);
      this.declare(point);
      for (const up of input.upstreams) {
        this.link(up.log ? `p${up.plan.planId}@log` : `p${up.plan.planId}@${up.mountpoint.path}`, point, "");
      }
    }
    for (const output of plan.outputs) {
      const point = `${id}@${output.path}`;
      points.add(point);
      this.declare(point);
      for (const down of output.downstreams) this.link(point, `p${down.plan.planId}@${down.mountpoint.path}`, "");
    }
    if (plan.log) {
      const point = `${id}@log`;
      points.add(point);
      this.declare(point);
      for (const down of plan.log.downstreams) this.link(point, `p${down.plan.planId}@${down.mountpoint.path}`, "");
    }
  }

  private declare(nodeId: string): void {
    this.nodes.add(nodeId);
    const still: Edge[] = [];
    for (const edge of this.pending) {
      if (this.nodes.has(edge.from) && this.nodes.has(edge.to)) this.emit(edge);
      else still.push(edge);
    }
    this.pending = still;
  }

  private link(from: string, to: string, label: string): void {
    const edge = { from, to, label };
    if (this.nodes.has(from) && this.nodes.has(to)) this.emit(edge);
    else this.pending.push(edge);
  }

  private emit(edge: Edge): void {
    const key = `${edge.from}\u0000${edge.to}\u0000${edge.label}`;
    if (this.edgeKeys.has(key)) return;
    this.edgeKeys.add(key);
    this.edges.push(edge);
  }

  toDot(): string {
    const body = [
      ...this.data.values(),
      ...this.runs.values(),
      ...[...this.plans.values()].map((p) => p.dot),
      ...this.roots.map((r) => `\t"${r}"[shape=Mdiamond];\n`),
    ].join("");
    const edges = this.edges
      .map((e) => `\t"${escapeQuoted(e.from)}" -> "${escapeQuoted(e.to)}"${e.label ? ` [label="${escapeQuoted(e.label)}"]` : ""};\n`)
      .join("");
    return `digraph G {\n\tnode [shape=record fontsize=10]\n\tedge [fontsize=10]\n\n${body}\n${edges}\n}`;
  }
}

function splitTags(tags: string[]): { system: string[]; user: [string, string][] } {
  const system: string[] = [];
  const user: [string, string][] = [];
  for (const tag of tags) {
    const colon = tag.indexOf(":");
    const key = colon < 0 ? tag : tag.slice(0, colon);
    const value = colon < 0 ? "" : tag.slice(colon + 1);
    if (key === "knit#timestamp") system.unshift(localTimestamp(value));
    else if (key === "knit#transient") system.push(`knit#transient:${value}`);
    else if (key !== "knit#id") user.push([key, value]);
  }
  return { system, user };
}

function table(rows: string[]): string {
  return `\t\tlabel=<\n\t\t\t<TABLE CELLSPACING="0">\n${rows.map((r) => `\t\t\t\t${r}\n`).join("")}\t\t\t</TABLE>\n\t\t>\n`;
}

function dataNode(id: string, detail: DataDetail, emphasise: boolean): string {
  const { system, user } = splitTags(detail.tags);
  const rows = [
    `<TR><TD BGCOLOR="#1c9930"><FONT COLOR="#FFFFFF"><B>Data</B></FONT></TD><TD BGCOLOR="${emphasise ? "#d4ecc6" : "#FFFFFF"}">knit#id: ${escapeHtml(detail.knitId)}</TD></TR>`,
  ];
  if (system.length) rows.push(`<TR><TD COLSPAN="2"><FONT POINT-SIZE="8">${system.map(escapeHtml).join(" | ")}</FONT></TD></TR>`);
  if (user.length) rows.push(`<TR><TD COLSPAN="2">${user.map(([k, v]) => `<B>${escapeHtml(k)}</B>:${escapeHtml(v)}`).join("<BR/>")}</TD></TR>`);
  return `\t"${escapeQuoted(id)}"[\n\t\tshape=none\n\t\tcolor="#1c9930"\n${table(rows)}\t];\n\n`;
}

function statusCell(status: string): string {
  switch (status) {
    case "deactivated": return `<FONT COLOR="gray"><B>${status}</B></FONT>`;
    case "completing":
    case "done": return `<FONT COLOR="#007700"><B>${status}</B></FONT>`;
    case "aborting":
    case "failed": return `<FONT COLOR="red"><B>${status}</B></FONT>`;
    default: return escapeHtml(status);
  }
}

function planTitle(plan: PlanSummary): string {
  return plan.image !== undefined ? `image = ${escapeHtml(plan.image)}` : escapeHtml(plan.name);
}

function runNode(id: string, run: RunDetail, emphasise: boolean): string {
  const rows = [
    `<TR><TD BGCOLOR="#FFA500"><FONT COLOR="#FFFFFF"><B>Run</B></FONT></TD><TD>${statusCell(run.status)}</TD><TD BGCOLOR="${emphasise ? "#FFD580" : "#FFFFFF"}">id: ${escapeHtml(run.runId)}</TD></TR>`,
    `<TR><TD COLSPAN="3"><FONT POINT-SIZE="8">last updated: ${escapeHtml(localTimestamp(run.updatedAt))}</FONT></TD></TR>`,
    `<TR><TD COLSPAN="3">${planTitle(run.plan)}</TD></TR>`,
  ];
  return `\t"${escapeQuoted(id)}"[\n\t\tshape=none\n\t\tcolor="#FFA500"\n${table(rows)}\t];\n\n`;
}

function planNode(id: string, plan: PlanDetail, emphasise: boolean): string {
  const activeness = plan.active ? `<FONT COLOR="#007700">active</FONT>` : `<FONT COLOR="gray">inactive</FONT>`;
  const rows = [
    `<TR><TD BGCOLOR="#DAA520"><FONT COLOR="#FFFFFF"><B>Plan</B></FONT></TD><TD>${activeness}</TD><TD BGCOLOR="${emphasise ? "#EDD9B4" : "#FFFFFF"}">id: ${escapeHtml(plan.planId)}</TD></TR>`,
    `<TR><TD COLSPAN="3">${planTitle(plan)}</TD></TR>`,
  ];
  const annotations = plan.annotations ?? [];
  if (annotations.length) {
    rows.push(`<TR><TD COLSPAN="3">${annotations.map((a) => {
      const eq = a.indexOf("=");
      return `<B>${escapeHtml(a.slice(0, eq))}</B>=${escapeHtml(a.slice(eq + 1))}`;
    }).join("<BR/>")}</TD></TR>`);
  }
  const q = escapeQuoted;
  const lines: string[] = [];
  lines.push(`\tsubgraph {\n\t\tcluster=true;\n\t\tstyle=solid;\n\t\tpenwidth=0.3;\n\t\tcolor="#DAA520";\n\t\tmargin="0,0";\n\n`);
  for (const input of plan.inputs) {
    const point = `${id}@${input.path}`;
    lines.push(`\t\t"${q(point)}"[shape=point, color="#1c9930"];\n`);
    lines.push(`\t\t"${q(point)}" -> "${q(id)}" [label="${q(input.path)}", weight=10, penwidth=0.3];\n`);
  }
  lines.push(`\t"${q(id)}"[\n\t\tshape=none\n\t\tcolor="#DAA520"\n${table(rows)}\t];\n`);
  for (const output of plan.outputs) {
    const point = `${id}@${output.path}`;
    lines.push(`\t\t"${q(point)}"[shape=point, color="#1c9930", margin="0,0"];\n`);
    lines.push(`\t\t"${q(id)}" -> "${q(point)}" [label="${q(output.path)}", weight=10, penwidth=0.3];\n`);
  }
  if (plan.log) {
    const point = `${id}@log`;
    lines.push(`\t\t"${q(point)}"[shape=point, color="#1c9930", margin="0,0"];\n`);
    lines.push(`\t\t"${q(id)}" -> "${q(point)}" [label="(log)", weight=10, penwidth=0.3];\n`);
  }
  lines.push(`\t}\n\n`);
  return lines.join("");
}
