/**
 * When unsolicited router advertisements go out (RFC 4861 §6.2.4–§6.2.5), per VIF whose subnet's RAs
 * are ours: at once and twice more soon after when the VIF starts being advertised or its RA changes
 * (MAX_INITIAL_RTR_ADVERTISEMENTS, at most MAX_INITIAL_RTR_ADVERT_INTERVAL apart), then at a random
 * interval between MinRtrAdvInterval (a third of the maximum, the RFC's default) and MaxRtrAdvInterval,
 * so hosts and VIFs never send in step; and a last one, offering no router and deprecating the prefix,
 * when a VIF that is still there stops being advertised. The frames are built when the VIF is planned;
 * here they are only scheduled. `now` and `random` are given, so the schedule is tested without clocks.
 */
import type { PuntReply } from "../../pipeline/feature.ts";

/** §10: MAX_INITIAL_RTR_ADVERTISEMENTS and MAX_INITIAL_RTR_ADVERT_INTERVAL (seconds). */
const INITIAL_COUNT = 3;
const INITIAL_INTERVAL_S = 16;

export interface Advertised {
  readonly bridge: string;
  readonly ofport: number;
  /** The periodic RA, to all nodes. */
  readonly frame: Uint8Array;
  /** The last one, when the RAs stop (RFC 4861 §6.2.5). */
  readonly farewell: Uint8Array;
}

interface Entry extends Advertised {
  nextAtMs: number;
  initialLeft: number;
}

export class Advertiser {
  readonly #entries = new Map<string, Entry>();
  #farewells: { readonly bridge: string; readonly reply: PuntReply }[] = [];
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** The VIF's RA as planned now; a new or changed one starts the initial burst. */
  set(iface: string, advertised: Advertised, nowMs: number): void {
    const old = this.#entries.get(iface);
    if (
      old !== undefined &&
      old.bridge === advertised.bridge &&
      old.ofport === advertised.ofport &&
      Buffer.compare(Buffer.from(old.frame), Buffer.from(advertised.frame)) === 0
    )
      return;
    this.#entries.set(iface, { ...advertised, nextAtMs: nowMs, initialLeft: INITIAL_COUNT });
  }

  /**
   * The VIF is no longer advertised. `farewell`: it is still there (its subnet lost its RA mode), so it
   * hears that the router and prefix are going; a removed or dead VIF hears nothing.
   */
  stop(iface: string, farewell: boolean): void {
    const old = this.#entries.get(iface);
    if (old === undefined) return;
    this.#entries.delete(iface);
    if (farewell)
      this.#farewells.push({ bridge: old.bridge, reply: { outPort: old.ofport, frame: old.farewell } });
  }

  /** Whether the VIF is advertised (for tests and the docs' examples). */
  has(iface: string): boolean {
    return this.#entries.has(iface);
  }

  /** The frames due on `bridge` by `nowMs`, each VIF's next time set. */
  due(bridge: string, nowMs: number, maxIntervalS: number): PuntReply[] {
    const out: PuntReply[] = [];
    this.#farewells = this.#farewells.filter((f) => {
      if (f.bridge !== bridge) return true;
      out.push(f.reply);
      return false;
    });
    const maxMs = maxIntervalS * 1000;
    const minMs = maxMs / 3;
    for (const e of this.#entries.values()) {
      if (e.bridge !== bridge || e.nextAtMs > nowMs) continue;
      out.push({ outPort: e.ofport, frame: e.frame });
      let interval = minMs + this.#random() * (maxMs - minMs);
      if (e.initialLeft > 0) {
        e.initialLeft--;
        if (e.initialLeft > 0) interval = Math.min(interval, INITIAL_INTERVAL_S * 1000);
      }
      e.nextAtMs = nowMs + interval;
    }
    return out;
  }
}
