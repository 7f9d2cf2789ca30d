import assert from "node:assert/strict";
import { test } from "node:test";
import { type CacheEvent, OvsdbCache, parseSchema, type RowChange } from "../../src/ovsdb/index.ts";
import { miniSchema } from "../support/scripted-server.ts";

interface Tables {
  Bridge: {
    _uuid: string;
    name: string;
    ports: string[];
    fail_mode: string | null;
    external_ids: Record<string, string>;
  };
  Port: { _uuid: string; name: string; tag: number | null };
}

const P1 = "11111111-1111-1111-1111-111111111111";
const P2 = "22222222-2222-2222-2222-222222222222";
const P3 = "33333333-3333-3333-3333-333333333333";

function newCache() {
  const cache = new OvsdbCache<Tables>(parseSchema(miniSchema), { Bridge: "all", Port: ["name", "tag"] });
  const batches: { phase: string; events: CacheEvent<Tables>[] }[] = [];
  cache.subscribe((events, phase) => batches.push({ phase, events: [...events] }));
  return { cache, batches };
}

const changes = (table: string, rows: RowChange[]) => new Map([[table, rows]]);

test("initial rows omit default columns; the replica fills them in", () => {
  const { cache } = newCache();
  cache.apply("initial", changes("Bridge", [{ kind: "insert", uuid: "b1", row: { name: "br-int" } }]));
  assert.deepEqual(cache.get("Bridge", "b1"), {
    _uuid: "b1",
    name: "br-int",
    ports: [],
    fail_mode: null,
    external_ids: {},
  });
});

test("update2 diffs: sets by symmetric difference, maps by key, single values replaced", () => {
  const { cache, batches } = newCache();
  cache.apply(
    "initial",
    changes("Bridge", [
      {
        kind: "insert",
        uuid: "b1",
        row: {
          name: "br-int",
          ports: [
            "set",
            [
              ["uuid", P1],
              ["uuid", P2],
            ],
          ],
          fail_mode: "standalone",
          external_ids: [
            "map",
            [
              ["a", "1"],
              ["b", "2"],
            ],
          ],
        },
      },
    ]),
  );
  cache.apply(
    "update",
    changes("Bridge", [
      {
        kind: "modify",
        uuid: "b1",
        diff: {
          // P2 removed, P3 added.
          ports: [
            "set",
            [
              ["uuid", P2],
              ["uuid", P3],
            ],
          ],
          // optional columns carry the new value (OVS diffs only columns with max > 1).
          fail_mode: "secure",
          // a=1 removed (same value), b changed, c added.
          external_ids: [
            "map",
            [
              ["a", "1"],
              ["b", "20"],
              ["c", "3"],
            ],
          ],
        },
      },
    ]),
  );
  const row = cache.get("Bridge", "b1")!;
  assert.deepEqual(row.ports.toSorted(), [P1, P3]);
  assert.equal(row.fail_mode, "secure");
  assert.deepEqual(row.external_ids, { b: "20", c: "3" });
  const last = batches.at(-1)!;
  assert.equal(last.phase, "update");
  assert.equal(last.events.length, 1);
  const event = last.events[0]!;
  assert.equal(event.type, "modify");
  assert.equal(event.type === "modify" && (event.old as Tables["Bridge"]).fail_mode, "standalone");
});

test("an optional column cleared by a diff becomes null", () => {
  const { cache } = newCache();
  cache.apply("initial", changes("Port", [{ kind: "insert", uuid: "p", row: { name: "tap", tag: 5 } }]));
  cache.apply("update", changes("Port", [{ kind: "modify", uuid: "p", diff: { tag: ["set", []] } }]));
  assert.equal(cache.get("Port", "p")!.tag, null);
});

test("delete removes the row and reports the old one", () => {
  const { cache, batches } = newCache();
  cache.apply("initial", changes("Port", [{ kind: "insert", uuid: "p", row: { name: "tap" } }]));
  cache.apply("update", changes("Port", [{ kind: "delete", uuid: "p" }]));
  assert.equal(cache.get("Port", "p"), undefined);
  assert.deepEqual(batches.at(-1)!.events, [
    { type: "delete", table: "Port", uuid: "p", old: { _uuid: "p", name: "tap", tag: null } },
  ]);
});

test("a resync after reconnect reports only what changed while disconnected", () => {
  const { cache, batches } = newCache();
  cache.apply(
    "initial",
    changes("Port", [
      { kind: "insert", uuid: "keep", row: { name: "a", tag: 1 } },
      { kind: "insert", uuid: "retag", row: { name: "b", tag: 2 } },
      { kind: "insert", uuid: "gone", row: { name: "c" } },
    ]),
  );
  cache.apply(
    "resync",
    changes("Port", [
      { kind: "insert", uuid: "keep", row: { name: "a", tag: 1 } },
      { kind: "insert", uuid: "retag", row: { name: "b", tag: 3 } },
      { kind: "insert", uuid: "new", row: { name: "d" } },
    ]),
  );
  const summary = batches
    .at(-1)!
    .events.map((e) => `${e.type} ${e.uuid}`)
    .sort();
  assert.deepEqual(summary, ["delete gone", "insert new", "modify retag"]);
  assert.equal(cache.size("Port"), 3);
  assert.equal(cache.find("Port", "name", "b")?.tag, 3);
});

test("a resync that omits a table entirely empties it", () => {
  const { cache, batches } = newCache();
  cache.apply("initial", changes("Port", [{ kind: "insert", uuid: "p", row: { name: "a" } }]));
  cache.apply("resync", new Map());
  assert.equal(cache.size("Port"), 0);
  assert.deepEqual(
    batches.at(-1)!.events.map((e) => e.type),
    ["delete"],
  );
});
