#!/usr/bin/env node
// Console at scale, in headless Chromium (playwright-core, as the console's tests): a server filled
// through its API with lineages of about --nodes nodes each (a root Data read by ITEMS runs of an
// inactive 2-input plan, each with its item, the item's upload run, an output and a log: 5 nodes
// per item, 2 for the root), the lineage view opened on the root, the fan-out group expanded in
// place, and the time from that click to the graph drawn (every node laid out, details loaded,
// two animation frames later) measured in the page. On the largest size, pan (drag) and zoom
// (wheel) are played and the time from each input event to the frame after it is measured.
// Baselines, same run: the console's own layout function (ELK, same options) alone in Node on a
// graph of the same shape, and a static SVG of as many cards and edges drawn in the same Chromium
// (and, for pan and zoom, the same input played on that SVG moved by a transform).
// Run `npm run build` first. Usage: node bench/console-scale.mjs [--nodes 2000,10000] [--timeout-s 900]
// --timeout-s bounds the page part of each size (open, expand); past it, what was reached is printed.
// The functions passed to page.evaluate run in the browser page, with its globals:
/* global window, document, requestAnimationFrame, MutationObserver, Element */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import ELK from "elkjs/lib/elk.bundled.js";
import { chromium } from "playwright-core";
import { consoleDistPath } from "../packages/console/dist-path.js";
import { api, ROOT, startServer, tag, upload } from "./lib.mjs";
import { fail, main } from "./lib/args.mjs";
import { loadAverage } from "./lib/hog.mjs";
import { fixed, percentile, printTable, timed } from "./lib/stats.mjs";

const USAGE = "usage: node bench/console-scale.mjs [--nodes 2000,10000] [--timeout-s 900]   (CHROMIUM_PATH, default /usr/bin/chromium)";
const options = (() => {
  let values;
  try {
    ({ values } = parseArgs({ options: { nodes: { type: "string" }, "timeout-s": { type: "string" }, help: { type: "boolean" } }, strict: true }));
  } catch (error) {
    fail(`${error.message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const sizes = (values.nodes ?? "2000,10000").split(",").map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 12)) fail(`--nodes must be whole numbers of at least 12, got "${values.nodes}"\n${USAGE}`);
  const timeoutS = Number(values["timeout-s"] ?? 900);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) fail(`--timeout-s must be a positive number\n${USAGE}`);
  return { sizes, timeoutMs: timeoutS * 1000 };
})();
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Items per lineage: 5 nodes each, 2 for the root and its upload run. */
const itemsFor = (nodes) => Math.max(2, Math.round((nodes - 2) / 5));

/** The lineage's shape as the console draws it expanded: node ids, card sizes (graph-canvas.tsx), edges. */
function lineageShape(items) {
  const DATA = { width: 250, height: 30 + 18 * 3 + 18 };
  const RUN = { width: 250, height: 30 + 18 * 2 + 18 };
  const LOG = { width: 250, height: 30 + 18 * 3 + 18 }; // logs and outputs are Data cards
  const nodes = [{ id: "root", ...DATA }, { id: "root-upload", ...RUN }];
  const edges = [{ id: "e-root-upload", source: "root-upload", target: "root" }];
  for (let i = 0; i < items; i++) {
    nodes.push({ id: `item${i}`, ...DATA }, { id: `upload${i}`, ...RUN }, { id: `run${i}`, ...RUN }, { id: `out${i}`, ...DATA }, { id: `log${i}`, ...LOG });
    edges.push(
      { id: `e-upload${i}`, source: `upload${i}`, target: `item${i}` },
      { id: `e-root${i}`, source: "root", target: `run${i}` },
      { id: `e-item${i}`, source: `item${i}`, target: `run${i}` },
      { id: `e-out${i}`, source: `run${i}`, target: `out${i}` },
      { id: `e-log${i}`, source: `run${i}`, target: `log${i}` },
    );
  }
  return { nodes, edges };
}

/** The console's own `layoutGraph` (packages/console/src/graph/layout.ts), compiled here, so the baseline runs exactly its ELK options. */
async function loadConsoleLayout(folder) {
  const out = join(folder, "layout.mjs");
  await build({ entryPoints: [join(ROOT, "packages/console/src/graph/layout.ts")], bundle: true, outfile: out, format: "esm", platform: "node", logLevel: "error" });
  return (await import(pathToFileURL(out).href)).layoutGraph;
}

/** Fills the server: an inactive plan (runs are projected, none executes), a root and `items` items. */
async function fillLineage(server, name, items) {
  const plan = await api(server.apiRoot, "/plans/", {
    method: "POST",
    body: JSON.stringify({
      image: "localhost/busybox:test",
      entrypoint: ["true"],
      inputs: [
        { path: "/in/root", tags: [`${name}:root`] },
        { path: "/in/item", tags: [`${name}:item`] },
      ],
      outputs: [{ path: "/out", tags: [`${name}:out`] }],
      log: { tags: [`${name}:log`] },
      active: false,
    }),
  });
  const root = await upload(server.apiRoot, `${name} root\n`);
  await tag(server.apiRoot, root, [`${name}:root`]);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < items) {
        const i = next++;
        await tag(server.apiRoot, await upload(server.apiRoot, `${name} item ${i}\n`), [`${name}:item`, `n:${i}`]);
      }
    }),
  );
  for (;;) {
    const runs = await api(server.apiRoot, `/runs/?plan=${plan.planId}`);
    if (runs.length >= items) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return root;
}

/** In the page: times from the click on the expand button to the canvas complete with ≥ `expected` nodes, plus two frames. */
function armExpandTimer(page, expected) {
  return page.evaluate((expected) => {
    window.__expand = new Promise((resolve) => {
      let clickedAt;
      let firstDrawnAt;
      const canvas = () => document.querySelector(".canvas");
      const check = () => {
        const element = canvas();
        if (clickedAt === undefined || !element) return;
        const count = Number(element.getAttribute("data-node-count"));
        if (count >= expected && firstDrawnAt === undefined) firstDrawnAt = performance.now();
        if (count >= expected && element.getAttribute("data-complete") === "true") {
          observer.disconnect();
          requestAnimationFrame(() => requestAnimationFrame(() => resolve({ firstDrawnMs: firstDrawnAt - clickedAt, completeMs: performance.now() - clickedAt, nodes: count })));
        }
      };
      const observer = new MutationObserver(check);
      document.addEventListener(
        "click",
        (event) => {
          if (event.target instanceof Element && event.target.closest("button")?.textContent?.startsWith("Expand all")) {
            clickedAt = event.timeStamp;
            observer.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-node-count", "data-complete"], childList: true });
          }
        },
        { capture: true },
      );
    });
  }, expected);
}

/** In the page: from now, each wheel and pointermove event's time to the second animation frame after it (the frame that shows it). */
function armInputTimer(page) {
  return page.evaluate(() => {
    const latencies = [];
    const frames = [];
    let last = performance.now();
    let running = true;
    const frame = (now) => {
      frames.push(now - last);
      last = now;
      if (running) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    // The frames over 100 ms, with where their time went (Long Animation Frames API): scripts (by
    // function), then style and layout, then paint; and the input that came last before each.
    const longFrames = [];
    let lastInput = "none";
    const inputCounts = { wheel: 0, pointermove: 0 };
    const observer = new window.PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.duration < 100) continue;
        const end = entry.startTime + entry.duration;
        const renderStart = entry.renderStart || end;
        const styleStart = entry.styleAndLayoutStart || renderStart;
        longFrames.push({
          ms: Math.round(entry.duration),
          scriptMs: Math.round(entry.scripts.reduce((sum, script) => sum + script.duration, 0)),
          renderMs: Math.round(styleStart - renderStart),
          styleLayoutPaintMs: Math.round(end - styleStart),
          after: lastInput,
          scripts: [...entry.scripts]
            .sort((left, right) => right.duration - left.duration)
            .slice(0, 3)
            .map((script) => `${script.invoker || script.invokerType} ${script.sourceFunctionName || "?"}@${(script.sourceURL || "").split("/").pop()}:${script.sourceCharPosition} ${Math.round(script.duration)} ms (forced style/layout ${Math.round(script.forcedStyleAndLayoutDuration)} ms)`),
        });
      }
    });
    try {
      observer.observe({ type: "long-animation-frame", buffered: false });
    } catch {
      // a browser without the Long Animation Frames API: no breakdown
    }
    const onInput = (event) => {
      const at = event.timeStamp;
      inputCounts[event.type] = (inputCounts[event.type] ?? 0) + 1;
      lastInput = `${event.type} #${inputCounts[event.type]}`;
      requestAnimationFrame(() => requestAnimationFrame(() => latencies.push(performance.now() - at)));
    };
    window.addEventListener("wheel", onInput, { capture: true, passive: true });
    window.addEventListener("pointermove", onInput, { capture: true, passive: true });
    window.__inputs = () => {
      running = false;
      window.removeEventListener("wheel", onInput, { capture: true });
      window.removeEventListener("pointermove", onInput, { capture: true });
      observer.disconnect();
      return { latencies, frames: frames.slice(1), longFrames };
    };
  });
}

/** Plays zoom (wheel in and out) and pan (drag) over the middle of the viewport. */
async function playPanZoom(page) {
  await page.mouse.move(640, 400);
  for (let i = 0; i < 10; i++) {
    await page.mouse.wheel(0, i < 5 ? -120 : 120);
    await page.waitForTimeout(60);
  }
  for (let round = 0; round < 2; round++) {
    await page.mouse.move(500, 400);
    await page.mouse.down();
    for (let step = 1; step <= 20; step++) {
      await page.mouse.move(500 + step * 12 * (round ? -1 : 1), 400 + step * 6);
      await page.waitForTimeout(16);
    }
    await page.mouse.up();
  }
  await page.waitForTimeout(200);
}

/** A static SVG of the same cards and edges (grid positions), drawn in the page; returns ms to drawn. */
async function drawStaticSvg(page, shape) {
  await page.setContent("<!doctype html><html><body style='margin:0;overflow:hidden'></body></html>");
  return page.evaluate((shape) => {
    const start = performance.now();
    const columns = Math.ceil(Math.sqrt(shape.nodes.length));
    const at = new Map(shape.nodes.map((n, i) => [n.id, { x: (i % columns) * 290, y: Math.floor(i / columns) * 160, ...n }]));
    const parts = [];
    for (const e of shape.edges) {
      const a = at.get(e.source);
      const b = at.get(e.target);
      parts.push(`<path d="M${a.x + 125},${a.y + a.height} L${b.x + 125},${b.y}" stroke="#888" fill="none"/>`);
    }
    for (const n of at.values()) {
      parts.push(`<g transform="translate(${n.x},${n.y})"><rect width="${n.width}" height="${n.height}" rx="6" fill="#fff" stroke="#333"/><text x="8" y="20" font-size="13">${n.id}</text><text x="8" y="38" font-size="12">tag: value</text></g>`);
    }
    document.body.innerHTML = `<svg id="svg" width="1280" height="800"><g id="view">${parts.join("")}</g></svg>`;
    // Pan and zoom as a transform of the whole drawing, the cheapest way a static SVG can answer.
    let scale = 1;
    let x = 0;
    let y = 0;
    let dragging;
    const view = document.getElementById("view");
    const apply = () => view.setAttribute("transform", `translate(${x},${y}) scale(${scale})`);
    window.addEventListener("wheel", (event) => { scale *= event.deltaY < 0 ? 1.1 : 1 / 1.1; apply(); }, { passive: true });
    window.addEventListener("pointerdown", (event) => { dragging = { x: event.clientX - x, y: event.clientY - y }; });
    window.addEventListener("pointermove", (event) => { if (dragging) { x = event.clientX - dragging.x; y = event.clientY - dragging.y; apply(); } });
    window.addEventListener("pointerup", () => { dragging = undefined; });
    return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - start))));
  }, shape);
}

async function panZoomFigures(page) {
  await armInputTimer(page);
  await playPanZoom(page);
  return page.evaluate(() => window.__inputs());
}

async function measureSize(browser, server, layoutGraph, nodes) {
  const items = itemsFor(nodes);
  const name = `scale${nodes}`;
  console.error(`console-scale: filling a lineage of ${items} items (${5 * items + 2} nodes) through the API ...`);
  const fill = await timed(() => fillLineage(server, name, items));
  console.error(`  filled in ${fixed(fill.ms / 1000, 1)} s`);
  const loadBefore = loadAverage();

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // One deadline for the whole page part of a size; past it, what was reached is reported.
  const deadline = Date.now() + options.timeoutMs;
  const left = () => Math.max(1000, deadline - Date.now());
  const expected = 5 * items + 2;
  let console_ = { expected, reached: 0, stage: "opening the lineage view" };
  try {
    await page.goto(`${server.url}/#/data/${fill.result}/lineage`);
    await page.locator(".canvas[data-first-render-ms]").waitFor({ timeout: left() });
    console_.stage = "waiting for the fan-out group card";
    const group = page.getByTestId("node-group");
    await group.waitFor({ state: "visible", timeout: left() });
    await group.click();
    console_.stage = `waiting for "Expand all ${items} runs in place"`;
    const expand = page.getByTestId("group-panel").getByRole("button", { name: `Expand all ${items} runs in place` });
    await expand.waitFor({ timeout: left() });
    await armExpandTimer(page, expected);
    console_.stage = "expanding";
    await expand.click();
    const expanded = await page.evaluate((ms) => Promise.race([window.__expand, new Promise((resolve) => setTimeout(() => resolve(undefined), ms))]), left());
    console_ = { ...console_, expanded };
    if (expanded) {
      console_.stage = "done";
      console_.timerProbeMs = await page.evaluate(() => new Promise((resolve) => { const t0 = performance.now(); setTimeout(() => resolve(performance.now() - t0), 0); }));
      console_.panZoom = await panZoomFigures(page);
    }
  } catch (error) {
    errors.push(`${console_.stage}: ${String(error.message).split("\n")[0]}`);
  }
  try {
    console_.reached = Number((await page.locator(".canvas").getAttribute("data-node-count", { timeout: 5000 })) ?? 0);
    console_.panel = (await page.getByTestId("group-panel").textContent({ timeout: 1000 }).catch(() => null))?.slice(0, 200);
  } catch {
    // no canvas: nothing drawn yet
  }
  try {
    // Baselines: the same layout alone in Node, and a static SVG of the same node count in this page.
    const shape = lineageShape(items);
    const elk = new ELK();
    await layoutGraph(elk, lineageShape(20)); // warms ELK's code up, as the console's worker is by its first (collapsed) layout
    const layout = await timed(() => layoutGraph(elk, shape));
    const svgMs = await drawStaticSvg(page, shape);
    const svgPanZoom = await panZoomFigures(page);
    const result = { nodes: expected, items, fillS: fill.ms / 1000, console: console_, layoutMs: layout.ms, svgMs, svgPanZoom, errors, loadBefore, loadAfter: loadAverage() };
    printResults([result]); // as soon as known: a later size may not finish
    return result;
  } finally {
    await page.close();
  }
}

function printResults(results) {
  console.log("\nconsole-scale: lineage view, fan-out group expanded in place; click → drawn (ms)\n");
  printTable(
    ["nodes", "click → first drawn", "click → complete", "bare ELK layout (Node)", "static SVG draw", "baseline sum", "ratio", "load avg before → after"],
    results.map((r) => {
      const base = r.layoutMs + r.svgMs;
      const done = r.console.expanded;
      return [
        done ? String(done.nodes) : `${r.console.reached} of ${r.console.expected} drawn; stopped ${r.console.stage}`,
        done ? fixed(done.firstDrawnMs, 0) : "-",
        done ? fixed(done.completeMs, 0) : "-",
        fixed(r.layoutMs, 0),
        fixed(r.svgMs, 0),
        fixed(base, 0),
        done ? fixed(done.completeMs / base) + "×" : "-",
        `${r.loadBefore} → ${r.loadAfter}`,
      ];
    }),
  );
  console.log("\npan and zoom (10 wheel steps, 2 drags of 20 moves): input event → the second frame after it (ms), and frame intervals while playing\n");
  const rows = [];
  for (const r of results) {
    const line = (label, figures, base) => {
      if (!figures) return rows.push([`${r.nodes}`, label, "-", "-", "-", "-", "-", "-"]);
      const p50 = percentile(figures.latencies, 50);
      rows.push([`${r.nodes}`, label, String(figures.latencies.length), fixed(p50, 1), fixed(percentile(figures.latencies, 99), 1), fixed(percentile(figures.frames, 50), 1), fixed(Math.max(...figures.frames), 1), base ? fixed(p50 / percentile(base.latencies, 50)) + "×" : ""]);
    };
    line("console (React Flow)", r.console.panZoom, r.svgPanZoom);
    line("static SVG, transform", r.svgPanZoom);
  }
  printTable(["nodes", "drawing", "inputs", "input → frame p50", "p99", "frame p50", "frame max", "p50 / SVG"], rows);
  for (const r of results) {
    for (const [label, figures] of [["console", r.console.panZoom], ["static SVG", r.svgPanZoom]]) {
      for (const frame of [...(figures?.longFrames ?? [])].sort((left, right) => right.ms - left.ms).slice(0, 3)) {
        console.log(`${r.nodes} nodes, ${label}: a ${frame.ms} ms frame after ${frame.after}: scripts ${frame.scriptMs} ms, render steps ${frame.renderMs} ms, style, layout and paint ${frame.styleLayoutPaintMs} ms${frame.scripts.length ? `; ${frame.scripts.join("; ")}` : ""}`);
      }
    }
    if (r.console.timerProbeMs !== undefined) console.log(`${r.nodes} nodes: a 0 ms timer answered in ${fixed(r.console.timerProbeMs, 1)} ms with the expanded graph on screen`);
    console.log(`${r.nodes} nodes: filled through the API in ${fixed(r.fillS, 1)} s`);
    if (r.console.panel && !r.console.expanded) console.log(`${r.nodes} nodes: the group panel said: ${r.console.panel}`);
    if (r.errors.length > 0) console.log(`${r.nodes} nodes: ${r.errors.join("; ")}`);
  }
}

await main(async () => {
  const folder = await mkdtemp(join(tmpdir(), "knitfab-bench-console-"));
  const layoutGraph = await loadConsoleLayout(folder);
  const server = await startServer(undefined, {}, ["--console", consoleDistPath]);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const results = [];
  try {
    for (const nodes of options.sizes) results.push(await measureSize(browser, server, layoutGraph, nodes));
  } finally {
    await browser.close();
    await server.stop();
    await rm(folder, { recursive: true, force: true });
  }
  if (results.length > 1) {
    console.log("\n== all sizes ==");
    printResults(results);
  }
  console.log("\ntargets: 2,000 nodes drawn <= 1.5 s after the click; at 10,000 nodes pan and zoom answer within a frame (16.7 ms at 60 Hz)");
});
