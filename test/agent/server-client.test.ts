// The agent's event stream outlives the request timeout: the timeout bounds the wait for the response
// headers, never the stream (a long-lived SSE response kept alive by comments).
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import { test } from "node:test";
import { ServerClient, staticCredentials } from "../../src/agent/internal.ts";

test("a stream with keepalives lasts past the request timeout; a silent server is given up on", async (t) => {
  let silent = false;
  const server = createServer((req, res) => {
    if (silent) return; // never answers: headers never come
    res.writeHead(200, { "content-type": "text/event-stream" });
    const keepalive = setInterval(() => res.write(": keepalive\n\n"), 20);
    const event = setTimeout(
      () => res.write('event: resync\ndata: {"kind": "resync", "revision": 7}\n\n'),
      400,
    );
    req.on("close", () => {
      clearInterval(keepalive);
      clearTimeout(event);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as { port: number };
  const client = new ServerClient({
    url: `http://127.0.0.1:${port}`,
    host: "h",
    credentials: staticCredentials(undefined),
    requestTimeoutMs: 100,
  });
  const items = [];
  for await (const item of client.stream(0, new AbortController().signal, 1_000)) items.push(item);
  assert.deepEqual(items, [{ kind: "resync", revision: 7 }], "the stream ran 400 ms, four times the timeout");

  silent = true;
  await assert.rejects(async () => {
    for await (const _ of client.stream(0, new AbortController().signal, 1_000)) {
      // nothing arrives
    }
  }, /unavailable/);
});
