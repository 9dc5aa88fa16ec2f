import { useEffect, useState } from "react";
import { parseRoute, type Route } from "./routes.js";

/** The current hash route, updated on every `hashchange` (links, back/forward, typed URLs). */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}

export function navigate(hash: string): void {
  window.location.hash = hash;
}
