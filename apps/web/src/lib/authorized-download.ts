"use client";
// A file from the API's /export/* (same origin, through the web's proxy) saved by the browser.
// A plain link cannot send the Bearer token, so the file is fetched with it and handed to the
// browser as a blob: fine for a version's JSONL at the sizes a browser download makes sense for.
import { TOKEN_STORAGE_KEY } from "./session";

export async function downloadWithToken(path: string, filename: string): Promise<void> {
  const token = window.localStorage.getItem(TOKEN_STORAGE_KEY);
  const response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as { errors?: { message?: string }[] };
      message = body.errors?.[0]?.message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(`The download failed: ${message}`);
  }
  const url = URL.createObjectURL(await response.blob());
  try {
    const link = document.createElement("a");
    link.href = url;
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
  } finally {
    // The click has started the download; the blob may go once it has.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
