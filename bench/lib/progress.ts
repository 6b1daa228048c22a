/** A progress bar on stderr (redrawn in place on a terminal, a line per 10 % otherwise). */
export class Progress {
  private done = 0;
  private lastDecile = -1;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {
    this.draw();
  }

  add(count: number): void {
    this.done = Math.min(this.total, this.done + count);
    this.draw();
  }

  finish(): void {
    this.done = this.total;
    this.draw(true);
  }

  private draw(final = false): void {
    const fraction = this.total === 0 ? 1 : this.done / this.total;
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(this.done / seconds) : 0;
    const width = 30;
    const filled = Math.round(fraction * width);
    const line = `${this.label.padEnd(34)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${this.done.toLocaleString('en')}/${this.total.toLocaleString('en')} (${rate.toLocaleString('en')}/s)`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}${final ? '\n' : ''}`);
    } else {
      const decile = Math.floor(fraction * 10);
      if (decile !== this.lastDecile || final) {
        this.lastDecile = decile;
        process.stderr.write(`${line}\n`);
      }
    }
  }
}
