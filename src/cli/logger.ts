import pino, { type Logger } from "pino";

/** JSON lines for machines; pino-pretty when a person is watching a terminal. */
export function createLogger(name: string, level = process.env.WEIR_LOG_LEVEL ?? "info"): Logger {
  if (process.stdout.isTTY) {
    return pino({
      name,
      level,
      transport: {
        target: "pino-pretty",
        options: { translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" },
      },
    });
  }
  return pino({ name, level });
}
