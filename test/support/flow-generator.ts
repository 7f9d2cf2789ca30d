// Generated flows of every kind Weir emits, for codec and oracle tests. Seeded, so a failure reproduces.
import { actions as A, type Action, type Flow, flow, type MatchSpec } from "../../src/openflow/index.ts";

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, max: number) => Math.floor(r() * max);
const pick = <T>(r: Rand, items: readonly T[]): T => items[int(r, items.length)]!;
const mac = (r: Rand) =>
  `fa:16:3e:${[0, 0, 0].map(() => int(r, 256).toString(16).padStart(2, "0")).join(":")}`;
const ip4 = (r: Rand) => `198.${18 + int(r, 2)}.${int(r, 256)}.${int(r, 256)}`;
const ip6 = (r: Rand) => `2001:db8:${int(r, 0xffff).toString(16)}::${int(r, 0xffff).toString(16)}`;

type L3 = "none" | "ip" | "ipv6" | "arp";

/** A match of a random kind, and which L3/L4 it pins (for actions whose prerequisites depend on it). */
function randomMatch(r: Rand): { spec: Record<string, unknown>; l3: L3; l4?: "tcp" | "udp"; vlan: boolean } {
  const spec: Record<string, unknown> = {};
  let vlan = false;
  if (r() < 0.5) spec.in_port = 1 + int(r, 4000);
  if (r() < 0.3) {
    vlan = r() < 0.7;
    spec.vlan_tci = vlan
      ? [0x1000 | (1 + int(r, 4094)), pick(r, [0x1fff, 0x1fff, 0xffff, 0x1000])]
      : [0, 0x1fff];
  }
  if (r() < 0.2)
    spec.eth_dst = pick(r, [mac(r), "01:00:00:00:00:00/01:00:00:00:00:00", `${mac(r)}/ff:ff:ff:ff:ff:00`]);
  if (r() < 0.15) spec.eth_src = mac(r);
  if (r() < 0.2) spec.tun_id = r() < 0.8 ? 1 + int(r, 0xffffff) : [0x1000 + int(r, 0xfff), 0xfff000];
  if (r() < 0.1) spec.tun_src = ip4(r);
  if (r() < 0.1) spec.tun_dst = ip4(r);
  if (r() < 0.25) spec[`reg${int(r, 16)}`] = r() < 0.5 ? int(r, 0xffffffff) : [int(r, 0xffff), 0xffff];
  if (r() < 0.1) spec.metadata = [BigInt(int(r, 0xffffff)) << 8n, 0xffffff00n];
  if (r() < 0.15)
    spec.ct_state = pick(r, [
      [0x21, 0x21],
      [0x22, 0x23],
      [0x20, 0x20],
      [0x24, 0x24],
    ]);
  if (r() < 0.08) spec.ct_zone = 1 + int(r, 0xfff);
  if (r() < 0.08) spec.ct_mark = [int(r, 0xff), 0xff];
  if (r() < 0.05) spec.pkt_mark = [1 + int(r, 0xfff), 0xfff];
  if (r() < 0.05) spec.conj_id = 1 + int(r, 1000);
  const l3 = pick<L3>(r, ["none", "none", "ip", "ip", "ipv6", "arp"]);
  let l4: "tcp" | "udp" | undefined;
  if (l3 === "ip") {
    spec.eth_type = 0x0800;
    if (r() < 0.6)
      spec.ip_src = pick(r, [ip4(r), `${ip4(r).split(".").slice(0, 3).join(".")}.0/24`, "198.19.0.0/16"]);
    if (r() < 0.5) spec.ip_dst = ip4(r);
    const proto = pick(r, ["tcp", "udp", "icmp", "none"] as const);
    if (proto === "tcp" || proto === "udp") {
      l4 = proto;
      spec.ip_proto = proto === "tcp" ? 6 : 17;
      spec[`${proto}_dst`] = r() < 0.7 ? 1 + int(r, 65535) : [0x1000, 0xf000];
      if (r() < 0.3) spec[`${proto}_src`] = 1 + int(r, 65535);
      if (proto === "tcp" && r() < 0.2) spec.tcp_flags = [0x002, 0x012];
    } else if (proto === "icmp") {
      spec.ip_proto = 1;
      spec.icmp_type = pick(r, [0, 3, 8]);
      if (r() < 0.5) spec.icmp_code = 0;
    }
  } else if (l3 === "ipv6") {
    spec.eth_type = 0x86dd;
    if (r() < 0.5) spec.ipv6_src = ip6(r);
    if (r() < 0.5) spec.ipv6_dst = `${ip6(r)}/64`.replace(/::[0-9a-f]+\/64$/, "::/64");
    const l4Roll = r();
    if (l4Roll < 0.5) {
      spec.ip_proto = 58;
      spec.icmpv6_type = pick(r, [133, 134, 135, 136]);
      if ((spec.icmpv6_type === 135 || spec.icmpv6_type === 136) && r() < 0.6) {
        spec.icmpv6_code = 0;
        spec.nd_target = ip6(r);
      }
    } else if (l4Roll < 0.75) {
      l4 = "tcp";
      spec.ip_proto = 6;
      spec.tcp_dst = 1 + int(r, 65535);
    }
  } else if (l3 === "arp") {
    spec.eth_type = 0x0806;
    if (r() < 0.6) spec.arp_op = pick(r, [1, 2]);
    if (r() < 0.6) spec.arp_tpa = ip4(r);
    if (r() < 0.3) spec.arp_spa = "198.19.0.0/16";
    if (r() < 0.3) spec.arp_sha = mac(r);
  }
  return { spec, l3, ...(l4 ? { l4 } : {}), vlan };
}

function randomActions(r: Rand, table: number, m: ReturnType<typeof randomMatch>): Action[] {
  // Conjunctive flows carry only conjunction actions (OVS rejects anything else beside them).
  if (r() < 0.06) {
    const n = 2 + int(r, 3);
    return [A.conjunction(1 + int(r, 100000), 1 + int(r, n), n)];
  }
  const out: Action[] = [];
  const count = int(r, 4);
  let vlanPresent = m.vlan;
  for (let i = 0; i < count; i++) {
    const kind = int(r, 16);
    switch (kind) {
      case 0:
        out.push(A.output(1 + int(r, 4000)));
        break;
      case 1:
        out.push(A.resubmit(Math.min(254, table + 1 + int(r, 40)), r() < 0.2 ? 1 + int(r, 100) : undefined));
        break;
      case 2:
        // One tag at most: OVS's default vlan-limit is 1 (a second push is BAD_TAG).
        if (vlanPresent) out.push(A.setVlanVid(1 + int(r, 4094)));
        else out.push(A.pushVlan(), A.setVlanVid(1 + int(r, 4094)));
        vlanPresent = true;
        break;
      case 3:
        if (vlanPresent) {
          out.push(A.popVlan);
          vlanPresent = false;
        } else out.push(A.setField("eth_dst", mac(r)));
        break;
      case 4:
        out.push(A.load(int(r, 0xff), A.subfield(`reg${int(r, 16)}`, 8, 15)));
        break;
      case 5:
        out.push(A.setTunnel(1 + int(r, 0xffffff)));
        break;
      case 6:
        out.push(A.move(A.subfield("eth_src"), A.subfield("eth_dst")));
        break;
      case 7:
        out.push(A.setField(`reg${int(r, 16)}`, int(r, 0xffffffff)));
        break;
      case 8:
        if (m.l3 === "ip") out.push(A.setField("ip_dst", ip4(r)));
        else out.push(A.setField("eth_src", mac(r)));
        break;
      case 9:
        if (m.l4 === "tcp" && m.l3 === "ip") out.push(A.setField("tcp_dst", 1 + int(r, 65535)));
        else out.push(A.setField("metadata", BigInt(int(r, 0xffffff))));
        break;
      case 10:
        out.push(A.note(pick(r, ["weir", "port:3f2c1d4e", "x"])));
        break;
      case 11:
        if (m.l3 === "ip" || m.l3 === "ipv6") {
          const nat =
            m.l3 === "ip" && r() < 0.5
              ? [
                  A.nat({
                    kind: "src",
                    ipMin: 0xc6130001n,
                    ipMax: 0xc61300ffn,
                    portMin: 1024,
                    portMax: 65535,
                  }),
                ]
              : [];
          const commit = r() < 0.6 || nat.length > 0;
          out.push(
            A.ct({
              commit,
              zone: r() < 0.5 ? 1 + int(r, 0xfff) : A.subfield("reg6", 0, 15),
              ...(r() < 0.5 ? { table: Math.min(254, table + 1 + int(r, 30)) } : {}),
              actions: [...(commit && r() < 0.4 ? [A.load(1, A.subfield("ct_mark", 0, 0))] : []), ...nat],
            }),
          );
        } else out.push(A.ctClear);
        break;
      case 12:
        out.push(m.l3 === "ip" || m.l3 === "ipv6" ? A.decTtl : A.ctClear);
        break;
      case 13:
        out.push(
          A.learn({
            table: 20,
            hardTimeout: 300,
            priority: 1,
            cookie: 0x5700007f00000000n,
            specs: [
              { kind: "match", dst: A.subfield("vlan_tci", 0, 11), src: A.subfield("vlan_tci", 0, 11) },
              { kind: "match", dst: A.subfield("eth_dst"), src: A.subfield("eth_src") },
              { kind: "load", dst: A.subfield("vlan_tci"), src: 0n },
              { kind: "load", dst: A.subfield("tun_id"), src: A.subfield("tun_id") },
              { kind: "output", src: A.subfield("in_port") },
            ],
          }),
        );
        break;
      case 14:
        out.push(pick(r, [A.normal, A.inPort, A.controller(), A.controller(128)]));
        break;
      default:
        out.push(A.exit);
    }
  }
  if (r() < 0.3 && table < 250) out.push(A.gotoTable(table + 1 + int(r, 250 - table)));
  return out;
}

/** `count` distinct, valid flows (distinct table/priority/match). */
export function generateFlows(seed: number, count: number, cookie = 0x57000000000000abn): Flow[] {
  const r = prng(seed);
  const seen = new Set<string>();
  const flows: Flow[] = [];
  while (flows.length < count) {
    const table = pick(r, [0, 0, 1, 2, 3, 4, 10, 20, 21, 22, 23, 60, 71, 72, 73, 82, 94, 120, 200]);
    const m = randomMatch(r);
    const f = flow({
      table,
      priority: pick(r, [0, 1, 2, 3, 10, 50, 65, 70, 100, 1000, 32768, 65535]),
      cookie,
      ...(r() < 0.05 ? { idleTimeout: 300 } : {}),
      match: m.spec as MatchSpec,
      actions: randomActions(r, table, m),
    });
    const key = `${f.table}/${f.priority}/${JSON.stringify(f.match, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`;
    if (seen.has(key)) continue;
    seen.add(key);
    flows.push(f);
  }
  return flows;
}
