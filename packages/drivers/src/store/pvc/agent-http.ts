/**
 * The pvc store's HTTP client side of the agent protocol (agent-protocol.ts): plain node:http, since
 * uploads send a request trailer and follows keep a request body open while the response streams.
 */
import { request as httpRequest, type IncomingMessage, type ClientRequest } from "node:http";
import { text } from "node:stream/consumers";
import { setTimeout as sleep } from "node:timers/promises";
import { decodeAgentError } from "./agent-protocol.js";

export interface AgentRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
}

/** An open request to an agent: write its body, then wait for the response. */
export interface OpenRequest {
  request: ClientRequest;
  response: Promise<IncomingMessage>;
}

/**
 * Opens a request. A Pod reported Running may not listen yet (node is starting): a refused
 * connection is retried until `untilMs` (epoch ms), and only before any body byte went out.
 */
export async function openAgentRequest(base: string, what: AgentRequest, untilMs: number): Promise<OpenRequest> {
  for (;;) {
    const attempt = connect(base, what);
    const connected = await attempt.connected;
    if (connected === true) return { request: attempt.request, response: attempt.response };
    if (Date.now() > untilMs || !isRefused(connected)) throw connected;
    await sleep(100);
  }
}

function connect(base: string, what: AgentRequest): OpenRequest & { connected: Promise<true | Error> } {
  const url = new URL(what.path, base);
  const request = httpRequest(url, { method: what.method, headers: what.headers ?? {} });
  let rejectResponse: (error: Error) => void = () => undefined;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    rejectResponse = reject;
    request.once("response", resolve);
  });
  // A failure before the response arrives rejects it; one after that reaches the response stream.
  request.on("error", (error) => rejectResponse(error));
  response.catch(() => undefined);
  const connected = new Promise<true | Error>((resolve) => {
    request.once("socket", (socket) => {
      if (!socket.connecting) resolve(true);
      else socket.once("connect", () => resolve(true));
    });
    request.once("error", (error) => resolve(error));
  });
  request.flushHeaders();
  return { request, response, connected };
}

function isRefused(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ECONNREFUSED" || code === "EHOSTUNREACH" || code === "ECONNRESET";
}

/** Reads an error answer of the agent as the store's error for `knitId`. */
export async function agentFailure(knitId: string, response: IncomingMessage): Promise<Error> {
  const body = await text(response).catch(() => "");
  let parsed: unknown;
  try {
    parsed = JSON.parse(body) as unknown;
  } catch {
    parsed = { message: body.slice(0, 200) };
  }
  return decodeAgentError(knitId, response.statusCode ?? 500, parsed);
}
