/** The playground page against a real `torchpad serve` (real PyTorch): live charts, stop, overlays,
 * stream resume after a dropped websocket, server tracebacks, short share links.
 */
import { resolve } from "node:path";
import { test, expect, watchErrors, openPlayground, getCode, pasteCode, connectServer, newestRun, setTarget } from "./page-helpers.js";

const JOB_MS = 120_000; // the first job imports torch on a shared 2-core machine

const training = ({ steps = 40, lr = 0.1, sleep = 0.1 } = {}) => `# Linear regression, live on the server
import time
import torch
import torchpad

torch.manual_seed(0)
x = torch.linspace(-1, 1, 64).unsqueeze(1)
y = 3 * x + 0.5 + 0.1 * torch.randn(64, 1)
model = torch.nn.Linear(1, 1)
opt = torch.optim.SGD(model.parameters(), lr=${lr})
for step in range(${steps}):
    loss = torch.nn.functional.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    torchpad.log(step=step, mse=loss.item(), weight=model.weight.item())
    print(f"step {step} mse {loss.item():.4f}")
    time.sleep(${sleep})
print("trained on", x.device)
`;

const points = async (page, metric) => Number((await page.locator(`.chart[data-metric=${metric}]`).getAttribute("data-points")) || 0);

async function serverPage(page, server, code) {
  await openPlayground(page, server.url);
  await connectServer(page, server);
  await setTarget(page, "server");
  if (code) await pasteCode(page, code);
}

test("the connection indicator says what the server offers", async ({ page, server, errors }) => {
  await openPlayground(page, server.url);
  await expect(page.locator("#connection")).toHaveText(/Server not set/);
  await connectServer(page, server);
  await expect(page.locator("#connection")).toHaveText(/(CPU only|\d+ × .+|NVIDIA.+) · queue \d+/);
  // The token is kept in localStorage, never in the URL.
  expect(page.url()).not.toContain(server.token);
  await page.reload();
  await expect(page.locator("#connection")).toHaveAttribute("data-state", "ok");
  // A wrong token is caught in the dialog before it is saved; Enter saves (not cancels).
  await page.locator("#settings-btn").click();
  const dialog = page.locator("#settings");
  await expect(dialog).toContainText("The token is printed where torchpad serve runs");
  await page.getByLabel("Token").fill("wrong-token");
  await page.getByLabel("Token").press("Enter");
  await expect(dialog.locator("[data-role=settings-error]")).toContainText("The server refused this token");
  await expect(dialog).toBeVisible();
  await expect(page.getByLabel("Token")).toBeFocused();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.locator("#connection")).toHaveAttribute("data-state", "ok"); // the good token was kept
  expect(await page.evaluate(() => JSON.parse(localStorage.getItem("torchpad.settings")).token)).toBe(server.token);
  await page.locator("#settings-btn").click();
  await page.getByLabel("Token").fill(server.token);
  await page.getByLabel("Token").press("Enter");
  await expect(dialog).toBeHidden();
  await expect(page.locator("#connection")).toHaveAttribute("data-state", "ok");
  // Chromium itself logs the refused request; that one line is expected here.
  const refused = errors.filter((e) => /status of 401/.test(e));
  expect(refused.length).toBeGreaterThan(0);
  errors.splice(0, errors.length, ...errors.filter((e) => !refused.includes(e)));
});

test("a server run's chart grows while the job runs", async ({ page, server }) => {
  test.setTimeout(JOB_MS + 60_000);
  await serverPage(page, server, training({ steps: 40, sleep: 0.15 }));
  await page.getByRole("button", { name: "Run" }).click();
  await expect.poll(() => points(page, "mse"), { timeout: JOB_MS }).toBeGreaterThan(0);
  const early = await points(page, "mse");
  await expect(newestRun(page)).toHaveAttribute("data-state", "running");
  await expect(page.locator("#statusbar [data-role=run-state]")).toContainText("running on the server");
  expect(early).toBeLessThan(40);
  await expect.poll(() => points(page, "mse")).toBeGreaterThan(early);
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: 60_000 });
  expect(await points(page, "mse")).toBe(40);
  expect(await points(page, "loss")).toBe(40); // automatic loss logging from loss.backward()
  await expect(page.locator("#console")).toContainText("step 39 mse");
  await expect(page.locator("#console")).toContainText("trained on cpu");
  await expect(newestRun(page).locator(".meta")).toContainText(/server · cpu/);
  await expect(newestRun(page).locator(".final")).toContainText(/mse \d/);
});

test("Stop cancels a server job", async ({ page, server }) => {
  test.setTimeout(JOB_MS + 60_000);
  await serverPage(page, server, training({ steps: 100000, sleep: 0.05 }));
  await page.keyboard.press("ControlOrMeta+Enter");
  await expect.poll(() => points(page, "mse"), { timeout: JOB_MS }).toBeGreaterThan(2);
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "cancelled", { timeout: 30_000 });
  await expect(page.locator("#statusbar [data-role=run-state]")).toHaveText("cancelled");
  await expect(page.getByRole("button", { name: "Run" })).toBeEnabled();
});

test("two runs overlaid in distinct colours", async ({ page, server }) => {
  test.setTimeout(2 * JOB_MS);
  await serverPage(page, server, training({ steps: 30, lr: 0.05, sleep: 0.02 }));
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: JOB_MS });
  await pasteCode(page, training({ steps: 30, lr: 0.3, sleep: 0.02 }));
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.locator("#runs li.run")).toHaveCount(2);
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: JOB_MS });
  const chart = page.locator(".chart[data-metric=mse]");
  await expect(chart).toHaveAttribute("data-series", "2");
  await expect(chart).toHaveAttribute("data-points", "60");
  const colours = await page.locator("#runs input.swatch").evaluateAll((els) => els.map((e) => getComputedStyle(e).borderTopColor));
  expect(new Set(colours).size).toBe(2);
  const values = await chart.locator("figcaption .val").allTextContents();
  expect(values).toHaveLength(2);
  expect(values[0]).not.toBe(values[1]); // different learning rates end at different losses
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: resolve(import.meta.dirname, "..", "docs", "screenshot.png") });
  // Hide the first run: its series leaves every chart.
  await page.locator("#runs li.run").last().locator("input.swatch").uncheck();
  await expect(chart).toHaveAttribute("data-series", "1");
  await expect(chart).toHaveAttribute("data-points", "30");
});

test("the stream resumes after the websocket drops", async ({ page, server }) => {
  test.setTimeout(JOB_MS + 60_000);
  let connections = 0;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const n = ++connections;
    const upstream = ws.connectToServer();
    let events = 0;
    ws.onMessage((m) => upstream.send(m));
    upstream.onMessage((m) => {
      ws.send(m);
      // The first connection goes away mid-run, as the server does to a slow reader.
      const msg = JSON.parse(m);
      const before = events;
      events += msg.type === "events" ? msg.events.length : msg.type === "event" ? 1 : 0;
      if (n === 1 && before < 8 && events >= 8) {
        ws.close({ code: 4008, reason: "resume from your last seq" });
        upstream.close();
      }
    });
  });
  await serverPage(page, server, training({ steps: 25, sleep: 0.1 }));
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: JOB_MS });
  expect(connections).toBeGreaterThanOrEqual(2);
  const lines = await page.locator("#console .stdout").allTextContents();
  const steps = lines.filter((l) => l.startsWith("step ")).map((l) => Number(l.split(" ")[1]));
  expect(steps).toEqual([...Array(25).keys()]); // every line once, in order
  expect(await points(page, "mse")).toBe(25);
});

test("a server error marks the line with PyTorch's own message", async ({ page, server }) => {
  test.setTimeout(JOB_MS);
  await serverPage(page, server, "import torch\n\na = torch.ones(64, 4096)\nb = torch.ones(2304, 128)\nc = a @ b\nprint(c.shape)\n");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "failed", { timeout: JOB_MS });
  await expect(page.locator("#console .stderr").filter({ hasText: "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x4096 and 2304x128)" })).toHaveCount(1);
  await expect(page.locator(".cm-error-line")).toHaveText("c = a @ b");
  await expect(page.locator("#statusbar [data-role=run-state]")).toHaveText("failed (line 5)");
});

/** ~12,000 characters that deflate cannot shrink much: the link would be far over 8,000. */
function incompressible() {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const lines = ["# A long program: ünïcode and noise the compressor cannot remove"];
  for (let i = 0; i < 150; i++) lines.push("# " + Array.from({ length: 80 }, () => abc[Math.floor(rnd() * abc.length)]).join(""));
  return lines.join("\n") + '\nprint("long")  \n';
}

test("an over-long program gets a working short link", async ({ page, browser, server, errors }) => {
  const program = incompressible();
  // Without a server the dialog says why there is no short link.
  await openPlayground(page, server.url);
  await pasteCode(page, program);
  await page.getByRole("button", { name: "Share" }).click();
  await expect(page.locator("[data-role=share-note]")).toContainText("more than 8,000");
  await expect(page.locator("[data-role=share-note]")).toContainText("needs a connected server");
  await expect(page.getByRole("button", { name: "Create short link" })).toBeHidden();
  await page.getByRole("button", { name: "Done" }).click();
  // With a server connected it offers one, and the short link opens the program exactly.
  await connectServer(page, server);
  await page.getByRole("button", { name: "Share" }).click();
  await page.getByRole("button", { name: "Create short link" }).click();
  await expect(page.locator("[data-role=share-note]")).toContainText("Short link stored");
  const link = await page.getByLabel("Link").inputValue();
  expect(link).toMatch(new RegExp(`^${server.url.replace(/\/$/, "")}/s/[A-Za-z0-9_-]+$`));
  const other = await browser.newContext();
  const fresh = await other.newPage();
  watchErrors(fresh, errors);
  await openPlayground(fresh, link);
  await expect.poll(() => getCode(fresh)).toBe(program);
  await other.close();
});
