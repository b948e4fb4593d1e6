/** Your data in, results out: files added on the page appear in the program's working directory (in
 * the browser, and sent with a server job); files the program writes are listed with the run and
 * download (from the worker's file system, or from the server's stored copy); CSV -> tensors with NumPy.
 */
import { readFileSync } from "node:fs";
import { test, expect, openPlayground, pasteCode, newestRun, connectServer, setTarget } from "./page-helpers.js";

const BOOT_MS = 240_000;
const CSV = "a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n";

async function addFile(page, name, text) {
  await page.locator("#data-files input[type=file]").setInputFiles({ name, mimeType: "text/plain", buffer: Buffer.from(text) });
  await expect(page.locator(`#data-files .data-file[data-name="${name}"]`)).toBeVisible();
}

test("a picked file is read by a browser run, and a file it writes downloads", async ({ page, server }) => {
  test.setTimeout(BOOT_MS + 60_000);
  await openPlayground(page, server.url);
  await addFile(page, "data.csv", CSV);
  await pasteCode(page, `rows = open("data.csv").read().splitlines()
print("rows", len(rows) - 1, "first", rows[1])
with open("summary.txt", "w") as f:
    f.write("labels: " + ",".join(sorted({r.split(",")[2] for r in rows[1:]})) + "\\n")
`);
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: BOOT_MS });
  await expect(page.locator("#console")).toContainText("rows 3 first 1,2,cat");
  const buttons = page.locator("#run-files button");
  await expect(buttons).toHaveCount(1); // summary.txt only: data.csv was given, not written
  await expect(buttons).toHaveText(/summary\.txt \(\d+ B\)/);
  const dl = page.waitForEvent("download");
  await buttons.click();
  const file = await dl;
  expect(file.suggestedFilename()).toBe("summary.txt");
  expect(readFileSync(await file.path(), "utf8")).toBe("labels: cat,dog\n");
  // Removing a file takes it off the list; too much data is refused with the limit.
  await page.getByRole("button", { name: "Remove data.csv" }).click();
  await expect(page.locator("#data-files .data-file")).toHaveCount(0);
  await page.locator("#data-files input[type=file]").setInputFiles({ name: "big.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(33 * 1024 * 1024) });
  await expect(page.locator("#console .stderr").last()).toContainText("the limit is 32.0 MB in all");
  await expect(page.locator("#data-files .data-file")).toHaveCount(0);
});

test("torchpad.datasets.from_csv reads a dropped CSV in the browser", async ({ page, server }) => {
  test.skip(!server.numpy, server.numpyReason);
  test.setTimeout(BOOT_MS + 60_000);
  await openPlayground(page, server.url);
  await addFile(page, "iris.csv", CSV);
  await pasteCode(page, `import torchpad
classes = []
X, y = torchpad.datasets.from_csv("iris.csv", target="label", classes=classes)
print(tuple(X.shape), X.dtype, y.tolist(), classes)
`);
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: BOOT_MS });
  await expect(page.locator("#console")).toContainText("(3, 2) torch.float32 [0, 1, 0] ['cat', 'dog']");
});

test("a picked file travels with a server job, and the files it writes download from the server", async ({ page, server }) => {
  test.setTimeout(180_000); // the first job imports torch on a shared 2-core machine
  await openPlayground(page, server.url);
  await connectServer(page, server);
  await setTarget(page, "server");
  await addFile(page, "data.csv", CSV);
  await pasteCode(page, `import torch
rows = open("data.csv").read().splitlines()
print("rows", len(rows) - 1, "first", rows[1])
torch.manual_seed(0)
torch.save(torch.nn.Linear(2, 1).state_dict(), "model.pt")
with open("summary.txt", "w") as f:
    f.write("labels: " + ",".join(sorted({r.split(",")[2] for r in rows[1:]})) + "\\n")
`);
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: 150_000 });
  await expect(page.locator("#console")).toContainText("rows 3 first 1,2,cat");
  const buttons = page.locator("#run-files button");
  await expect(buttons).toHaveCount(2); // model.pt and summary.txt: data.csv was given, not written
  await expect(buttons.nth(0)).toHaveText(/model\.pt \(\d+(\.\d)? (B|KB)\)/);
  const summary = page.locator('#run-files button[data-file="summary.txt"]');
  let dl = page.waitForEvent("download");
  await summary.click();
  let file = await dl;
  expect(file.suggestedFilename()).toBe("summary.txt");
  expect(readFileSync(await file.path(), "utf8")).toBe("labels: cat,dog\n");
  // The model comes back byte for byte: the same bytes the server's files API serves.
  const job = await page.evaluate(() => window.torchpad.runs().at(-1).job);
  dl = page.waitForEvent("download");
  await page.locator('#run-files button[data-file="model.pt"]').click();
  file = await dl;
  expect(file.suggestedFilename()).toBe("model.pt");
  const got = readFileSync(await file.path());
  const served = await fetch(`${server.url}/api/jobs/${job}/files/model.pt`, { headers: { Authorization: `Bearer ${server.token}` } });
  expect(served.status).toBe(200);
  expect(Buffer.compare(got, Buffer.from(await served.arrayBuffer()))).toBe(0);
  expect(got.subarray(0, 2).toString("latin1")).toBe("PK"); // torch.save's zip format
  // The token travelled in headers only.
  expect(requests.filter((u) => u.includes(server.token))).toEqual([]);
  // After a reload the run still lists its files and downloads them from the server.
  await page.reload();
  await newestRun(page).click();
  await expect(page.locator("#run-files button")).toHaveCount(2);
  dl = page.waitForEvent("download");
  await page.locator('#run-files button[data-file="summary.txt"]').click();
  file = await dl;
  expect(readFileSync(await file.path(), "utf8")).toBe("labels: cat,dog\n");
});

test("a file the server did not keep is listed with why, and cannot be downloaded", async ({ page, server }) => {
  test.setTimeout(180_000);
  await openPlayground(page, server.url);
  await connectServer(page, server);
  await setTarget(page, "server");
  await pasteCode(page, `for i in range(51):  # the server keeps 50 files of a job
    open(f"out{i:02d}.txt", "w").write(str(i))
`);
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: 150_000 });
  await expect(page.locator("#run-files button")).toHaveCount(51);
  const last = page.locator('#run-files button[data-file="out50.txt"]');
  await expect(last).toBeDisabled();
  await expect(last).toHaveText("out50.txt (2 B) · not kept");
  await expect(last).toHaveAttribute("title", /out50\.txt: not kept: over the limit of 50 files per job/);
  await expect(page.locator('#run-files button[data-file="out49.txt"]')).toBeEnabled();
});
