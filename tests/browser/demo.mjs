// Opens a page in Debian's headless chromium and reports, as JSON on stdout,
// every <img> on it (loaded? natural size?), every failed or non-2xx
// request, and console errors; saves a full-page screenshot.
// Usage: node demo.mjs URL SCREENSHOT.png PROFILE_DIR
import { chromium } from "playwright-core";

const [url, screenshot, profile] = process.argv.slice(2);
if (!url || !screenshot || !profile) {
  console.error("usage: node demo.mjs URL SCREENSHOT.png PROFILE_DIR");
  process.exit(2);
}

// The machine has no outside network: without the background-networking
// flags chromium keeps trying to reach Google's services.
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 1200, height: 900 },
});
try {
  const page = await context.newPage();
  const failures = [];
  const consoleErrors = [];
  page.on("requestfailed", (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) failures.push(`${r.url()}: HTTP ${r.status()}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  // "load" fires once every image has loaded or failed.
  const response = await page.goto(url, { waitUntil: "load" });
  const images = await page.evaluate(() =>
    Array.from(document.images, (img) => ({
      src: img.getAttribute("src"),
      complete: img.complete,
      naturalWidth: img.naturalWidth,
      naturalHeight: img.naturalHeight,
      contentType: null,
    })),
  );
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ status: response.status(), images, failures, consoleErrors }));
} finally {
  await context.close();
}
