import parsePrometheusTextFormat, { type PrometheusFamily, type PrometheusSample } from "parse-prometheus-text-format";

/** One scrape of a server's /metrics, parsed by an independent Prometheus text-format parser. */
export interface Scrape {
  families: PrometheusFamily[];
  /** the family's type, or undefined when it is absent */
  typeOf(name: string): PrometheusFamily["type"] | undefined;
  /** the value of the one sample with exactly these labels (undefined when there is none) */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** the sample count of the one histogram series with these labels */
  histogramCount(name: string, labels: Record<string, string>): number | undefined;
}

export async function scrapeMetrics(serverUrl: string): Promise<Scrape> {
  const response = await fetch(`${serverUrl}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${await response.text()}`);
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("text/plain") || !type.includes("version=0.0.4")) throw new Error(`/metrics is not the Prometheus text format: ${type}`);
  const text = await response.text();
  const families = parsePrometheusTextFormat(text);
  // The parser folds the series of a labelled histogram into one, dropping labels, counts and sums;
  // without the TYPE lines it reads every sample (`_count` included) as untyped, starting a new
  // family of the same name whenever the sample name changes, so families are merged by name.
  const samples = parsePrometheusTextFormat(text.replace(/^# TYPE .*$/gm, ""));
  const sampleOf = (name: string, labels: Record<string, string>): PrometheusSample | undefined => {
    const series = samples.filter((one) => one.name === name).flatMap((family) => family.metrics);
    const matching = series.filter((sample) => sameLabels(sample.labels ?? {}, labels));
    if (matching.length > 1) throw new Error(`${name} has ${matching.length} series with labels ${JSON.stringify(labels)}`);
    return matching[0];
  };
  return {
    families,
    typeOf: (name) => families.find((one) => one.name === name)?.type,
    value(name, labels = {}) {
      const sample = sampleOf(name, labels);
      return sample?.value === undefined ? undefined : Number(sample.value);
    },
    histogramCount(name, labels) {
      const sample = sampleOf(`${name}_count`, labels);
      return sample?.value === undefined ? undefined : Number(sample.value);
    },
  };
}

function sameLabels(actual: Record<string, string>, expected: Record<string, string>): boolean {
  const keys = Object.keys(actual);
  return keys.length === Object.keys(expected).length && keys.every((key) => actual[key] === expected[key]);
}
