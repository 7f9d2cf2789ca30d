// The control-plane server. Knows nothing of OVS: it imports only base and protocol.
export { type ServerOptions, WeirServer } from "./app.ts";
export type { AuthSettings } from "./auth/authenticator.ts";
export { defaultServerConfig, loadServerConfig, parseServerConfig, type ServerConfig } from "./config.ts";
export { openStore, PostgresStore, SqliteStore, type Store } from "./store/index.ts";
