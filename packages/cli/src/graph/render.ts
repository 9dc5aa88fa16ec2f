import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { CommandError } from "../cli/errors.js";
import type { GraphFormat } from "./format.js";

const require = createRequire(import.meta.url);

/** Lays the dot source out with the WASM build of Graphviz (no system Graphviz needed). */
export async function dotToSvg(dot: string): Promise<string> {
  const { Graphviz } = await import("@hpcc-js/wasm-graphviz");
  const graphviz = await Graphviz.load();
  try {
    return graphviz.dot(dot, "svg");
  } catch (error) {
    throw new CommandError(`cannot lay out the graph: ${(error as Error).message}`);
  }
}

let resvgReady: Promise<void> | undefined;

/** DejaVu fonts shipped as a dependency, so text renders the same on every machine. */
async function fonts(): Promise<Uint8Array[]> {
  const dir = join(dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
  // Graphviz sizes text with Times metrics; the condensed serif is about as wide, so labels fit their boxes.
  const files = ["DejaVuSerifCondensed.ttf", "DejaVuSerifCondensed-Bold.ttf", "DejaVuSans.ttf"];
  return Promise.all(files.map(async (f) => new Uint8Array(await readFile(join(dir, f)))));
}

/** Rasterises SVG with resvg compiled to WASM. */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  const resvg = await import("@resvg/resvg-wasm");
  resvgReady ??= readFile(require.resolve("@resvg/resvg-wasm/index_bg.wasm")).then((wasm) => resvg.initWasm(wasm));
  await resvgReady;
  const renderer = new resvg.Resvg(svg, {
    font: { fontBuffers: await fonts(), loadSystemFonts: false, defaultFontFamily: "DejaVu Serif Condensed", serifFamily: "DejaVu Serif Condensed", sansSerifFamily: "DejaVu Sans" },
    background: "white",
    // Twice the SVG size, so small labels stay readable on screen.
    fitTo: { mode: "zoom", value: 2 },
  });
  return renderer.render().asPng();
}

/** The graph in the requested format: dot text, SVG text or PNG bytes. */
export async function renderGraph(dot: string, format: GraphFormat): Promise<string | Uint8Array> {
  if (format === "dot") return dot;
  const svg = await dotToSvg(dot);
  return format === "svg" ? svg : svgToPng(svg);
}
