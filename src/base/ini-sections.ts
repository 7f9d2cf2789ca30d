/**
 * Reading an oslo.config-style INI file's sections (parsed by the caller) with errors that name the file,
 * section and key — the agent's and the server's configuration share it, so both refuse a typo alike.
 */
import { InvalidArgumentError } from "./errors.ts";

export class IniSections {
  readonly file: string;
  readonly #sections = new Map<string, Record<string, string>>();

  /** `parsed` as the `ini` package returns it: keys before any section header are [DEFAULT]'s. */
  constructor(parsed: Record<string, unknown>, file: string) {
    this.file = file;
    const defaults: Record<string, string> = {};
    this.#sections.set("DEFAULT", defaults);
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value === "object" && value !== null) {
        const values: Record<string, string> = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) values[k] = String(v);
        this.#sections.set(key, values);
      } else defaults[key] = String(value);
    }
  }

  names(): string[] {
    return [...this.#sections.keys()];
  }

  /** A section's keys and values, trimmed (undefined if the file has no such section). */
  section(name: string): Readonly<Record<string, string>> | undefined {
    const values = this.#sections.get(name);
    if (values === undefined) return undefined;
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.trim()]));
  }

  /**
   * Refuses sections and keys not in `known`; sections `others` accepts (extensions' own) are left to
   * their owners.
   */
  checkKnown(
    known: Readonly<Record<string, readonly string[]>>,
    others: (section: string) => boolean = () => false,
  ) {
    for (const [section, values] of this.#sections) {
      const keys = known[section];
      if (keys === undefined) {
        if (others(section)) continue;
        throw new InvalidArgumentError(`${this.file} [${section}]`, "unknown section");
      }
      for (const key of Object.keys(values)) {
        if (!keys.includes(key)) throw new InvalidArgumentError(this.where(section, key), "unknown key");
      }
    }
  }

  where(section: string, key: string): string {
    return `${this.file} [${section}] ${key}`;
  }

  get(section: string, key: string): string | undefined {
    return this.#sections.get(section)?.[key]?.trim();
  }

  bool(section: string, key: string, fallback: boolean): boolean {
    const v = this.get(section, key)?.toLowerCase();
    if (v === undefined) return fallback;
    if (v === "true" || v === "false") return v === "true";
    throw new InvalidArgumentError(
      this.where(section, key),
      `must be true or false, got ${JSON.stringify(v)}`,
    );
  }

  int(section: string, key: string, fallback: number, min: number, max: number): number {
    const v = this.get(section, key);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || n < min || n > max)
      throw new InvalidArgumentError(
        this.where(section, key),
        `must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`,
      );
    return n;
  }

  /** A comma-separated list, blanks dropped. */
  list(section: string, key: string, fallback: readonly string[] = []): string[] {
    const v = this.get(section, key);
    if (v === undefined) return [...fallback];
    return v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  }
}
