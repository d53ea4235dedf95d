import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { SessionProvider } from "../lib/session";
import { Header } from "../components/Shell";

export const metadata: Metadata = {
  title: "GenDataCarto",
  description: "Find the training examples a generative model memorizes, review interventions, release curated dataset versions.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <SessionProvider>
          <a href="#main" className="skip-link">
            Skip to content
          </a>
          <Header />
          <main id="main">{children}</main>
        </SessionProvider>
      </body>
    </html>
  );
}
