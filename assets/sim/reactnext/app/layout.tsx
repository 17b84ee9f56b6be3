import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";

import SiteNav from "@/components/site-nav";
import { APP_IDEA, APP_NAME } from "@/lib/config";

import "./globals.css";

export const metadata: Metadata = {
  title: { default: APP_NAME, template: `%s · ${APP_NAME}` },
  description: APP_IDEA,
};

export default function RootLayout({ children }: Readonly<{ children: ReactNode }>) {
  return (
    <html lang="en">
      <body>
        <header className="site-header">
          <Link href="/" className="brand">
            {APP_NAME}
          </Link>
          <SiteNav />
        </header>
        <main className="site-main">{children}</main>
      </body>
    </html>
  );
}
