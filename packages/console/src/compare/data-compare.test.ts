import { describe, expect, it } from "vitest";
import type { DataFileEntry } from "@knitfab/api";
import { CONTENT_BUDGET_BYTES, CONTENT_MAX_BYTES, compareListings, comparePaths, contentToRead, countRows, rollUpFolders, textDiff } from "./data-compare.js";

const file = (path: string, size: number): DataFileEntry => ({ name: path.split("/").at(-1) ?? path, path, type: "file", size });
const dir = (path: string): DataFileEntry => ({ name: path.split("/").at(-1) ?? path, path, type: "dir", size: 0 });

describe("compare listings", () => {
  it("marks each path same-size, different, only on one side, or of another type, in folder order", () => {
    const rows = compareListings(
      [dir("sub"), file("sub/a.txt", 3), file("metrics.json", 10), file("left.bin", 1), file("x", 1)],
      [dir("sub"), file("sub/a.txt", 3), file("metrics.json", 12), file("right.bin", 1), dir("x")],
    );
    expect(rows.map((r) => `${r.path} ${r.status}`)).toEqual([
      "left.bin only-left",
      "metrics.json different",
      "right.bin only-right",
      "sub same",
      "sub/a.txt same-size",
      "x type-differs",
    ]);
    expect(countRows(rows)).toEqual({ same: 1, different: 2, onlyLeft: 1, onlyRight: 1, notCompared: 1 });
  });

  it("marks a folder different when something inside it is not the same", () => {
    const left = [dir("a"), file("a/x", 1), dir("b"), file("b/y", 1), dir("c"), dir("c/d")];
    const right = [dir("a"), file("a/x", 2), dir("b"), file("b/y", 1), dir("c"), dir("c/d")];
    const rows = rollUpFolders(compareListings(left, right));
    expect(rows.map((r) => `${r.path} ${r.status}`)).toEqual(["a different", "a/x different", "b same-size", "b/y same-size", "c same", "c/d same"]);
  });

  it("sorts a folder's entries right after it", () => {
    expect(["a.txt", "a/b", "a", "a/b/c", "b"].sort(comparePaths)).toEqual(["a", "a/b", "a/b/c", "a.txt", "b"]);
  });

  it("reads only small files, and no more than the budget in all", () => {
    const big = CONTENT_MAX_BYTES + 1;
    const rows = compareListings([file("big", big), file("small", 5), file("d", 5)], [file("big", big), file("small", 5), file("d", 6)]);
    expect(contentToRead(rows).map((r) => r.path)).toEqual(["small", "d"]);
    const many = Array.from({ length: 100 }, (_, i) => file(`f${String(i).padStart(3, "0")}`, CONTENT_MAX_BYTES));
    const read = contentToRead(compareListings(many, many));
    expect(read.length * 2 * CONTENT_MAX_BYTES).toBeLessThanOrEqual(CONTENT_BUDGET_BYTES);
    expect(read.length).toBe(Math.floor(CONTENT_BUDGET_BYTES / (2 * CONTENT_MAX_BYTES)));
  });
});

describe("text diff", () => {
  it("shows removed and added lines with folded context", () => {
    const left = Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n") + "\n";
    const right = left.replace("line 10\n", "line ten\n");
    const diff = textDiff(left, right);
    expect(diff).toContainEqual({ kind: "removed", text: "line 10" });
    expect(diff).toContainEqual({ kind: "added", text: "line ten" });
    expect(diff[0]).toEqual({ kind: "skipped", count: 7 });
    expect(diff.filter((l) => l.kind === "same")).toHaveLength(6);
    expect(diff.at(-1)).toEqual({ kind: "skipped", count: 6 });
  });
});
