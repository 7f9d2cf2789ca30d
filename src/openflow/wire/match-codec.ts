/** ofp_match (OpenFlow 1.5 §7.2.3.1): type OFPMT_OXM (1), length, OXM TLVs, padded to 8 bytes. */
import { OpenFlowDecodeError } from "../errors.ts";
import { canonicalMatch, type Match, type MatchField } from "../model/match.ts";
import type { Reader, Writer } from "./buffer.ts";
import { fieldNamed, IP_TOS_SHIFT, isIpTosHeader, OxmClass } from "./fields.ts";
import { readOxm, writeOxm } from "./oxm.ts";

const OFPMT_OXM = 1;

export function writeMatch(w: Writer, m: Match): void {
  const start = w.length;
  w.u16(OFPMT_OXM).u16(0);
  for (const f of m) writeOxm(w, fieldNamed(f.field)!, f.value, f.mask);
  w.setU16(start + 2, w.length - start);
  w.padTo(8, start);
}

/**
 * Reads a match and returns it canonical (match.ts), so it compares equal to the flow as written. OVS
 * dumps vlan_tci as OXM VLAN_VID (+ VLAN_PCP) and in_port as either in_port width; both are folded back,
 * as is an NXM_OF_IP_TOS match into ip_dscp.
 * Fields we do not model become "oxm:CLASS:FIELD" entries so that foreign flows still decode.
 */
export function readMatch(r: Reader): Match {
  const start = r.offset;
  const type = r.u16();
  const length = r.u16();
  if (type !== OFPMT_OXM) r.fail(`match type ${type} is not OXM`);
  if (length < 4) r.fail(`match length ${length}`);
  const body = r.sub(length - 4, "match");
  r.skip((8 - ((r.offset - start) % 8)) % 8);
  return readOxmFields(body);
}

/**
 * OXM TLVs without a match header, to the end of `body`, as a canonical match: a match's body, or the
 * pipeline fields of an NXT_PACKET_IN2 (NXPINT_METADATA).
 */
export function readOxmFields(body: Reader): Match {
  const fields: MatchField[] = [];
  const unknown: MatchField[] = [];
  let vid: { value: bigint; mask: bigint } | undefined;
  let pcp: bigint | undefined;
  while (body.remaining > 0) {
    const oxm = readOxm(body);
    const name = oxm.def?.name;
    if (name === "vlan_vid") {
      // 12+1 bits with the OFPVID_PRESENT bit, which is vlan_tci's CFI bit (ovs-fields(7) vlan_vid).
      vid = { value: oxm.value & 0x1fffn, mask: (oxm.mask ?? 0x1fffn) & 0x1fffn };
    } else if (name === "vlan_pcp") {
      pcp = oxm.value;
    } else if (oxm.oxmClass === OxmClass.packetRegs) {
      fields.push(...splitPacketReg(oxm.field, oxm.value, oxm.mask));
    } else if (isIpTosHeader(oxm.oxmClass, oxm.field) && oxm.mask === undefined && (oxm.value & 3n) === 0n) {
      // NXM_OF_IP_TOS, the DSCP in place: OVS sends OXM_OF_IP_DSCP in OXM matches (nx_put_raw), but the
      // NXM form means the same match.
      fields.push({ field: "ip_dscp", value: oxm.value >> BigInt(IP_TOS_SHIFT) });
    } else if (name === "nxm_in_port") {
      fields.push({ field: "in_port", value: oxm.value >= 0xff00n ? oxm.value | 0xffff0000n : oxm.value });
    } else if (name !== undefined) {
      fields.push({ field: name, value: oxm.value, ...(oxm.mask === undefined ? {} : { mask: oxm.mask }) });
    } else {
      unknown.push({
        field: `oxm:${oxm.oxmClass.toString(16)}:${oxm.field}${oxm.experimenter ? `:${oxm.experimenter.toString(16)}` : ""}`,
        value: oxm.value,
        ...(oxm.mask === undefined ? {} : { mask: oxm.mask }),
      });
    }
  }
  if (vid !== undefined || pcp !== undefined) {
    let value = vid?.value ?? 0n;
    let mask = vid?.mask ?? 0n;
    if (pcp !== undefined) {
      value |= pcp << 13n;
      mask |= 0xe000n;
    }
    fields.push({ field: "vlan_tci", value, mask });
  }
  try {
    return [...canonicalMatch(fields, { lenient: true }), ...unknown];
  } catch (error) {
    throw new OpenFlowDecodeError(
      `match from switch: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * OpenFlow 1.5's OXM_OF_PKT_REG(n) is the 64-bit xreg n: reg(2n) in its high half, reg(2n+1) in its low
 * half. OVS dumps 32-bit register matches that way (ovs-fields(7) "xreg"); each matched half is one reg.
 */
export function splitPacketReg(n: number, value: bigint, mask: bigint | undefined): MatchField[] {
  const out: MatchField[] = [];
  const full = mask ?? 0xffffffffffffffffn;
  for (const [reg, shift] of [
    [2 * n, 32n],
    [2 * n + 1, 0n],
  ] as const) {
    const m = (full >> shift) & 0xffffffffn;
    if (m === 0n) continue;
    const v = (value >> shift) & 0xffffffffn;
    out.push({ field: `reg${reg}`, value: v, ...(m === 0xffffffffn ? {} : { mask: m }) });
  }
  return out;
}
