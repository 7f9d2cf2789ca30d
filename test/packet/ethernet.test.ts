import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../../src/base/index.ts";
import { decodeEthernet, decodeFrame, encodeEthernet } from "../../src/packet/index.ts";
import { assertMalformed } from "./assert-decode.ts";
import { sampleNames, samples, withTag } from "./samples.ts";

test("an untagged frame: addresses in lower-case colon form, the EtherType, the payload after byte 14", () => {
  const eth = decodeEthernet(samples.discover);
  assert.equal(eth.dst, "ff:ff:ff:ff:ff:ff");
  assert.equal(eth.src, "02:77:65:69:72:01");
  assert.deepEqual(eth.vlanTags, []);
  assert.equal(eth.ethertype, 0x0800);
  assert.deepEqual(eth.payload, samples.discover.subarray(14));
  assert.equal(decodeEthernet(samples.solicit).ethertype, 0x86dd);
});

test("every captured frame encodes back to its bytes", () => {
  for (const name of sampleNames) {
    const eth = decodeEthernet(samples[name]);
    assert.deepEqual(encodeEthernet(eth, eth.payload), samples[name], name);
  }
});

test("an 802.1Q tag inserted into a capture: PCP, DEI and VID decoded, the frame beneath unchanged", () => {
  // TCI 0xb064: PCP 5, DEI 1, VID 100.
  const tagged = withTag(samples.offer, 0x8100, 0xb064);
  const eth = decodeEthernet(tagged);
  assert.deepEqual(eth.vlanTags, [{ tpid: 0x8100, pcp: 5, dei: true, vid: 100 }]);
  assert.equal(eth.ethertype, 0x0800);
  assert.deepEqual(eth.payload, samples.offer.subarray(14));
  assert.deepEqual(encodeEthernet(eth, eth.payload), tagged);
  const frame = decodeFrame(tagged);
  assert.equal(frame.kind, "dhcpv4");
  assert.deepEqual(frame.ethernet.vlanTags, eth.vlanTags);
});

test("an 802.1ad S-tag over a C-tag is a stack, outermost first", () => {
  const stacked = withTag(withTag(samples.solicit, 0x8100, 0x0fff), 0x88a8, 0x2007);
  const eth = decodeEthernet(stacked);
  assert.deepEqual(eth.vlanTags, [
    { tpid: 0x88a8, pcp: 1, dei: false, vid: 7 },
    { tpid: 0x8100, pcp: 0, dei: false, vid: 4095 },
  ]);
  assert.equal(eth.ethertype, 0x86dd);
  assert.deepEqual(encodeEthernet(eth, eth.payload), stacked);
  assert.equal(decodeFrame(stacked).kind, "dhcpv6");
});

test("a frame cut inside its header or a tag is malformed, at the field it cut", () => {
  assertMalformed(
    () => decodeEthernet(samples.discover.subarray(0, 5)),
    "ethernet: destination at offset 0 needs 6 bytes, 5 left",
  );
  assertMalformed(
    () => decodeEthernet(samples.discover.subarray(0, 13)),
    "ethernet: ethertype at offset 12 needs 2 bytes, 1 left",
  );
  const tagged = withTag(samples.discover, 0x8100, 100);
  assertMalformed(
    () => decodeEthernet(tagged.subarray(0, 15)),
    "ethernet: VLAN tag 1 TCI at offset 14 needs 2 bytes, 1 left",
  );
  assertMalformed(
    () => decodeEthernet(tagged.subarray(0, 17)),
    "ethernet: ethertype after VLAN tag 1 at offset 16 needs 2 bytes, 1 left",
  );
  // Fourteen bytes are a whole header with nothing after it.
  assert.deepEqual(decodeEthernet(samples.discover.subarray(0, 14)).payload, Buffer.alloc(0));
});

test("the encoder refuses tags and EtherTypes it cannot write", () => {
  const base = { dst: "02:77:65:69:72:01", src: "02:77:65:69:72:02", ethertype: 0x0800 };
  const refused = (header: Parameters<typeof encodeEthernet>[0], field: string) =>
    assert.throws(
      () => encodeEthernet(header, Buffer.alloc(0)),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
    );
  refused(
    { ...base, vlanTags: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 4096 }] },
    "ethernet.vlanTags[0].vid",
  );
  refused({ ...base, vlanTags: [{ tpid: 0x8100, pcp: 8, dei: false, vid: 1 }] }, "ethernet.vlanTags[0].pcp");
  refused({ ...base, ethertype: 0x8100 }, "ethernet.ethertype");
  refused({ ...base, ethertype: 0x10000 }, "ethernet.ethertype");
  refused({ ...base, dst: "ff:ff:ff:ff:ff" }, "ethernet.dst");
});
