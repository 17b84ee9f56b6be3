"use client";

// The site's navigation, marking the current section.
import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/", label: "Home" },
  { href: "/items", label: "Items" },
];

function isCurrent(pathname: string, href: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}

export default function SiteNav() {
  const pathname = usePathname() ?? "/";
  return (
    <nav aria-label="Main" style={{ display: "flex", gap: "1rem" }}>
      {LINKS.map((link) => {
        const current = isCurrent(pathname, link.href);
        return (
          <Link
            key={link.href}
            href={link.href}
            aria-current={current ? "page" : undefined}
            style={{ color: current ? "#fff" : "#bcccdc", fontWeight: current ? 600 : 400, textDecoration: "none" }}
          >
            {link.label}
          </Link>
        );
      })}
    </nav>
  );
}
