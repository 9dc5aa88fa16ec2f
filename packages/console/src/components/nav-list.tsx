import type { KeyboardEvent, ReactNode } from "react";

/**
 * A list whose items are links: Tab reaches them, and ArrowUp/ArrowDown/Home/End move between them,
 * so long lists can be walked with the keyboard alone.
 */
export function NavList({ label, children }: { label: string; children: ReactNode }) {
  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const links = [...event.currentTarget.querySelectorAll<HTMLAnchorElement>("a.item-link")];
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    let next = -1;
    if (event.key === "ArrowDown") next = Math.min(at + 1, links.length - 1);
    else if (event.key === "ArrowUp") next = Math.max(at - 1, 0);
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = links.length - 1;
    else return;
    event.preventDefault();
    links[next]?.focus();
  };
  return (
    <ul className="items" aria-label={label} onKeyDown={onKeyDown}>
      {children}
    </ul>
  );
}
