import { request, type IncomingMessage } from "node:http";

/**
 * The few calls of Podman's own REST API (libpod, v4) that the stand-in kubelet needs, over its
 * unix socket. `play/kube` is the API form of `podman kube play`.
 */
export class PodmanApi {
  constructor(readonly socketPath: string) {}

  private call(method: string, path: string, body?: { type: string; data: string }): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path: `/v4.0.0/libpod${path}`,
          headers: body ? { "Content-Type": body.type, "Content-Length": Buffer.byteLength(body.data) } : {},
        },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (text += chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
          response.on("error", reject);
        },
      );
      req.on("error", (error) => reject(new Error(`podman API at ${this.socketPath}: ${error.message}; start it with scripts/podman-service.sh`)));
      if (body) req.write(body.data);
      req.end();
    });
  }

  private async json<T>(method: string, path: string, body?: { type: string; data: string }): Promise<T> {
    const { status, text } = await this.call(method, path, body);
    if (status >= 400) throw new PodmanError(status, errorMessage(text) ?? `${method} ${path}: HTTP ${status}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.call("GET", "/_ping")).status === 200;
    } catch {
      return false;
    }
  }

  /** Whether the local store has the image; the stand-in kubelet never pulls. */
  async imageExists(image: string): Promise<boolean> {
    const { status, text } = await this.call("GET", `/images/${encodeURIComponent(image)}/exists`);
    if (status === 204) return true;
    if (status === 404) return false;
    throw new PodmanError(status, errorMessage(text) ?? `image exists ${image}: HTTP ${status}`);
  }

  /**
   * `podman kube play` of one Pod document. Podman answers only after the init containers have
   * run (and fails when one of them fails), so this may take as long as they do.
   */
  playKube(yaml: string): Promise<unknown> {
    return this.json("POST", "/play/kube", { type: "application/x-yaml", data: yaml });
  }

  /** Every container of a Podman pod (the infra container included), running or not. */
  async podContainers(pod: string): Promise<PodmanContainerSummary[]> {
    const filters = encodeURIComponent(JSON.stringify({ pod: [pod] }));
    return (await this.json<PodmanContainerSummary[] | null>("GET", `/containers/json?all=true&filters=${filters}`)) ?? [];
  }

  inspectContainer(id: string): Promise<PodmanContainerInspect> {
    return this.json("GET", `/containers/${encodeURIComponent(id)}/json`);
  }

  async podExists(pod: string): Promise<boolean> {
    const { status } = await this.call("GET", `/pods/${encodeURIComponent(pod)}/exists`);
    return status === 204;
  }

  /** Names of the pods that carry the label `key=value`. */
  async podsLabelled(key: string, value: string): Promise<string[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [`${key}=${value}`] }));
    const pods = (await this.json<{ Name: string }[] | null>("GET", `/pods/json?filters=${filters}`)) ?? [];
    return pods.map((pod) => pod.Name);
  }

  /**
   * Runs `command` in a running container (an exec session) and tells whether it exited 0 within
   * `timeoutMs`; false when it could not run, failed, or ran longer (it is left to finish). The
   * session is started attached: Podman's API answers once the command has ended (a detached
   * session's state is not updated when it ends).
   */
  async execSucceeds(container: string, command: readonly string[], timeoutMs: number): Promise<boolean> {
    const body = (value: unknown) => ({ type: "application/json", data: JSON.stringify(value) });
    const created = await this.call("POST", `/containers/${encodeURIComponent(container)}/exec`, body({ Cmd: command, AttachStdout: true, AttachStderr: true }));
    if (created.status >= 400) return false;
    const id = (JSON.parse(created.text) as { Id?: string }).Id;
    if (!id) return false;
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      this.call("POST", `/exec/${encodeURIComponent(id)}/start`, body({ Detach: false })).then(({ status }) => status < 400),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
    if (!ended) return false;
    const { status, text } = await this.call("GET", `/exec/${encodeURIComponent(id)}/json`);
    if (status >= 400) return false;
    const session = JSON.parse(text) as { Running?: boolean; ExitCode?: number };
    return session.Running === false && session.ExitCode === 0;
  }

  /** Stops every container of the pod, SIGKILL after `timeoutSeconds`; a missing pod is no error. */
  async stopPod(pod: string, timeoutSeconds: number): Promise<void> {
    const { status, text } = await this.call("POST", `/pods/${encodeURIComponent(pod)}/stop?t=${timeoutSeconds}`);
    if (status >= 400 && status !== 404 && status !== 304) throw new PodmanError(status, errorMessage(text) ?? `stop pod ${pod}: HTTP ${status}`);
  }

  /** Removes the pod and its containers; a missing pod is no error. */
  async removePod(pod: string): Promise<void> {
    const { status, text } = await this.call("DELETE", `/pods/${encodeURIComponent(pod)}?force=true`);
    if (status >= 400 && status !== 404) throw new PodmanError(status, errorMessage(text) ?? `remove pod ${pod}: HTTP ${status}`);
  }

  /**
   * A container's stdout and stderr through the Docker-compatible API (`/containers/{id}/logs`),
   * still multiplexed (see `demultiplexLogs`); with `follow`, the response lasts until the
   * container ends or `signal` aborts.
   */
  containerLogs(id: string, options: { follow: boolean; tail?: number; timestamps: boolean; signal: AbortSignal }): Promise<IncomingMessage> {
    const query = new URLSearchParams({ stdout: "true", stderr: "true", follow: String(options.follow), timestamps: String(options.timestamps) });
    if (options.tail !== undefined) query.set("tail", String(options.tail));
    return new Promise((resolve, reject) => {
      const req = request(
        { socketPath: this.socketPath, method: "GET", path: `/v4.0.0/containers/${encodeURIComponent(id)}/logs?${query}`, signal: options.signal },
        (response) => {
          if ((response.statusCode ?? 0) < 400) return resolve(response);
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (text += chunk));
          response.on("end", () => reject(new PodmanError(response.statusCode ?? 0, errorMessage(text) ?? `logs of ${id}: HTTP ${response.statusCode}`)));
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    const { status, text } = await this.call("POST", "/volumes/create", { type: "application/json", data: JSON.stringify({ Name: name, Labels: labels }) });
    // 409 or 500 "already exists": the volume was made by an earlier try of the same claim.
    if (status >= 400 && !/already exists/i.test(text)) throw new PodmanError(status, errorMessage(text) ?? `create volume ${name}: HTTP ${status}`);
  }

  /** Removes a volume; with `force`, also the containers that use it. A missing volume is no error. */
  async removeVolume(name: string, force: boolean): Promise<void> {
    const { status, text } = await this.call("DELETE", `/volumes/${encodeURIComponent(name)}?force=${force}`);
    if (status >= 400 && status !== 404) throw new PodmanError(status, errorMessage(text) ?? `remove volume ${name}: HTTP ${status}`);
  }

  /** Where a volume's files are on this machine, or undefined when the volume does not exist. */
  async volumeMountpoint(name: string): Promise<string | undefined> {
    const { status, text } = await this.call("GET", `/volumes/${encodeURIComponent(name)}/json`);
    if (status === 404) return undefined;
    if (status >= 400) throw new PodmanError(status, errorMessage(text) ?? `inspect volume ${name}: HTTP ${status}`);
    return (JSON.parse(text) as { Mountpoint?: string }).Mountpoint;
  }

  async volumesLabelled(key: string, value: string): Promise<string[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [`${key}=${value}`] }));
    const volumes = (await this.json<{ Name: string }[] | null>("GET", `/volumes/json?filters=${filters}`)) ?? [];
    return volumes.map((volume) => volume.Name);
  }
}

export class PodmanError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "PodmanError";
  }
}

function errorMessage(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object" && "message" in parsed && typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON
  }
  return text.trim() || undefined;
}

export interface PodmanContainerSummary {
  Id: string;
  Names: string[];
  State: string;
  ExitCode: number;
  IsInfra: boolean;
  StartedAt: number;
  ExitedAt: number;
}

export interface PodmanContainerInspect {
  Id: string;
  Name: string;
  State: {
    Status: string;
    Running: boolean;
    OOMKilled: boolean;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
    Error?: string;
  };
  HostConfig?: { Memory?: number };
  NetworkSettings?: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> };
}
