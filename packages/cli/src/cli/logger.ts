import type { Writable } from "node:stream";

/** Messages for humans go to stderr as `[knit data push] 2024/03/06 09:25:16 message`, like the reference. */
export interface Logger {
  info(message: string): void;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

export function timestamp(now: Date): string {
  return `${now.getFullYear()}/${pad(now.getMonth() + 1)}/${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
}

/** `stderr` is a stream, or a function that gives it on first use. */
export function createLogger(stderr: Writable | (() => Writable), commandName: string): Logger {
  const prefix = `[${commandName}] `;
  return {
    info(message) {
      const text = message.endsWith("\n") ? message : `${message}\n`;
      (typeof stderr === "function" ? stderr() : stderr).write(`${prefix}${timestamp(new Date())} ${text}`);
    },
  };
}
