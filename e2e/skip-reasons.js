/** A Playwright reporter that prints why each skipped test was skipped (the list reporter shows only a dash). */
export default class SkipReasons {
  constructor() {
    this.skipped = [];
  }

  onTestEnd(test, result) {
    if (result.status !== "skipped") return;
    const why = test.annotations.filter((a) => a.type === "skip").map((a) => a.description).filter(Boolean);
    this.skipped.push(`  skipped: ${test.title} (${why.join("; ") || "no reason given"})`);
  }

  onEnd() {
    if (this.skipped.length) console.log(`\n${this.skipped.join("\n")}`);
  }

  printsToStdio() {
    return true;
  }
}
