import http from "node:http";

/** A keep-alive GET client, as a script talking to the API would use (a browser: `maxSockets` 6 per host). */
export function httpGetter(maxSockets = 1) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return {
    /** GETs `url` and resolves with the parsed JSON; a non-200 answer is an error. */
    json(url) {
      return new Promise((resolve, reject) => {
        http.get(url, { agent }, (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk) => (body += chunk));
          response.on("end", () => {
            if (response.statusCode !== 200) reject(new Error(`GET ${url}: ${response.statusCode} ${body}`));
            else resolve(JSON.parse(body));
          });
          response.on("error", reject);
        }).on("error", reject);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
