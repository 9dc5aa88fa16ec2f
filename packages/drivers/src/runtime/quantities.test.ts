import { describe, expect, it } from "vitest";
import { cpuToNanoCpus, deviceCount, memoryToBytes, parseQuantity } from "./quantities.js";

describe("resource quantities", () => {
  it("reads cpu quantities as nano cpus", () => {
    expect(cpuToNanoCpus("500m")).toBe(500_000_000);
    expect(cpuToNanoCpus("2")).toBe(2_000_000_000);
    expect(cpuToNanoCpus("0.1")).toBe(100_000_000);
    expect(cpuToNanoCpus("1.5")).toBe(1_500_000_000);
    expect(cpuToNanoCpus("250000u")).toBe(250_000_000);
  });

  it("reads memory quantities in binary and decimal units", () => {
    expect(memoryToBytes("1Gi")).toBe(1073741824);
    expect(memoryToBytes("512Mi")).toBe(536870912);
    expect(memoryToBytes("16Ki")).toBe(16384);
    expect(memoryToBytes("1G")).toBe(1_000_000_000);
    expect(memoryToBytes("128M")).toBe(128_000_000);
    expect(memoryToBytes("1e9")).toBe(1_000_000_000);
    expect(memoryToBytes("1000")).toBe(1000);
    expect(memoryToBytes("1.5Gi")).toBe(1610612736);
    // Kubernetes rounds fractional bytes up.
    expect(memoryToBytes("1500m")).toBe(2);
  });

  it("reads device counts as whole numbers", () => {
    expect(deviceCount("1")).toBe(1);
    expect(deviceCount("4")).toBe(4);
    expect(() => deviceCount("500m")).toThrow(/whole number/);
  });

  it("refuses what is not a quantity, saying what is expected", () => {
    for (const text of ["", "lots", "1GB", "-1", "1 Gi", "Gi", "1.2.3", "0x10"]) {
      expect(() => parseQuantity(text), text).toThrow(/is not a resource quantity.*"500m"/);
    }
  });
});
