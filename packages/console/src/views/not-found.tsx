import { href, type Tab } from "../routing/routes.js";

const TAB_NAMES: Record<Tab, string> = { data: "Data", plans: "Plans", runs: "Runs" };

/** The view of an address that cannot be read, such as a link cut in the middle of a %-escape. */
export function NotFoundView({ tab, hash }: { tab: Tab; hash: string }) {
  return (
    <div className="detail">
      <h2>Not found</h2>
      <p>
        There is no page at <span className="mono">{hash}</span>: the address is malformed (it may have been cut or mistyped).
      </p>
      <p>
        <a href={href.list(tab)}>Go to the {TAB_NAMES[tab]} list</a>
      </p>
    </div>
  );
}
