// Routers and floating IPs, run against each storage backend (server-api-*.test.ts): the gateway and
// interface ports Neutron makes, with their addresses from the right subnets; Neutron's rules and codes
// for interfaces, gateways, extra routes and floating-IP associations; what is in use cannot go.
import assert from "node:assert/strict";
import { test } from "node:test";
import { network, neutronError, port, subnet } from "./api-suite.ts";
import { type Backend, startServer, type TestServer } from "./server.ts";

async function external(s: TestServer) {
  const net = await network(s, { name: "public", "router:external": true });
  const sub = await subnet(s, net.id, "198.18.100.0/24");
  return { net, sub };
}

async function router(s: TestServer, body: object = {}) {
  const r = await s.api("POST", "/v2.0/routers", { router: { name: "r", ...body } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.router;
}

const addInterface = (s: TestServer, id: string, body: object) =>
  s.api("PUT", `/v2.0/routers/${id}/add_router_interface`, body);
const removeInterface = (s: TestServer, id: string, body: object) =>
  s.api("PUT", `/v2.0/routers/${id}/remove_router_interface`, body);

export function defineRouterSuite(backend: Backend): void {
  const b = backend.kind;

  test(`[${b}] routers: the gateway port on the external network, interfaces by subnet and by port, Neutron's rules`, async (t) => {
    const s = await startServer(t, backend);
    const ext = await external(s);
    const r = await router(s, { external_gateway_info: { network_id: ext.net.id } });
    assert.equal(r.status, "ACTIVE");
    assert.equal(r.admin_state_up, true);
    assert.deepEqual(r.routes, []);
    assert.equal(r.external_gateway_info.network_id, ext.net.id);
    assert.equal(r.external_gateway_info.enable_snat, true, "SNAT unless turned off");
    const [gwIp] = r.external_gateway_info.external_fixed_ips;
    assert.equal(gwIp.subnet_id, ext.sub.id);
    assert.match(gwIp.ip_address, /^198\.18\.100\.\d+$/);
    const gwPorts = (await s.api("GET", `/v2.0/ports?device_id=${r.id}`)).body.ports;
    assert.equal(gwPorts.length, 1);
    assert.equal(gwPorts[0].device_owner, "network:router_gateway");
    assert.equal(gwPorts[0].project_id, "", "the gateway port is no project's: no project may delete it");
    neutronError(await s.api("DELETE", `/v2.0/ports/${gwPorts[0].id}`), 409, "ServicePortInUse");

    // By subnet: the router takes the subnet's gateway IP on a new interface port.
    const net = await network(s, { name: "inside" });
    const sub = await subnet(s, net.id, "198.19.1.0/24");
    const added = await addInterface(s, r.id, { subnet_id: sub.id });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(Object.keys(added.body).sort(), [
      "id",
      "network_id",
      "port_id",
      "project_id",
      "subnet_id",
      "subnet_ids",
      "tags",
      "tenant_id",
    ]);
    assert.equal(added.body.id, r.id);
    assert.deepEqual(added.body.subnet_ids, [sub.id]);
    const iface = (await s.api("GET", `/v2.0/ports/${added.body.port_id}`)).body.port;
    assert.equal(iface.device_owner, "network:router_interface");
    assert.equal(iface.device_id, r.id);
    assert.deepEqual(iface.fixed_ips, [{ subnet_id: sub.id, ip_address: "198.19.1.1" }]);
    neutronError(
      await addInterface(s, r.id, { subnet_id: sub.id }),
      400,
      "BadRequest",
      /already has a port on subnet/,
    );
    neutronError(await s.api("DELETE", `/v2.0/ports/${iface.id}`), 409, "ServicePortInUse");
    neutronError(await s.api("DELETE", `/v2.0/subnets/${sub.id}`), 409, "SubnetInUse");
    neutronError(await s.api("DELETE", `/v2.0/routers/${r.id}`), 409, "RouterInUse");

    // Overlapping subnets on one router, both ids, neither, a gateway-less subnet.
    const other = await network(s, { name: "overlap" });
    const overlapping = await subnet(s, other.id, "198.19.1.128/25");
    neutronError(
      await addInterface(s, r.id, { subnet_id: overlapping.id }),
      400,
      "BadRequest",
      /overlaps with cidr/,
    );
    neutronError(
      await addInterface(s, r.id, { subnet_id: overlapping.id, port_id: iface.id }),
      400,
      "BadRequest",
      /Cannot specify both subnet-id and port-id/,
    );
    neutronError(await addInterface(s, r.id, {}), 400, "HTTPBadRequest");
    const noGw = await subnet(s, (await network(s)).id, "198.19.7.0/24", { gateway_ip: null });
    neutronError(
      await addInterface(s, r.id, { subnet_id: noGw.id }),
      400,
      "BadRequest",
      /must have a gateway IP/,
    );
    neutronError(
      await addInterface(s, r.id, { subnet_id: "00000000-0000-4000-8000-000000000000" }),
      404,
      "SubnetNotFound",
    );

    // By port: the port must be free and addressed; one in use is 409.
    const net2 = await network(s, { name: "second" });
    const sub2 = await subnet(s, net2.id, "198.19.2.0/24");
    const p = await port(s, net2.id);
    const byPort = await addInterface(s, r.id, { port_id: p.id });
    assert.equal(byPort.status, 200, JSON.stringify(byPort.body));
    assert.equal(byPort.body.subnet_id, sub2.id);
    const r2 = await router(s, { name: "r2" });
    neutronError(await addInterface(s, r2.id, { port_id: p.id }), 409, "PortInUse");
    const vm = await port(s, net2.id, { device_id: "vm-1", device_owner: "compute:nova" });
    neutronError(await addInterface(s, r2.id, { port_id: vm.id }), 409, "PortInUse");

    // Removing: by port, by subnet; what is not there is 404.
    neutronError(await removeInterface(s, r.id, { port_id: vm.id }), 404, "RouterInterfaceNotFound");
    neutronError(
      await removeInterface(s, r.id, { subnet_id: overlapping.id }),
      404,
      "RouterInterfaceNotFoundForSubnet",
    );
    const removed = await removeInterface(s, r.id, { port_id: p.id });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.equal((await s.api("GET", `/v2.0/ports/${p.id}`)).status, 404, "the interface port goes with it");
    assert.equal((await removeInterface(s, r.id, { subnet_id: sub.id })).status, 200);
    assert.equal((await s.api("GET", `/v2.0/ports/${iface.id}`)).status, 404);

    // The gateway: unset removes its port; a network that is not external is refused.
    const unset = await s.api("PUT", `/v2.0/routers/${r.id}`, { router: { external_gateway_info: {} } });
    assert.equal(unset.status, 200, JSON.stringify(unset.body));
    assert.equal(unset.body.router.external_gateway_info, null);
    assert.deepEqual((await s.api("GET", `/v2.0/ports?device_id=${r.id}`)).body.ports, []);
    neutronError(
      await s.api("PUT", `/v2.0/routers/${r.id}`, {
        router: { external_gateway_info: { network_id: net.id } },
      }),
      400,
      "BadRequest",
      /is not an external network/,
    );
    const snatOff = await s.api("PUT", `/v2.0/routers/${r.id}`, {
      router: {
        external_gateway_info: {
          network_id: ext.net.id,
          enable_snat: false,
          external_fixed_ips: [{ ip_address: "198.18.100.77" }],
        },
      },
    });
    assert.equal(snatOff.status, 200, JSON.stringify(snatOff.body));
    assert.equal(snatOff.body.router.external_gateway_info.enable_snat, false);
    assert.deepEqual(snatOff.body.router.external_gateway_info.external_fixed_ips, [
      { subnet_id: ext.sub.id, ip_address: "198.18.100.77" },
    ]);
    neutronError(
      await s.api("PUT", `/v2.0/networks/${ext.net.id}`, { network: { "router:external": false } }),
      409,
      "ExternalNetworkInUse",
    );
    assert.equal((await s.api("DELETE", `/v2.0/routers/${r.id}`)).status, 204);
    assert.deepEqual(
      (await s.api("GET", `/v2.0/ports?device_id=${r.id}`)).body.ports,
      [],
      "gateway port removed",
    );
    assert.equal((await s.api("DELETE", `/v2.0/routers/${r2.id}`)).status, 204);
    const off = await s.api("PUT", `/v2.0/networks/${ext.net.id}`, { network: { "router:external": false } });
    assert.equal(
      off.body.network["router:external"],
      false,
      "with no gateway on it, it may stop being external",
    );
  });

  test(`[${b}] extra routes: next hops on connected subnets only, not the router's own address, at most 30`, async (t) => {
    const s = await startServer(t, backend);
    const r = await router(s);
    const net = await network(s);
    const sub = await subnet(s, net.id, "198.19.3.0/24");
    assert.equal((await addInterface(s, r.id, { subnet_id: sub.id })).status, 200);
    const set = (routes: unknown) => s.api("PUT", `/v2.0/routers/${r.id}`, { router: { routes } });
    const ok = await set([{ destination: "198.18.64.0/18", nexthop: "198.19.3.9" }]);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.router.routes, [{ destination: "198.18.64.0/18", nexthop: "198.19.3.9" }]);
    neutronError(
      await set([{ destination: "198.18.64.0/18", nexthop: "198.19.9.9" }]),
      400,
      "InvalidRoutes",
      /not connected/,
    );
    neutronError(
      await set([{ destination: "198.18.64.0/18", nexthop: "198.19.3.1" }]),
      400,
      "InvalidRoutes",
      /used by router/,
    );
    neutronError(await set([{ destination: "nonsense", nexthop: "198.19.3.9" }]), 400, "HTTPBadRequest");
    const many = Array.from({ length: 31 }, (_, i) => ({
      destination: `198.18.${i}.0/24`,
      nexthop: "198.19.3.9",
    }));
    neutronError(await set(many), 400, "RoutesExhausted");
    neutronError(await removeInterface(s, r.id, { subnet_id: sub.id }), 409, "RouterInterfaceInUseByRoute");
    neutronError(
      await s.api("POST", "/v2.0/routers", { router: { routes: [] } }),
      400,
      "HTTPBadRequest",
      /not allowed in POST/,
    );
    assert.deepEqual((await set(null)).body.router.routes, [], "null clears them");
    assert.equal((await removeInterface(s, r.id, { subnet_id: sub.id })).status, 200);
  });

  test(`[${b}] floating IPs: an external address for a port behind a router; associate, move, disassociate; in use`, async (t) => {
    const s = await startServer(t, backend);
    const ext = await external(s);
    const r = await router(s, { external_gateway_info: { network_id: ext.net.id } });
    const net = await network(s, { name: "inside" });
    const sub = await subnet(s, net.id, "198.19.4.0/24");
    const vm1 = await port(s, net.id, { device_id: "vm-1", device_owner: "compute:nova" });
    const vm2 = await port(s, net.id, { device_id: "vm-2", device_owner: "compute:nova" });

    // No router between the port's subnet and the external network yet: 404, nothing made.
    neutronError(
      await s.api("POST", "/v2.0/floatingips", {
        floatingip: { floating_network_id: ext.net.id, port_id: vm1.id },
      }),
      404,
      "ExternalGatewayForFloatingIPNotFound",
    );
    assert.deepEqual((await s.api("GET", "/v2.0/floatingips")).body.floatingips, []);
    assert.equal((await addInterface(s, r.id, { subnet_id: sub.id })).status, 200);

    const made = await s.api("POST", "/v2.0/floatingips", {
      floatingip: { floating_network_id: ext.net.id, port_id: vm1.id },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const fip = made.body.floatingip;
    assert.match(fip.floating_ip_address, /^198\.18\.100\.\d+$/);
    assert.equal(fip.port_id, vm1.id);
    assert.equal(fip.fixed_ip_address, vm1.fixed_ips[0].ip_address);
    assert.equal(fip.router_id, r.id);
    assert.equal(fip.floating_network_id, ext.net.id);
    const own = (await s.api("GET", `/v2.0/ports?device_id=${fip.id}`)).body.ports;
    assert.equal(own.length, 1);
    assert.equal(own[0].device_owner, "network:floatingip");
    assert.deepEqual(own[0].fixed_ips, [{ subnet_id: ext.sub.id, ip_address: fip.floating_ip_address }]);
    neutronError(await s.api("DELETE", `/v2.0/ports/${own[0].id}`), 409, "ServicePortInUse");

    // One floating IP per fixed address; the interface and the gateway it needs stay.
    neutronError(
      await s.api("POST", "/v2.0/floatingips", {
        floatingip: { floating_network_id: ext.net.id, port_id: vm1.id },
      }),
      409,
      "FloatingIPPortAlreadyAssociated",
    );
    neutronError(
      await removeInterface(s, r.id, { subnet_id: sub.id }),
      409,
      "RouterInterfaceInUseByFloatingIP",
    );
    neutronError(
      await s.api("PUT", `/v2.0/routers/${r.id}`, { router: { external_gateway_info: {} } }),
      409,
      "RouterExternalGatewayInUseByFloatingIp",
    );

    // The port keeps the address its floating IP forwards to.
    neutronError(
      await s.api("PUT", `/v2.0/ports/${vm1.id}`, { port: { fixed_ips: [{ ip_address: "198.19.4.240" }] } }),
      400,
      "BadRequest",
      /its original fixed_ip has been associated to a floating ip/,
    );
    assert.deepEqual(
      (await s.api("GET", `/v2.0/ports/${vm1.id}`)).body.port.fixed_ips,
      vm1.fixed_ips,
      "unchanged",
    );

    // Move it to another port, then disassociate.
    const moved = await s.api("PUT", `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: vm2.id } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.floatingip.fixed_ip_address, vm2.fixed_ips[0].ip_address);
    assert.equal(moved.body.floatingip.floating_ip_address, fip.floating_ip_address, "the address stays");
    neutronError(
      await s.api("PUT", `/v2.0/floatingips/${fip.id}`, {
        floatingip: { port_id: vm1.id, fixed_ip_address: "198.19.4.250" },
      }),
      400,
      "BadRequest",
      /does not have fixed ip/,
    );
    const off = await s.api("PUT", `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    assert.equal(off.status, 200);
    assert.equal(off.body.floatingip.port_id, null);
    assert.equal(off.body.floatingip.fixed_ip_address, null);
    assert.equal(off.body.floatingip.router_id, null);

    // A deleted port leaves its floating IP unassociated.
    assert.equal(
      (await s.api("PUT", `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: vm1.id } })).status,
      200,
    );
    assert.equal((await s.api("DELETE", `/v2.0/ports/${vm1.id}`)).status, 204);
    assert.equal((await s.api("GET", `/v2.0/floatingips/${fip.id}`)).body.floatingip.port_id, null);

    // Not an external network; an explicit address; the external network cannot go while used.
    neutronError(
      await s.api("POST", "/v2.0/floatingips", { floatingip: { floating_network_id: net.id } }),
      400,
      "BadRequest",
      /is not a valid external network/,
    );
    neutronError(
      await s.api("POST", "/v2.0/floatingips", { floatingip: { floating_network_id: "nope" } }),
      400,
      "HTTPBadRequest",
      /is not a valid UUID/,
    );
    const fixedAddress = await s.api("POST", "/v2.0/floatingips", {
      floatingip: { floating_network_id: ext.net.id, floating_ip_address: "198.18.100.200" },
    });
    assert.equal(fixedAddress.status, 201, JSON.stringify(fixedAddress.body));
    assert.equal(fixedAddress.body.floatingip.floating_ip_address, "198.18.100.200");
    neutronError(
      await s.api("POST", "/v2.0/floatingips", {
        floatingip: { floating_network_id: ext.net.id, floating_ip_address: "198.18.100.200" },
      }),
      409,
      "IpAddressAlreadyAllocated",
    );
    // An unknown filter is ignored, as Neutron ignores it without filter-validation.
    assert.equal(
      (await s.api("GET", `/v2.0/floatingips?invalid_filter=${ext.net.id}`)).body.floatingips.length,
      2,
    );
    neutronError(await s.api("DELETE", `/v2.0/networks/${ext.net.id}`), 409, "NetworkInUse");
    for (const id of [fip.id, fixedAddress.body.floatingip.id]) {
      assert.equal((await s.api("DELETE", `/v2.0/floatingips/${id}`)).status, 204);
      assert.deepEqual((await s.api("GET", `/v2.0/ports?device_id=${id}`)).body.ports, [], "its port goes");
    }
    neutronError(await s.api("GET", `/v2.0/floatingips/${fip.id}`), 404, "FloatingIPNotFound");
  });
}
