import { describe, expect, it } from "vitest";
import { InputError } from "./errors.js";
import { formatImage, parseImage } from "./image.js";

describe("parseImage", () => {
  it.each([
    ["busybox", "busybox", "latest"],
    ["busybox:1.36", "busybox", "1.36"],
    ["repo/name:v1.0-RC_2", "repo/name", "v1.0-RC_2"],
    ["localhost:5000/x/y:1.0", "localhost:5000/x/y", "1.0"],
    ["localhost:5000/x/y", "localhost:5000/x/y", "latest"],
    ["registry.example.com/team/image:2", "registry.example.com/team/image", "2"],
    ["localhost/busybox:test", "localhost/busybox", "test"],
    ["Registry.Example.com/team/image:2", "Registry.Example.com/team/image", "2"],
  ])("%s", (text, repository, tag) => {
    expect(parseImage(text)).toEqual({ repository, tag });
    expect(formatImage(parseImage(text))).toBe(`${repository}:${tag}`);
  });

  it.each([
    "",
    "Busybox:1",
    "team/Image:1",
    "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "busybox:",
    "busybox:bad/tag",
    "busybox:has space",
    "a:1",
    ":1",
    "reg:port/x:1",
  ])("rejects %j", (text) => {
    expect(() => parseImage(text)).toThrow(InputError);
  });
});
