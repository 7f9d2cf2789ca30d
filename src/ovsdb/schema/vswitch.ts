/** Where Debian's openvswitch-common installs the Open_vSwitch database schema. */
export const vswitchSchemaPath = "/usr/share/openvswitch/vswitch.ovsschema";

/** The tables that have generated row interfaces (vswitch-rows.ts). */
export const vswitchTypedTables = [
  "Open_vSwitch",
  "Bridge",
  "Port",
  "Interface",
  "Controller",
  "QoS",
  "Queue",
] as const;

export const vswitchDb = "Open_vSwitch";
