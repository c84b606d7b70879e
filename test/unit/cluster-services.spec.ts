import { EventEmitter } from "node:events";
import { ClusterServices, type RegistryNode } from "../../lib/health/cluster-services";

function node(id: string, services: string[], available = true): RegistryNode {
	return { id, available, services: ["$node", ...services].map((name) => ({ name })) };
}

describe("ClusterServices", () => {
	let nodes: RegistryNode[];
	let now: number;
	const cluster = () =>
		new ClusterServices(
			() => nodes,
			() => now,
		);

	beforeEach(() => {
		nodes = [node("edge", ["api"])];
		now = Date.parse("2026-01-01T00:00:00Z");
	});

	it("when every service seen is still offered, then it is COMPLETE and lists them without internal ones", () => {
		nodes.push(node("inv-1", ["inventory"]), node("inv-2", ["inventory"]));
		expect(cluster().report()).toEqual({ status: "COMPLETE", expected: ["api", "inventory"], unavailable: [] });
	});

	it("when one of two nodes of a service goes, then the service is still available", () => {
		const view = cluster();
		nodes.push(node("inv-1", ["inventory"]), node("inv-2", ["inventory"]));
		view.observe();
		nodes[1] = node("inv-1", ["inventory"], false);
		expect(view.report().unavailable).toEqual([]);
	});

	it("when a node came and went between two reports, then its service is reported with when it went", () => {
		const bus = new EventEmitter();
		const view = cluster();
		view.watch(bus);
		nodes.push(node("events-1", ["events"]));
		bus.emit("$node.connected");
		now += 5_000;
		nodes.pop();
		bus.emit("$node.disconnected");
		now += 60_000;
		expect(view.report()).toEqual({
			status: "DEGRADED",
			expected: ["api", "events"],
			unavailable: [{ service: "events", lastSeenOn: ["events-1"], unavailableSince: "2026-01-01T00:00:05.000Z" }],
		});
	});

	it("when a stopping node first withdraws its services, then they are reported gone", () => {
		const view = cluster();
		nodes.push(node("shop-1", ["cart", "products"]));
		view.observe();
		nodes[1] = node("shop-1", []);
		expect(view.report().unavailable.map((u) => u.service)).toEqual(["cart", "products"]);
	});
});
