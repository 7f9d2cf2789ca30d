// Decoders throw PacketDecodeError and nothing else, whatever the bytes: every truncation of every
// captured frame, and seeded random mutations (a fixed seed and count, so a failure reproduces) both of
// whole frames and of the layers behind the checksums, rebuilt with right checksums so that the
// mutation reaches the DHCP and Neighbor Discovery decoders instead of stopping at a checksum.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeClasslessRoutes,
  decodeFrame,
  encodeEthernet,
  encodeIcmpv6,
  encodeIpv4,
  encodeIpv6,
  encodeUdp,
  PacketDecodeError,
  parseDhcpv4ReplyOptions,
  parseDhcpv4RequestOptions,
  parseDuid,
} from "../../src/packet/index.ts";
import { sampleNames, samples } from "./samples.ts";

/** mulberry32: small, fast, and the same sequence on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Decodes as a responder would, accessors included: "ok", or the layer of the PacketDecodeError. */
function outcome(bytes: Buffer): string {
  try {
    const frame = decodeFrame(bytes);
    if (frame.kind === "dhcpv4") {
      parseDhcpv4RequestOptions(frame.dhcpv4);
      for (const o of frame.dhcpv4.options) if (o.code === 121) decodeClasslessRoutes(o);
      if (frame.dhcpv4.op === 2) parseDhcpv4ReplyOptions(frame.dhcpv4);
    }
    if (frame.kind === "dhcpv6")
      for (const o of frame.dhcpv6.options)
        if (o.kind === "clientId" || o.kind === "serverId") parseDuid(o.duid);
    return "ok";
  } catch (error) {
    if (error instanceof PacketDecodeError) return error.layer;
    assert.fail(
      `not a PacketDecodeError: ${error instanceof Error ? error.stack : String(error)}\nframe ${bytes.toString("hex")}`,
    );
  }
}

function tally(outcomes: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
  return counts;
}

/** 1 to 4 bytes changed: a random value, a flipped bit, or the byte's neighbour value. */
function mutate(bytes: Buffer, next: () => number, from = 0): Buffer {
  const out = Buffer.from(bytes);
  if (out.length <= from) return out;
  const changes = 1 + Math.floor(next() * 4);
  for (let i = 0; i < changes; i++) {
    const at = from + Math.floor(next() * (out.length - from));
    const how = next();
    if (how < 0.4) out[at] = Math.floor(next() * 256);
    else if (how < 0.8) out[at]! ^= 1 << Math.floor(next() * 8);
    else out[at] = (out[at]! + (next() < 0.5 ? 1 : 255)) & 0xff;
  }
  return out;
}

/** The frame with its innermost payload replaced and every checksum and length made right again. */
function rebuild(original: Buffer, replace: (inner: Buffer) => Buffer): Buffer | undefined {
  const frame = decodeFrame(original);
  const { ethernet } = frame;
  if (
    (frame.kind === "dhcpv4" || frame.kind === "other") &&
    frame.ipv4 !== undefined &&
    frame.udp !== undefined
  ) {
    const pseudo = { version: 4, src: frame.ipv4.src, dst: frame.ipv4.dst } as const;
    const udp = encodeUdp(frame.udp, replace(frame.udp.payload), pseudo);
    return encodeEthernet(ethernet, encodeIpv4(frame.ipv4, udp));
  }
  if (
    frame.kind === "dhcpv6" ||
    (frame.kind === "other" && frame.ipv6 !== undefined && frame.udp !== undefined)
  ) {
    const ipv6 = frame.ipv6!;
    const pseudo = { version: 6, src: ipv6.src, dst: ipv6.dst } as const;
    const udp = encodeUdp(frame.udp!, replace(frame.udp!.payload), pseudo);
    return encodeEthernet(ethernet, encodeIpv6(ipv6, udp));
  }
  if ("icmpv6" in frame && frame.icmpv6 !== undefined && frame.ipv6 !== undefined) {
    const pseudo = { version: 6, src: frame.ipv6.src, dst: frame.ipv6.dst } as const;
    const message = replace(frame.icmpv6.bytes);
    if (message.length < 4) return encodeEthernet(ethernet, encodeIpv6(frame.ipv6, message));
    const icmp = encodeIcmpv6(message[0]!, message[1]!, message.subarray(4), pseudo);
    return encodeEthernet(ethernet, encodeIpv6(frame.ipv6, icmp));
  }
  return undefined;
}

test("every truncation of every captured frame decodes or throws PacketDecodeError", () => {
  const outcomes: string[] = [];
  for (const name of sampleNames) {
    const frame = samples[name];
    for (let length = 0; length < frame.length; length++) outcomes.push(outcome(frame.subarray(0, length)));
  }
  const counts = tally(outcomes);
  // Cut frames fail where a length no longer fits; the layers below the cut are never reached.
  assert.deepEqual([...counts.keys()].sort(), ["ethernet", "ipv4", "ipv6"]);
});

test("every truncation of every captured DHCP and ND message, rebuilt with right lengths and checksums", () => {
  const outcomes: string[] = [];
  for (const name of sampleNames) {
    const inner = rebuildInner(samples[name]);
    if (inner === undefined) continue;
    for (let length = 0; length < inner.length; length++) {
      const rebuilt = rebuild(samples[name], () => inner.subarray(0, length));
      if (rebuilt !== undefined) outcomes.push(outcome(rebuilt));
    }
  }
  const counts = tally(outcomes);
  for (const layer of ["dhcpv4", "dhcpv6", "icmpv6"])
    assert.ok((counts.get(layer) ?? 0) > 100, `${layer}: ${counts.get(layer)}`);
  // A DHCPv4 message cut inside the padding after End is still whole.
  assert.ok((counts.get("ok") ?? 0) > 0);
});

/** The innermost payload rebuild() would replace. */
function rebuildInner(original: Buffer): Buffer | undefined {
  let inner: Buffer | undefined;
  rebuild(original, (bytes) => {
    inner = Buffer.from(bytes);
    return bytes;
  });
  return inner;
}

test("seeded random mutations of whole frames decode or throw PacketDecodeError", () => {
  const next = random(0x57656972);
  const outcomes: string[] = [];
  for (let round = 0; round < 100; round++)
    for (const name of sampleNames) {
      const mutated = mutate(samples[name], next);
      // Now and then a cut or a tail of random bytes as well.
      const shape = next();
      const extra = Buffer.from(
        Array.from({ length: Math.floor(next() * 16) }, () => Math.floor(next() * 256)),
      );
      const bytes =
        shape < 0.1
          ? mutated.subarray(0, Math.floor(next() * mutated.length))
          : shape < 0.2
            ? Buffer.concat([mutated, extra])
            : mutated;
      outcomes.push(outcome(bytes));
    }
  assert.equal(outcomes.length, 2500);
  const counts = tally(outcomes);
  for (const layer of ["ethernet", "ipv4", "ipv6", "udp", "icmpv6"])
    assert.ok((counts.get(layer) ?? 0) > 0, `no ${layer} error in ${[...counts]}`);
  assert.ok((counts.get("ok") ?? 0) > 0);
});

test("seeded random mutations behind the checksums reach the DHCP and ND decoders", () => {
  const next = random(0x64686370);
  const outcomes: string[] = [];
  for (let round = 0; round < 100; round++)
    for (const name of sampleNames) {
      const rebuilt = rebuild(samples[name], (inner) => mutate(inner, next));
      if (rebuilt !== undefined) outcomes.push(outcome(rebuilt));
    }
  assert.ok(outcomes.length >= 2000, `${outcomes.length}`);
  const counts = tally(outcomes);
  for (const layer of ["dhcpv4", "dhcpv6", "icmpv6"])
    assert.ok((counts.get(layer) ?? 0) > 50, `${layer}: ${[...counts]}`);
  assert.ok((counts.get("ok") ?? 0) > 100);
});

test("random bytes decode or throw PacketDecodeError", () => {
  const next = random(0x72616e64);
  const outcomes: string[] = [];
  for (let i = 0; i < 500; i++) {
    const bytes = Buffer.from(
      Array.from({ length: Math.floor(next() * 400) }, () => Math.floor(next() * 256)),
    );
    // Half of them with an IPv4 or IPv6 EtherType, so that the IP decoders see them too.
    if (bytes.length >= 14 && next() < 0.5) bytes.writeUInt16BE(next() < 0.5 ? 0x0800 : 0x86dd, 12);
    outcomes.push(outcome(bytes));
  }
  const counts = tally(outcomes);
  assert.ok((counts.get("ipv4") ?? 0) > 0 && (counts.get("ipv6") ?? 0) > 0, `${[...counts]}`);
});
