/** A configuration the server refuses to start with; the message says which setting and why. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
