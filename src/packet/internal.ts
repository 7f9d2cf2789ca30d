// For tests: the reader and writer, the checksum and the DNS-name and prefix helpers the codecs share.

export { formatChecksum, internetChecksum, transportChecksum } from "./checksum.ts";
export { encodeDomainName, readDomainName } from "./dns-name.ts";
export * from "./index.ts";
export { formatPrefix, parsePrefix } from "./prefix.ts";
export { PacketReader } from "./reader.ts";
export { PacketWriter } from "./writer.ts";
