import assert from "node:assert/strict";
import { test } from "node:test";
import { internetChecksum, transportChecksum } from "../../src/packet/internal.ts";
import { hex, samples } from "./samples.ts";

test("the Internet checksum of RFC 1071 §3's example", () => {
  // 0001 + f203 + f4f5 + f6f7 = 2ddf0, folded ddf2; the checksum is its complement.
  assert.equal(internetChecksum([hex("0001f203f4f5f6f7")]), 0x220d);
});

test("odd-length parts are summed as one byte string", () => {
  const whole = hex("0001f203f4f5f6f7ab");
  const expected = internetChecksum([whole]);
  for (let cut = 0; cut <= whole.length; cut++)
    assert.equal(internetChecksum([whole.subarray(0, cut), whole.subarray(cut)]), expected, `cut at ${cut}`);
  // A trailing odd byte is the high half of a word padded with zero.
  assert.equal(internetChecksum([hex("ab")]), internetChecksum([hex("ab00")]));
});

test("received headers and segments sum to zero with their checksums", () => {
  const ipHeader = samples.offer.subarray(14, 34);
  assert.equal(internetChecksum([ipHeader]), 0);
  const udp = samples.offer.subarray(34);
  assert.equal(transportChecksum({ version: 4, src: "198.18.0.1", dst: "198.18.0.125" }, 17, udp), 0);
  const icmpv6 = samples.rsClient.subarray(54);
  assert.equal(
    transportChecksum({ version: 6, src: "fe80::77:65ff:fe69:7201", dst: "ff02::2" }, 58, icmpv6),
    0,
  );
  // A different destination is a different pseudo-header.
  assert.notEqual(
    transportChecksum({ version: 6, src: "fe80::77:65ff:fe69:7201", dst: "ff02::1" }, 58, icmpv6),
    0,
  );
});
