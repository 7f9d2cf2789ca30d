/** One line per step: "… doing", then "✓ done (1.2 s)" or "✗ failed". Plain lines, so logs read well too. */
export class Progress {
  readonly #out: NodeJS.WritableStream;

  constructor(out: NodeJS.WritableStream = process.stdout) {
    this.#out = out;
  }

  async step<T>(title: string, work: () => Promise<T>, summary?: (value: T) => string): Promise<T> {
    const started = performance.now();
    this.#out.write(`… ${title}\n`);
    try {
      const value = await work();
      const extra = summary ? `: ${summary(value)}` : "";
      this.#out.write(`✓ ${title}${extra} (${seconds(performance.now() - started)})\n`);
      return value;
    } catch (error) {
      this.#out.write(`✗ ${title} (${seconds(performance.now() - started)})\n`);
      throw error;
    }
  }

  line(text = ""): void {
    this.#out.write(`${text}\n`);
  }
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
